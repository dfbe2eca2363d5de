// OxyPlot.SkiaSharp 2.2.0 resolves text through a private SKTypeface.FromFamilyName cache (no override hook), which
// finds nothing on a machine without fonts. This subclass re-implements IRenderContext's two text members with the
// embedded typeface; every other drawing call is SkiaRenderContext's own.
using OxyPlot;
using OxyPlot.SkiaSharp;
using SkiaSharp;

namespace TrajectoryLab.Reporting.Rendering;

/// <summary>A <see cref="SkiaRenderContext"/> whose text is drawn and measured with <see cref="EmbeddedFont.Typeface"/>.</summary>
/// <remarks>Re-implementing <see cref="IRenderContext"/> maps the interface's DrawText/MeasureText to the members below,
/// and OxyPlot calls text only through the interface. The font family argument is ignored; weights ≥ 600 are emboldened.</remarks>
public sealed class EmbeddedFontRenderContext : SkiaRenderContext, IRenderContext
{
    /// <summary>Draws (possibly multi-line, rotated) text at <paramref name="p"/> with the given alignment.</summary>
    public new void DrawText(
        ScreenPoint p,
        string text,
        OxyColor fill,
        string? fontFamily = null,
        double fontSize = 10,
        double fontWeight = 400,
        double rotation = 0,
        HorizontalAlignment horizontalAlignment = HorizontalAlignment.Left,
        VerticalAlignment verticalAlignment = VerticalAlignment.Top,
        OxySize? maxSize = null
    )
    {
        if (string.IsNullOrEmpty(text) || !fill.IsVisible())
            return;
        using var paint = this.TextPaint(fontSize, fontWeight);
        paint.Color = new SKColor(fill.R, fill.G, fill.B, fill.A);
        var lines = SplitLines(text);
        var lineHeight = paint.GetFontMetrics(out var m);
        var dy = verticalAlignment switch
        {
            VerticalAlignment.Top => -m.Ascent,
            VerticalAlignment.Middle => -(m.Ascent + m.Descent + lineHeight * (lines.Length - 1)) / 2,
            _ => -m.Descent - lineHeight * (lines.Length - 1),
        };
        using var restore = new SKAutoCanvasRestore(this.SkCanvas);
        this.SkCanvas.Translate((float)p.X * this.DpiScale, (float)p.Y * this.DpiScale);
        this.SkCanvas.RotateDegrees((float)rotation);
        foreach (var line in lines)
        {
            var width = paint.MeasureText(line);
            var dx = horizontalAlignment switch
            {
                HorizontalAlignment.Left => 0,
                HorizontalAlignment.Center => -width / 2,
                _ => -width,
            };
            this.SkCanvas.DrawText(line, dx, dy, paint);
            dy += lineHeight;
        }
    }

    /// <summary>Size of <paramref name="text"/> in device-independent units: widest line × (line height × lines).</summary>
    public new OxySize MeasureText(string text, string? fontFamily = null, double fontSize = 10, double fontWeight = 500)
    {
        if (string.IsNullOrEmpty(text))
            return new OxySize(0, 0);
        using var paint = this.TextPaint(fontSize, fontWeight);
        var lines = SplitLines(text);
        var height = paint.GetFontMetrics(out _) * lines.Length;
        var width = lines.Max(l => paint.MeasureText(l));
        return new OxySize(width / this.DpiScale, height / this.DpiScale);
    }

    private SKPaint TextPaint(double fontSize, double fontWeight) =>
        new()
        {
            Typeface = EmbeddedFont.Typeface,
            TextSize = (float)fontSize * this.DpiScale,
            FakeBoldText = fontWeight >= 600,
            IsAntialias = true,
            SubpixelText = true,
        };

    private static string[] SplitLines(string text) => text.Replace("\r\n", "\n").Split('\n');
}
