// PNG text comes from the embedded DejaVu Sans, never from system fonts: a title-only figure must put ink in the title band.
// To check a font-less machine: unshare -m sh -c 'mount -t tmpfs none /usr/share/fonts && dotnet test ... --filter PngTextTests'
using SkiaSharp;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Rendering;

namespace TrajectoryLab.Reporting.Tests;

public sealed class PngTextTests
{
    [Fact]
    public void Embedded_typeface_is_DejaVu_Sans()
    {
        Assert.Equal("DejaVu Sans", EmbeddedFont.Typeface.FamilyName);
        Assert.NotEqual(0, EmbeddedFont.Typeface.GetGlyphs("λ")[0]);
    }

    [Fact]
    public void Title_text_puts_dark_pixels_in_the_title_band_on_a_white_background()
    {
        var figure = new Figure("t", "TITLE TEXT WWWW", new Axis(""), new Axis("")) { Width = 400, Height = 200 };
        using var bitmap = SKBitmap.Decode(FigureRenderer.ToPng(figure));
        Assert.Equal((400, 200), (bitmap.Width, bitmap.Height));
        Assert.Equal(SKColors.White, bitmap.GetPixel(1, 1));
        Assert.True(DarkPixels(bitmap, 100, 0, 300, 28) > 150, "no title ink: text did not render");

        // Same figure without a title: the band is empty, so the ink above came from the text.
        using var blank = SKBitmap.Decode(FigureRenderer.ToPng(figure with { Title = "" }));
        Assert.Equal(0, DarkPixels(blank, 100, 0, 300, 28));
    }

    private static int DarkPixels(SKBitmap b, int x0, int y0, int x1, int y1)
    {
        var n = 0;
        for (var y = y0; y < y1; y++)
            for (var x = x0; x < x1; x++)
                if (b.GetPixel(x, y).Red < 128) n++;
        return n;
    }
}
