// What an experiment sees of its run: the folder, cancellation, progress, phase timing (IMeasureContext, all a measurement
// gets), and the writers for tables, figures, headline numbers and the report (what the report half uses). Everything is
// written atomically into the run folder.
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using TrajectoryLab.Experiments;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Rendering;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Reporting.Tables;

namespace TrajectoryLab.Experiments;

/// <summary>What a measurement may use: cancellation, progress, timing, a logger and the folder for artefacts it must
/// write as it goes (a trained model, checkpoints). No tables, figures, headlines or prose: those come from its result.</summary>
public interface IMeasureContext
{
    /// <summary>The experiment's name (its file name).</summary>
    string Name { get; }

    /// <summary>The run folder.</summary>
    string Folder { get; }

    /// <summary>The run's logger.</summary>
    ILogger Logger { get; }

    /// <summary>Set by Ctrl-C / SIGTERM; loops check it between steps.</summary>
    CancellationToken Cancellation { get; }

    /// <summary>A progress line for a loop of <paramref name="total"/> steps (silent unless a person watches).</summary>
    ProgressReporter Progress(string label, long total);

    /// <summary>Runs <paramref name="work"/> and records its wall time under <paramref name="phase"/>.</summary>
    T Phase<T>(string phase, Func<T> work);

    /// <summary>Runs <paramref name="work"/> and records its wall time under <paramref name="phase"/>.</summary>
    void Phase(string phase, Action work);
}

/// <summary>The run an experiment writes into.</summary>
public sealed class RunContext : IMeasureContext
{
    readonly Dictionary<string, object> _headlines = [];
    readonly Dictionary<string, double> _phaseSeconds = [];

    public RunContext(string name, string folder, ILogger logger, CancellationToken cancellation)
    {
        Name = name;
        Folder = folder;
        Logger = logger;
        Cancellation = cancellation;
        Report = new ReportBuilder(name);
    }

    /// <summary>The experiment's name (its file name).</summary>
    public string Name { get; }

    /// <summary>The run folder, results/&lt;name&gt;/&lt;UTC timestamp&gt;/.</summary>
    public string Folder { get; }

    /// <summary>The run's logger.</summary>
    public ILogger Logger { get; }

    /// <summary>Set by Ctrl-C / SIGTERM; loops check it between steps.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>The report under construction.</summary>
    public ReportBuilder Report { get; }

    /// <summary>Headline numbers recorded so far (name → number or text).</summary>
    public IReadOnlyDictionary<string, object> Headlines => _headlines;

    /// <summary>Wall time of the phases run so far, in seconds.</summary>
    public IReadOnlyDictionary<string, double> PhaseSeconds => _phaseSeconds;

    /// <summary>A progress line for a loop of <paramref name="total"/> steps (silent unless a person watches).</summary>
    public ProgressReporter Progress(string label, long total) => new(label, total);

    /// <summary>Runs <paramref name="work"/> and records its wall time under <paramref name="phase"/>.</summary>
    public T Phase<T>(string phase, Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            return work();
        }
        finally
        {
            _phaseSeconds[phase] = Math.Round(clock.Elapsed.TotalSeconds, 3);
        }
    }

    /// <summary>Runs <paramref name="work"/> and records its wall time under <paramref name="phase"/>.</summary>
    public void Phase(string phase, Action work) => Phase(phase, () =>
        {
            work();
            return 0;
        });

    /// <summary>Records a headline number (shown atop the report, in the manifest and in results/index.html).</summary>
    /// <exception cref="NonFiniteHeadlineException"><paramref name="value"/> is NaN or infinite: a headline that can be
    /// undefined must say why, with <see cref="Headline(string, double, string)"/>; the run fails rather than publish it.</exception>
    public void Headline(string name, double value) =>
        _headlines[name] = double.IsFinite(value) ? value : throw new NonFiniteHeadlineException(Name, name, value);

    /// <summary>Records a headline number, or, when it is NaN or infinite, the text <paramref name="ifNotFinite"/>
    /// ("breakdown: … at step N" or "not measured: …") in its place: never the number.</summary>
    public void Headline(string name, double value, string ifNotFinite) => _headlines[name] = double.IsFinite(value) ? value : ifNotFinite;

    /// <summary>Records a headline text.</summary>
    public void Headline(string name, string value) => _headlines[name] = value;

    /// <summary>Writes <c>{name}.csv</c> from typed rows: one column per public property of <typeparamref name="TRow"/>, in
    /// declaration order, named in snake_case (or by <see cref="ColumnAttribute"/>), so a column cannot be misread.</summary>
    public void Table<TRow>(string name, IEnumerable<TRow> rows) => TypedTable.Of(rows).Write(Path.Combine(Folder, name + ".csv"));

    /// <summary>Renders <paramref name="figure"/> to SVG and PNG (and its data to .figure.json); returns its name for the report.</summary>
    public string Figure(Figure figure)
    {
        FigureRenderer.Render(figure, Folder);
        return figure.Name;
    }
}

/// <summary>An experiment tried to publish a non-finite headline number without saying why: a bug in the experiment,
/// which fails the run instead of completing it with a NaN conclusion.</summary>
public sealed class NonFiniteHeadlineException(string experiment, string headline, double value)
    : Exception(
        string.Create(
            CultureInfo.InvariantCulture,
            $"{experiment}: headline '{headline}' came out {value}; "
                + $"a completed run never shows a non-finite number as a result "
                + $"(the experiment must record the breakdown that caused it)"
        )
    );
