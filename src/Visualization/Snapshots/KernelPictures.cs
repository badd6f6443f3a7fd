using System.Globalization;
using Experiments.Architectures;
using Experiments.Visualization.Imaging;
using Experiments.Visualization.Pictures;

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

/// <summary>
/// Which filters a kernel picture shows. <see cref="Explicit"/> names them; otherwise a layer with more than
/// <see cref="Count"/> filters shows <see cref="Count"/> of them: page <see cref="Page"/> in index order when a page is
/// given, else the <see cref="Count"/> whose L2 norm (of the weights, or of the change since the baseline in a change
/// view) is largest at the last shown epoch, largest first.
/// </summary>
public sealed record KernelSelection(IReadOnlyList<int>? Explicit = null, int Count = KernelSelection.DefaultCount, int? Page = null)
{
    /// <summary>At most this many filters by default, so a 500-filter layer still gives a picture of bounded size.</summary>
    public const int DefaultCount = 32;

    public static KernelSelection Default { get; } = new();
}

/// <summary>The grid of kernels over epochs and the frames of its animation (one per epoch), with what they show.</summary>
/// <param name="Selection">In words, which filters are shown (it is also in the picture's title).</param>
public sealed record KernelPicture(Picture Grid, IReadOnlyList<Picture> Frames, GridLayout Layout, IReadOnlyList<int> Filters, IReadOnlyList<int> Epochs,
    int Zoom, string Selection) : IDisposable
{
    public void Dispose()
    {
        Grid.Dispose();
        foreach (var frame in Frames) frame.Dispose();
    }
}

/// <summary>
/// Draws conv kernels as 000's Fig. 9 does, over the epochs: each kernel shown per input channel, enlarged by nearest
/// neighbour. A <see cref="LabelledGrid"/> with one panel per epoch (labelled "epoch E"), one group per filter (its
/// index above it) and one tile per input channel (its index above it where there is room). An epoch's filters wrap
/// onto more lines rather than make a panel wider than <see cref="MaxPanelWidth"/>. Two views:
/// <list type="bullet">
/// <item>the weights, in grey: each kernel rescaled to [0, 1] by <see cref="KernelScaling"/> (black its minimum,
/// white its maximum);</item>
/// <item>the change since a baseline epoch (<see cref="DrawChange"/>): each epoch's weights minus the baseline's, on
/// one diverging scale for the whole picture, ± the largest |change|, so the slow early drift of first-layer kernels
/// shows and epochs compare directly.</item>
/// </list>
/// A NaN or infinite weight shows in magenta.
/// </summary>
public static class KernelPictures
{
    /// <summary>Kernel pixels are enlarged to about this many screen pixels per kernel side…</summary>
    public const int TargetTileSide = 40;

    /// <summary>
    /// …unless the whole grid (labels, gaps and colour bar included) would then exceed this many pixels (deep layers
    /// over many epochs): then the largest whole zoom that fits.
    /// </summary>
    public const long MaxGridPixels = 8_000_000;

    /// <summary>An epoch's panel wraps its filters onto further lines rather than grow wider than this.</summary>
    public const int MaxPanelWidth = 4096;

    /// <summary>The zoom that brings a kernel's longer side to about <see cref="TargetTileSide"/> pixels: ⌈40 / side⌉.</summary>
    public static int TargetUpscale(int kernelHeight, int kernelWidth) => Math.Max(1, (int)Math.Ceiling((double)TargetTileSide / Math.Max(kernelHeight, kernelWidth)));

    /// <summary>The weights in grey, each kernel rescaled by <paramref name="scaling"/>.</summary>
    /// <exception cref="ArgumentException">No epochs, not a conv layer, shapes that change, or a filter that does not exist.</exception>
    public static KernelPicture Draw(KernelHistory history, KernelSelection? selection = null, KernelScaling scaling = KernelScaling.Filter, int? upscale = null, string? subject = null)
    {
        var shape = CheckShape(history);
        var (filters, chosenBy) = Choose(history, selection ?? KernelSelection.Default, w => w, "L2 norm");
        var bar = new ColourBar(ColorMap.Grey, "max", "min", scaling switch
        {
            KernelScaling.Layer => "each epoch's layer range (at the left)",
            KernelScaling.Channel => "each channel slice to its own range",
            _ => "each filter to its own range",
        });
        return Compose(history, shape, filters, chosenBy, upscale, bar, $"Kernels of {history.Layer}", subject, weight =>
        {
            var (layerMin, layerMax) = FiniteRange(weight.Values);
            var sub = scaling == KernelScaling.Layer ? $"{Format(layerMin)}…{Format(layerMax)}" : null;
            return (sub, (f, c, slice) =>
            {
                var (min, max) = scaling switch
                {
                    KernelScaling.Layer => (layerMin, layerMax),
                    KernelScaling.Channel => FiniteRange(slice),
                    _ => FiniteRange(weight.Filter(f)),
                };
                return (slice.ToArray(), ColorMap.Grey, min, max);
            });
        });
    }

