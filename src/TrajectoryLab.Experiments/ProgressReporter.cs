// Progress of a long loop (steps done, rate, ETA) on an interactive terminal; silent when output is redirected or under CI.
using System.Diagnostics;
using System.Globalization;

namespace TrajectoryLab.Experiments;

/// <summary>A progress line for one loop, redrawn at most a few times a second on stderr.</summary>
public sealed class ProgressReporter : IDisposable
{
    readonly string _label;
    readonly long _total;
    readonly bool _enabled;
    readonly Stopwatch _clock = Stopwatch.StartNew();
    long _lastDrawMs = -1000;
    long _done;

    /// <summary>True where a person watches: stderr is a terminal and CI is not set.</summary>
    public static bool Interactive => !Console.IsErrorRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>Starts a progress line for <paramref name="total"/> steps (enabled only when <see cref="Interactive"/>).</summary>
    public ProgressReporter(string label, long total, bool? enabled = null)
    {
        _label = label;
        _total = Math.Max(1, total);
        _enabled = enabled ?? Interactive;
    }

    /// <summary>Steps done so far.</summary>
    public long Done => _done;

    /// <summary>Records that <paramref name="steps"/> more steps are done.</summary>
    public void Advance(long steps = 1)
    {
        _done += steps;
        if (!_enabled)
            return;
        var now = _clock.ElapsedMilliseconds;
        if (now - _lastDrawMs < 200 && _done < _total)
            return;
        _lastDrawMs = now;
        Console.Error.Write("\r" + Line(_done, _total, _clock.Elapsed.TotalSeconds) + "   ");
    }

    /// <summary>The text of a progress line: label, done/total, percent, rate and ETA (invariant culture).</summary>
    public string Line(long done, long total, double seconds)
    {
        var rate = seconds > 0 ? done / seconds : 0;
        var eta = rate > 0 ? (total - done) / rate : double.NaN;
        var etaText = double.IsNaN(eta) ? "?" : TimeSpan.FromSeconds(Math.Ceiling(eta)).ToString("c", CultureInfo.InvariantCulture);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{_label} {done}/{total} ({100.0 * done / total:F1}%) {rate:F0}/s ETA {etaText}"
        );
    }

    /// <summary>Ends the line.</summary>
    public void Dispose()
    {
        if (_enabled)
            Console.Error.WriteLine();
    }
}
