// Figure -> <name>.svg (OxyPlot SvgExporter) + <name>.png (Skia, embedded font) + <name>.figure.json, all atomic.
// The JSON is the source of truth: RunRenderer re-renders images from it. Panel figures are composed by PanelComposer.
using System.Text;
using OxyPlot;
using OxyPlot.SkiaSharp;
using SkiaSharp;
using TrajectoryLab.Core.IO;
using TrajectoryLab.Reporting.Figures;

namespace TrajectoryLab.Reporting.Rendering;

/// <summary>Renders figures to SVG and PNG files.</summary>
/// <remarks>Every entry point first thins scatter series above <see cref="ScatterThinning.Threshold"/> points. A figure with
/// <see cref="Figure.Panels"/> is drawn as a grid of its panels under its title.</remarks>
public static class FigureRenderer
{
    /// <summary>Suffix of the saved figure description.</summary>
    public const string JsonSuffix = ".figure.json";

    /// <summary>Writes <c>{Name}.figure.json</c>, <c>{Name}.svg</c> and <c>{Name}.png</c> into <paramref name="folder"/>.</summary>
    /// <remarks>The JSON holds the figure as drawn (thinned); keep raw data in CSV.</remarks>
    /// <returns>The three paths written.</returns>
    /// <exception cref="ArgumentException">The name is not a plain file stem, a series is inconsistent, or the panels are
    /// malformed (see <see cref="Figure.Panels"/>).</exception>
    public static (string Json, string Svg, string Png) Render(Figure figure, string folder)
    {
        ValidateName(figure.Name);
        PanelGrid.Check(figure);
        figure = ScatterThinning.Apply(figure);
        var json = Path.Combine(folder, figure.Name + JsonSuffix);
        ReportingJson.Save(json, figure);
        var (svg, png) = WriteImages(figure, folder);
        return (json, svg, png);
    }

    /// <summary>Writes only <c>{Name}.svg</c> and <c>{Name}.png</c> (used when re-rendering from saved JSON).</summary>
    public static (string Svg, string Png) RenderImages(Figure figure, string folder)
    {
        ValidateName(figure.Name);
        PanelGrid.Check(figure);
        return WriteImages(ScatterThinning.Apply(figure), folder);
    }

    /// <summary>The SVG document for <paramref name="figure"/>.</summary>
    public static string ToSvg(Figure figure)
    {
        PanelGrid.Check(figure);
        figure = ScatterThinning.Apply(figure);
        return figure.Panels.Count > 0 ? PanelComposer.Svg(figure) : Svg(PlotModelBuilder.Build(figure), figure.Width, figure.Height);
    }

    /// <summary>The PNG bytes for <paramref name="figure"/> (<see cref="Figure.Width"/> × <see cref="Figure.Height"/> pixels, white
    /// background).</summary>
    public static byte[] ToPng(Figure figure)
    {
        PanelGrid.Check(figure);
        figure = ScatterThinning.Apply(figure);
        using var s = new MemoryStream();
        if (figure.Panels.Count > 0)
            PanelComposer.WritePng(figure, s);
        else
            WritePng(PlotModelBuilder.Build(figure), figure, s);
        return s.ToArray();
    }

    private static (string Svg, string Png) WriteImages(Figure figure, string folder)
    {
        var svg = Path.Combine(folder, figure.Name + ".svg");
        var png = Path.Combine(folder, figure.Name + ".png");
        if (figure.Panels.Count > 0)
        {
            AtomicFile.WriteAllText(svg, PanelComposer.Svg(figure));
            AtomicFile.Write(png, s => PanelComposer.WritePng(figure, s));
        }
        else
        {
            var model = PlotModelBuilder.Build(figure);
            AtomicFile.WriteAllText(svg, Svg(model, figure.Width, figure.Height));
            AtomicFile.Write(png, s => WritePng(model, figure, s));
        }
        return (svg, png);
    }

    /// <summary>The SVG document of <paramref name="model"/> at <paramref name="width"/> × <paramref name="height"/>.</summary>
    internal static string Svg(PlotModel model, int width, int height)
    {
        // Measure text with the same embedded font the PNG uses, so both lay out alike.
        using var measurer = new EmbeddedFontRenderContext();
        using var stream = new MemoryStream();
        new OxyPlot.SvgExporter
        {
            Width = width,
            Height = height,
            TextMeasurer = measurer,
        }.Export(model, stream);
        var svg = new UTF8Encoding(false).GetString(stream.ToArray()).TrimStart('\uFEFF');
        return SvgRectMerger.Merge(svg);
    }

    private static void WritePng(PlotModel model, Figure figure, Stream stream) =>
        DrawPng(figure.Width, figure.Height, stream, (_, context) =>
        {
            ((IPlotModel)model).Update(true);
            ((IPlotModel)model).Render(context, new OxyRect(0, 0, figure.Width, figure.Height));
        });

    /// <summary>Draws on a white <paramref name="width"/> × <paramref name="height"/> canvas and writes it as PNG.</summary>
    internal static void DrawPng(int width, int height, Stream stream, Action<SKCanvas, EmbeddedFontRenderContext> draw)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        using (var context = new EmbeddedFontRenderContext { SkCanvas = canvas, RenderTarget = RenderTarget.PixelGraphic })
        {
            canvas.Clear(SKColors.White);
            draw(canvas, context);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        data.SaveTo(stream);
    }

    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || name.StartsWith('.'))
            throw new ArgumentException($"figure name '{name}' is not a plain file stem");
    }
}