    /// <summary>
    /// Each epoch's weights minus <paramref name="baseline"/>'s (the same layer at <paramref name="baselineEpoch"/>, usually
    /// epoch 0), blue for a decrease and red for an increase, on one symmetric scale ± the largest |change| over every
    /// shown epoch and filter.
    /// </summary>
    public static KernelPicture DrawChange(KernelHistory history, WeightTensor baseline, int baselineEpoch, KernelSelection? selection = null, int? upscale = null, string? subject = null)
    {
        var shape = CheckShape(history);
        if (!baseline.Shape.SequenceEqual(shape))
            throw new ArgumentException($"layer {history.Layer} is {string.Join('×', baseline.Shape)} at epoch {baselineEpoch} but {string.Join('×', shape)} at the shown epochs");
        float[] Change(WeightTensor w)
        {
            var change = new float[w.Values.Length];
            for (var i = 0; i < change.Length; i++) change[i] = w.Values[i] - baseline.Values[i];
            return change;
        }
        var changes = history.Epochs.ToDictionary(e => e.Weight, e => new WeightTensor(e.Weight.Name, e.Weight.Shape, Change(e.Weight)));
        var (filters, chosenBy) = Choose(history, selection ?? KernelSelection.Default, w => changes[w], "change (L2 norm)");
        var maxAbs = history.Epochs.SelectMany(e => filters.SelectMany(f => changes[e.Weight].Filter(f).ToArray()))
            .Where(float.IsFinite).Select(v => (double)Math.Abs(v)).DefaultIfEmpty(0).Max();
        var bar = ChangeScale(maxAbs, baselineEpoch);
        return Compose(history, shape, filters, chosenBy, upscale, bar, $"Change of {history.Layer}'s kernels since epoch {baselineEpoch}", subject,
            weight => (null, (f, c, slice) => (slice.ToArray(), ColorMap.Diverging, -maxAbs, maxAbs)), changes);
    }

    private delegate (float[] Values, ColorMap Map, double Min, double Max) TileValues(int filter, int channel, ReadOnlySpan<float> slice);

