// Small figures and a report shared by the tests.
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Reporting.Tests;

internal static class Samples
{
    public static Figure Convergence() => new("convergence", "Henon spectrum", new Axis("steps") { Log = true }, new Axis("lambda (nats/step)"))
    {
        Y2Axis = new Axis("distance") { Min = 0 },
        Series =
        [
            new BandSeries("seed band", [10, 100, 1000], [0.3, 0.38, 0.41], [0.5, 0.45, 0.43]),
            new LineSeries("lambda_1", [10, 100, 1000], [0.4, 0.41, double.NaN]) { Color = "#1f77b4", Markers = true },
            new LineSeries("distance", [10, 100, 1000], [1, 2, 3]) { YAxis = "y2", Dashed = true },
            new ScatterSeries("points", [10, 20], [0.1, 0.2]) { Values = [1, 2], ColorAxisTitle = "value" },
            new HistogramSeries("hist", [0, 1, 2], [3, 4]),
            new HeatmapSeries("", 0, 1, 0, 1, [[1, 2], [3, double.PositiveInfinity]]) { ColorAxisTitle = "rank" },
            new ReferenceLine("Sprott 0.4183", ReferenceOrientation.Horizontal, 0.4183),
            new ReferenceLine("r = 3", ReferenceOrientation.Vertical, 3),
        ],
    };

    public static Report Report() => new("Henon map <check>")
    {
        Lead = "Lyapunov spectrum of the Henon map & friends.",
        Sections =
        [
            new Section("Headline",
            [
                new Paragraph("Spectrum by QR; 10^5 steps."),
                new KeyValueTable([KeyValue.Of("lambda_1", 0.41831234567), KeyValue.Of("steps", 100000), KeyValue.Of("wall", 1.5, "s"), new KeyValue("a|b", "x")]) { Title = "Numbers" },
                new ComparisonTable([new Comparison("lambda_1", 0.4182, 0.4183, 0.001), new Comparison("lambda_2", double.NaN, -1.6242, 0.01)]),
            ]),
            new Section("Figures and text",
            [
                new FigureBlock("convergence") { Caption = "Convergence of the spectrum" },
                new Preformatted("a = 1.4\nb = 0.3"),
                new TokenStrip([new Token("The", 0.5), new Token(" <cat>", 2.25), new Token(" sat", double.NaN)]) { ValueLabel = "entropy (nats)" },
            ]),
        ],
    };
}
