using Experiments.Visualization.Imaging;
using Experiments.Visualization.Interpretability;
using Experiments.Visualization.Pictures;
using Experiments.Visualization.Tests.Support;
using Xunit;

namespace Experiments.Visualization.Tests;

/// <summary>
/// A map that shows no evidence (every value equal) is drawn hatched; its panel still says which class and logit it
/// explains, and shows no colour bar whose numbers would describe a scale that is not there.
/// </summary>
public sealed class Drawing_a_blank_attribution_map : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("blank-map-").FullName;

    private const string MapLabel = "Grad-CAM of class 3 (logit 12.60)";

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Keeps_the_class_and_logit_in_the_maps_label_and_draws_no_colour_bar_at_the_panels_width()
    {
        var blank = Decode(Panel(blank: "every value is 12.6"), "blank.png");
        var drawn = Decode(Panel(blank: null), "drawn.png");

        Assert.Equal(drawn.Width, blank.Width);
        // The band of group labels above the tiles is pixel for pixel the drawn map's: the same "Grad-CAM of class 3 (logit 12.60)".
        var band = (Top: GridLayout.Margin + GridLayout.TitleHeight, Bottom: GridLayout.Margin + GridLayout.TitleHeight + GridLayout.GroupLabelHeight);
        var gridRight = drawn.Width - GridLayout.BarAreaWidth;
        var differing = Enumerable.Range(band.Top, band.Bottom - band.Top)
            .SelectMany(y => Enumerable.Range(0, gridRight).Select(x => (x, y))).Count(p => blank.At(p.x, p.y) != drawn.At(p.x, p.y));
        Assert.Equal(0, differing);
        Assert.True(Enumerable.Range(0, gridRight).Any(x => drawn.At(x, band.Top + 10) != LabelledGrid.Background), "no label drawn in the band: the test would prove nothing");
        // The colour bar's strip is painted with viridis from 0 to 1: the drawn panel has it, the blank one none of it.
        var barArea = (Left: drawn.Width - GridLayout.BarAreaWidth, Width: GridLayout.BarAreaWidth);
        Assert.True(ViridisPixels(drawn, barArea) >= GridLayout.BarLength * GridLayout.BarThickness / 2, "the drawn map's colour bar is missing: the test would prove nothing");
        Assert.Equal(0, ViridisPixels(blank, barArea));
    }

    private static Picture Panel(string? blank)
    {
        var pixels = new Worker.Engine.Tensor([1, 28, 28], [.. Enumerable.Range(0, 784).Select(i => i % 28 / 14f - 1)]);
        var heat = new Worker.Engine.Tensor([28, 28], [.. Enumerable.Range(0, 784).Select(i => blank is null ? i / 784f : 0f)]);
        var image = new PickedImage(pixels, "test", 1, 3, [.. Enumerable.Range(0, 10).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        return AttributionPictures.Panel("Grad-CAM", image, 3, heat, blank is null ? (0, 12.6) : (12.6, 12.6), blank, MapLabel, "min–max scaled");
    }

    private DecodedPixels Decode(Picture picture, string name)
    {
        var path = Path.Combine(_folder, name);
        using (picture) picture.WritePng(path);
        return DecodedPixels.Of(PngOracle.Decode(path));
    }

    private static int ViridisPixels(DecodedPixels picture, (int Left, int Width) area)
    {
        var bar = Enumerable.Range(0, GridLayout.BarLength).Select(i => ColorMap.Viridis.Map((i + 0.5) / GridLayout.BarLength)).ToHashSet();
        var count = 0;
        for (var y = 0; y < picture.Height; y++)
            for (var x = area.Left; x < area.Left + area.Width; x++)
                if (bar.Contains(picture.At(x, y))) count++;
        return count;
    }
}