    private static KernelPicture Compose(KernelHistory history, int[] shape, IReadOnlyList<int> filters, string chosenBy, int? upscale, ColourBar bar,
        string what, string? subject, Func<WeightTensor, (string? SubLabel, TileValues Tile)> perEpoch, IReadOnlyDictionary<WeightTensor, WeightTensor>? shown = null)
    {
        var (inChannels, kernelHeight, kernelWidth) = (shape[1], shape[2], shape[3]);
        var title = $"{(subject is null ? "" : subject + ": ")}{what}, {shape[0]}×{inChannels}×{kernelHeight}×{kernelWidth}; {chosenBy}";
        // A 1×1 kernel is one weight per input channel: as a row of C one-pixel tiles (500 for lenet-matconvnet's
        // classifier) a filter is a 6000-pixel strip with its label lost in the middle. Its C weights are drawn as one
        // block instead, channel c at row c / width and column c mod width; cells past the last channel keep the
        // background colour.
        var block = kernelHeight == 1 && kernelWidth == 1 && inChannels > 1 ? ChannelBlock(inChannels) : ((int Width, int Height)?)null;
        if (block is { } b)
        {
            title += $"; each 1×1 filter's {inChannels} input weights as a {b.Width}×{b.Height} block, channel c at row c / {b.Width}, column c mod {b.Width}";
            (inChannels, kernelHeight, kernelWidth) = (1, b.Height, b.Width);
        }
        var channelLabels = inChannels > 1 ? Enumerable.Range(0, inChannels).Select(c => "c" + c.ToString(CultureInfo.InvariantCulture)).ToList() : null;
        var plane = block is null ? kernelHeight * kernelWidth : shape[1];

        // One panel per epoch, its filters wrapped onto lines no wider than MaxPanelWidth at this zoom; without
        // drawTiles, the tiles are left empty: the layout alone, to find the zoom that fits the pixel budget.
        List<GridPanel> Panels(int zoom, bool drawTiles)
        {
            var groupWidth = inChannels * kernelWidth * zoom + (inChannels - 1) * GridLayout.TileGap;
            var filtersPerLine = Math.Clamp((MaxPanelWidth + GridLayout.GroupGap) / (groupWidth + GridLayout.GroupGap), 1, filters.Count);
            return history.Epochs.Select(e =>
            {
                var weight = shown?[e.Weight] ?? e.Weight;
                (string? SubLabel, TileValues? Tile) epoch = drawTiles ? perEpoch(weight) : (null, null);
                var groups = filters.Select(f =>
                {
                    var filter = epoch.Tile is null ? Array.Empty<float>() : weight.Filter(f).ToArray();
                    var tiles = Enumerable.Range(0, inChannels).Select(c =>
                    {
                        if (epoch.Tile is not { } tile) return null;
                        var (values, map, min, max) = tile(f, c, filter.AsSpan(c * plane, plane));
                        return block is { } cells
                            ? ChannelBlockTile(values, cells, map, min, max)
                            : GridTile.FromValues(values, kernelWidth, kernelHeight, map, min, max);
                    }).ToList();
                    return new GridGroup(f.ToString(CultureInfo.InvariantCulture), tiles, channelLabels);
                }).ToList();
                var lines = groups.Chunk(filtersPerLine).Select(l => (IReadOnlyList<GridGroup>)l).ToList();
                return new GridPanel($"epoch {e.Epoch.ToString(CultureInfo.InvariantCulture)}", epoch.SubLabel, lines);
            }).ToList();
        }

        var zoom = upscale ?? FittingUpscale(title, kernelHeight, kernelWidth, bar, z => Panels(z, drawTiles: false), $"{history.Epochs.Count} epoch(s) of {filters.Count} filter(s) × {inChannels} channel(s)");
        var (tileWidth, tileHeight) = (kernelWidth * zoom, kernelHeight * zoom);
        var panels = Panels(zoom, drawTiles: true);
        // Each frame carries the grid's colour bar: the scale is the same rule (or, for the change, the same ± range) in
        // every frame, so a frame cut from the animation still says what its colours mean.
        var (grid, frames, layout) = LabelledGrid.DrawWithFrames(title, panels, tileWidth, tileHeight, bar);
        return new KernelPicture(grid, frames, layout, filters, history.Epochs.Select(e => e.Epoch).ToList(), zoom, chosenBy);
    }

