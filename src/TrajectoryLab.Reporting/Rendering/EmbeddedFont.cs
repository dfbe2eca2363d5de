// DejaVu Sans (Bitstream Vera licence, see Fonts/DejaVuSans-LICENSE.txt) loaded from this assembly's resources,
// so PNG text renders on machines with no fonts installed (fresh Debian 12; SkiaSharp NoDependencies has no fontconfig).
using SkiaSharp;

namespace TrajectoryLab.Reporting.Rendering;

/// <summary>The typeface every PNG is drawn with; never looked up from the system.</summary>
public static class EmbeddedFont
{
    /// <summary>Family name written into SVG text (with generic fallbacks for viewers without DejaVu).</summary>
    public const string SvgFamily = "DejaVu Sans, Verdana, Arial, sans-serif";

    private const string ResourceName = "TrajectoryLab.Reporting.Fonts.DejaVuSans.ttf";

    private static readonly Lazy<SKTypeface> Lazy = new(Load);

    /// <summary>DejaVu Sans, created once from the embedded TTF.</summary>
    public static SKTypeface Typeface => Lazy.Value;

    private static SKTypeface Load()
    {
        using var stream = typeof(EmbeddedFont).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"resource {ResourceName} missing from {typeof(EmbeddedFont).Assembly.GetName().Name}");
        using var data = SKData.Create(stream);
        return SKTypeface.FromData(data) ?? throw new InvalidOperationException($"resource {ResourceName} is not a font Skia can read");
    }
}
