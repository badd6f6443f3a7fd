using Experiments.Visualization.Imaging;

namespace Experiments.Visualization.Snapshots;

/// <summary>How kernels are stretched to [0, 1] before they become grey levels.</summary>
public enum KernelScaling
{
    /// <summary>Each filter over all its input channels (000, Fig. 9): channels of one filter stay comparable.</summary>
    Filter,

    /// <summary>Each input-channel slice on its own: the most contrast, but slices are no longer comparable.</summary>
    Channel,

    /// <summary>One range for the whole layer at that epoch: filters' relative strength stays visible.</summary>
    Layer,
}

/// <summary>A conv layer's weights at several epochs, ready to draw.</summary>
/// <param name="Epochs">The epochs in drawing order, one <see cref="WeightTensor"/> (OIHW) each.</param>
public sealed record KernelHistory(string Layer, IReadOnlyList<(int Epoch, WeightTensor Weight)> Epochs);

/// <summary>The grid of kernels over epochs, and the frames of its animation.</summary>
public sealed record KernelPicture(RasterImage Grid, IReadOnlyList<RasterImage> Frames, GridLayout Layout, IReadOnlyList<int> Filters, IReadOnlyList<int> Epochs);

/// <summary>
/// Draws conv kernels as 000's Fig. 9 does: every kernel rescaled to [0, 1] and shown per input channel as a grey
/// picture, so an RGB filter of layer 1 appears as three images. The grid has one row per epoch and one column per
/// (filter, input channel), channels of a filter side by side 1 pixel apart, filters and epochs apart by a wider gap
/// of max(4, zoom / 2) pixels, all in a 2-pixel margin. When an epoch's filters would make a row wider than
/// <see cref="MaxPanelWidth"/>, they wrap onto several lines (the same gap apart), and epochs are then 3 gaps apart. The animation has one
/// frame per epoch, each frame being that epoch's panel.
/// </summary>
public static class KernelPictures
{
    /// <summary>Kernel pixels are enlarged to about this many screen pixels per kernel side…</summary>
    public const int TargetTileSide = 40;

    /// <summary>…unless the whole grid would then exceed this many pixels (deep layers over many epochs): then less.</summary>
    public const long MaxGridPixels = 8_000_000;

    /// <summary>An epoch's panel wraps its filters onto further lines rather than grow wider than this.</summary>
    public const int MaxPanelWidth = 4096;

    /// <summary>The largest whole zoom up to ⌈40 / kernel side⌉ that keeps <paramref name="tiles"/> tiles within <see cref="MaxGridPixels"/>.</summary>
    public static int DefaultUpscale(int kernelHeight, int kernelWidth, long tiles = 1)
    {
        var zoom = Math.Max(1, (int)Math.Ceiling((double)TargetTileSide / Math.Max(kernelHeight, kernelWidth)));
        while (zoom > 1 && tiles * (kernelHeight * zoom + 1L) * (kernelWidth * zoom + 1L) > MaxGridPixels) zoom--;
        return zoom;
    }

    public static KernelPicture Draw(KernelHistory history, IReadOnlyList<int>? filters = null, KernelScaling scaling = KernelScaling.Filter, int? upscale = null)
    {
        if (history.Epochs.Count == 0) throw new ArgumentException($"layer {history.Layer} has no stored epochs to draw");
        var shape = history.Epochs[0].Weight.Shape;
        if (shape.Length != 4) throw new ArgumentException($"layer {history.Layer} is {string.Join('×', shape)}, not a conv layer (O×I×kH×kW)");
        var (outChannels, inChannels, kernelHeight, kernelWidth) = (shape[0], shape[1], shape[2], shape[3]);
        foreach (var (epoch, weight) in history.Epochs)
            if (!weight.Shape.SequenceEqual(shape))
                throw new ArgumentException($"layer {history.Layer} is {string.Join('×', weight.Shape)} at epoch {epoch} but {string.Join('×', shape)} before");
        var chosen = filters ?? Enumerable.Range(0, outChannels).ToList();
        foreach (var f in chosen)
            if (f < 0 || f >= outChannels) throw new ArgumentException($"layer {history.Layer} has filters 0 to {outChannels - 1}; there is no filter {f}");

        var factor = upscale ?? DefaultUpscale(kernelHeight, kernelWidth, (long)history.Epochs.Count * chosen.Count * inChannels);
        var (tileWidth, tileHeight) = (kernelWidth * factor, kernelHeight * factor);
        var gap = Math.Max(4, factor / 2);
        // Filters per line of an epoch's panel: as many as fit in MaxPanelWidth, at least one.
        var filterWidth = inChannels * tileWidth + (inChannels - 1);
        var filtersPerLine = Math.Clamp((MaxPanelWidth - 4 + gap) / (filterWidth + gap), 1, chosen.Count);
        var lines = (chosen.Count + filtersPerLine - 1) / filtersPerLine;
        var layout = new GridLayout(tileWidth, tileHeight, history.Epochs.Count * lines, filtersPerLine * inChannels,
            Padding: 1, GroupSize: inChannels, GroupGap: gap, Margin: 2, RowGap: gap, RowGroupSize: lines, RowGroupGap: lines > 1 ? 3 * gap : gap);
        var rows = new List<IReadOnlyList<RasterImage?>>();
        foreach (var (_, weight) in history.Epochs)
        {
            var (layerMin, layerMax) = Raster.FiniteRange(weight.Values);
            var row = new List<RasterImage?>();
            foreach (var f in chosen)
            {
                if (row.Count == filtersPerLine * inChannels)
                {
                    rows.Add(row);
                    row = [];
                }
                var filter = weight.Filter(f);
                var (filterMin, filterMax) = Raster.FiniteRange(filter);
                for (var c = 0; c < inChannels; c++)
                {
                    var slice = filter.Slice(c * kernelHeight * kernelWidth, kernelHeight * kernelWidth);
                    var (min, max) = scaling switch
                    {
                        KernelScaling.Layer => (layerMin, layerMax),
                        KernelScaling.Channel => Raster.FiniteRange(slice),
                        _ => (filterMin, filterMax),
                    };
                    row.Add(Raster.Upscale(Raster.FromValues(slice, kernelWidth, kernelHeight, ColorMap.Grey, min, max), factor));
                }
            }
            rows.Add(row);
        }

        var grid = ImageGrid.Compose(rows, layout, Background);
        var frameLayout = layout with { Rows = lines };
        var frames = rows.Chunk(lines).Select(panel => ImageGrid.Compose(panel, frameLayout, Background)).ToList();
        return new KernelPicture(grid, frames, layout, chosen, history.Epochs.Select(e => e.Epoch).ToList());
    }

    /// <summary>A mid blue-grey, so that the black and white ends of a kernel stand out from the gaps.</summary>
    public static Rgb Background { get; } = new(70, 90, 120);
}