    /// <summary>
    /// The largest whole zoom, up to <see cref="TargetUpscale"/>, whose whole grid (as <see cref="LabelledGrid.Layout"/>
    /// lays out <paramref name="panelsAt"/> that zoom) stays within <see cref="MaxGridPixels"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Not even one pixel per weight fits: too many epochs or filters to show at once.</exception>
    private static int FittingUpscale(string title, int kernelHeight, int kernelWidth, ColourBar bar, Func<int, List<GridPanel>> panelsAt, string shown)
    {
        GridLayout? layout = null;
        for (var zoom = TargetUpscale(kernelHeight, kernelWidth); zoom >= 1; zoom--)
        {
            layout = LabelledGrid.Layout(title, panelsAt(zoom), kernelWidth * zoom, kernelHeight * zoom, bar);
            if ((long)layout.Width * layout.Height <= MaxGridPixels) return zoom;
        }
        throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
            $"{shown} make a {layout!.Width}×{layout.Height} picture even at one pixel per weight, past the {MaxGridPixels / 1_000_000} million pixels a kernel grid may have; show fewer epochs (--epochs, e.g. 0,5,10) or filters (--top, --filter)"));
    }

    /// <summary>
    /// The block a 1×1 filter's <paramref name="channels"/> weights are drawn as: the divisor of the count nearest its
    /// square root, if that gives a block no more than 4 times as wide as high (500 → 25×20, 84 → 12×7), else the
    /// smallest square-ish block that holds them all (a few cells left over).
    /// </summary>
    internal static (int Width, int Height) ChannelBlock(int channels)
    {
        var side = (int)Math.Ceiling(Math.Sqrt(channels));
        for (var width = side; width <= 2 * side; width++)
            if (channels % width == 0 && width <= 4 * (channels / width)) return (width, channels / width);
        return (side, (channels + side - 1) / side);
    }

    /// <summary>
    /// <paramref name="values"/> (one per channel) as a <see cref="ChannelBlock"/>: channel c at row c / width and column
    /// c mod width; cells past the last channel keep <see cref="LabelledGrid.Background"/>.
    /// </summary>
    internal static GridTile ChannelBlockTile(ReadOnlySpan<float> values, (int Width, int Height) block, ColorMap map, double min, double max)
    {
        var padded = new float[block.Width * block.Height];
        values.CopyTo(padded);
        var tile = GridTile.FromValues(padded, block.Width, block.Height, map, min, max);
        for (var i = values.Length; i < padded.Length; i++) tile.Pixels[i] = LabelledGrid.Background;
        return tile;
    }

    private static int[] CheckShape(KernelHistory history)
    {
        if (history.Epochs.Count == 0) throw new ArgumentException($"layer {history.Layer} has no stored epochs to draw");
        var shape = history.Epochs[0].Weight.Shape;
        if (shape.Length != 4) throw new ArgumentException($"layer {history.Layer} is {string.Join('×', shape)}, not a conv layer (O×I×kH×kW)");
        foreach (var (epoch, weight) in history.Epochs)
            if (!weight.Shape.SequenceEqual(shape))
                throw new ArgumentException($"layer {history.Layer} is {string.Join('×', weight.Shape)} at epoch {epoch} but {string.Join('×', shape)} before");
        return shape;
    }

    /// <summary>The filters to show, in drawing order, and that choice in words for the title.</summary>
    private static (IReadOnlyList<int> Filters, string Words) Choose(KernelHistory history, KernelSelection selection, Func<WeightTensor, WeightTensor> ranked, string rankedBy)
    {
        var count = history.Epochs[0].Weight.Shape[0];
        if (selection.Explicit is { Count: > 0 } named)
        {
            foreach (var f in named)
                if (f < 0 || f >= count) throw new ArgumentException($"layer {history.Layer} has filters {RangeText.Indices(count)}; there is no filter {f}");
            return (named, $"filters {string.Join(", ", named)} of {count}");
        }
        if (selection.Count < 1) throw new ArgumentException("the number of filters to show must be at least 1");
        if (selection.Page is { } page)
        {
            var pages = (count + selection.Count - 1) / selection.Count;
            if (page < 0 || page >= pages) throw new ArgumentException($"layer {history.Layer} has {count} filters, {pages} page(s) of {selection.Count}: pages {RangeText.Of(0, pages - 1)}; there is no page {page}");
            var first = page * selection.Count;
            var shown = Enumerable.Range(first, Math.Min(selection.Count, count - first)).ToList();
            return (shown, $"filters {first}–{shown[^1]} of {count} (page {page} of 0–{pages - 1})");
        }
        if (count <= selection.Count) return (Enumerable.Range(0, count).ToList(), $"all {count} filters");
        var (last, epoch) = (ranked(history.Epochs[^1].Weight), history.Epochs[^1].Epoch);
        var top = Enumerable.Range(0, count).OrderByDescending(f => Norm(last.Filter(f))).ThenBy(f => f).Take(selection.Count).ToList();
        return (top, $"the {selection.Count} of {count} filters with the largest {rankedBy} at epoch {epoch}, largest first");
    }

    private static double Norm(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var v in values) sum += (double)v * v;
        return double.IsNaN(sum) ? double.PositiveInfinity : Math.Sqrt(sum);
    }

    /// <summary>The smallest and largest finite values; (0, 0) when there are none.</summary>
    public static (double Min, double Max) FiniteRange(ReadOnlySpan<float> values)
    {
        var (min, max) = (double.PositiveInfinity, double.NegativeInfinity);
        foreach (var v in values)
        {
            if (!float.IsFinite(v)) continue;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        return min <= max ? (min, max) : (0, 0);
    }

    /// <summary>Three significant figures, written as every other number is (8.81e-6, 0.5): the way values are written in pictures.</summary>
    /// <summary>
    /// The change view's diverging colour bar from −<paramref name="maxAbs"/> to +<paramref name="maxAbs"/>, both ends
    /// written by <see cref="Format"/> as every other number in a picture is (an ASCII minus, as tables and messages write it).
    /// </summary>
    public static ColourBar ChangeScale(double maxAbs, int baselineEpoch) =>
        new(ColorMap.Diverging, "+" + Format(maxAbs), Format(-maxAbs), $"change since epoch {baselineEpoch}, one scale for all", Middle: "0");

    public static string Format(double value) => Contracts.SettingText.Format(value, significantDigits: 3);
}
