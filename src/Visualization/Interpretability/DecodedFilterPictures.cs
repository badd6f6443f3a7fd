using System.Globalization;
using Experiments.Analysis.Decoding;
using Experiments.Datasets;
using Experiments.Visualization.Imaging;
using Experiments.Visualization.Pictures;
using Experiments.Worker.Decoding;

namespace Experiments.Visualization.Interpretability;

/// <summary>The pictures and the report of seed 003's filter decoding by substitution.</summary>
public static class DecodedFilterPictures
{
    // About this many screen pixels per tile side: a 28×28 decoded filter is drawn at ×2, a 14×14 one at ×4.
    private const int TilePixels = 56;

    /// <summary>Filters a line in <see cref="FilterGrid"/>.</summary>
    public const int Columns = 25;

    public static int Zoom(int height, int width) => Math.Max(1, TilePixels / Math.Max(height, width));

    /// <summary>
    /// Every decoded filter, one tile per input channel (channels side by side, their indices above), <see cref="Columns"/>
    /// filters a line, each labelled with its index. Each filter is rescaled to black–white over its own range; a signed
    /// (thresholded) bank maps −1, 0, +1 to black, grey, white. The colour bar says which.
    /// </summary>
    public static Picture FilterGrid(FilterBank bank, bool signed, string title)
    {
        var zoom = Zoom(bank.Height, bank.Width);
        var plane = bank.Height * bank.Width;
        var channelLabels = bank.Channels > 1 ? Enumerable.Range(0, bank.Channels).Select(c => "c" + c.ToString(CultureInfo.InvariantCulture)).ToList() : null;
        var groups = Enumerable.Range(0, bank.Count).Select(k =>
        {
            var filter = bank.Filter(k).ToArray();
            var (min, max) = signed ? (-1.0, 1.0) : Snapshots.KernelPictures.FiniteRange(filter);
            var tiles = Enumerable.Range(0, bank.Channels)
                .Select(c => (GridTile?)GridTile.FromValues(filter.AsSpan(c * plane, plane), bank.Width, bank.Height, ColorMap.Grey, min, max)).ToList();
            return new GridGroup(k.ToString(CultureInfo.InvariantCulture), tiles, channelLabels);
        }).ToList();
        var panel = new GridPanel("filters", null, [.. groups.Chunk(Columns).Select(l => (IReadOnlyList<GridGroup>)l)]);
        var bar = signed
            ? new ColourBar(ColorMap.Grey, "+1", "−1", "sign of values ≥ the threshold × the filter's peak |value|", Middle: "0")
            : new ColourBar(ColorMap.Grey, "max", "min", "each filter to its own range");
        return LabelledGrid.Draw(title, [panel], bank.Width * zoom, bank.Height * zoom, bar);
    }

    /// <summary>
    /// One panel per filter: the decoded filter and its thresholded view (003, Fig. 1 and 4; channels averaged into one
    /// tile), then its top images by the network's response (Fig. 4 c, f), then its top images by correlation with the
    /// decoded filter (Fig. 4 d).
    /// </summary>
    public static Picture TopImages(FilterBank decoded, FilterBank thresholded, DecodingEvaluation evaluation, LabelledImages images, IReadOnlyList<int> filters, string title)
    {
        var (channels, height, width) = (images.SampleShape.Dims[0], images.SampleShape.Dims[1], images.SampleShape.Dims[2]);
        var zoom = Zoom(height, width);
        var keep = evaluation.TopByNetwork.Count == 0 ? 0 : evaluation.TopByNetwork.Max(t => t.Count);
        GridTile Image(int index) => GridTile.FromImage(images.Sample(index), channels, height, width);
        GridTile?[] Padded(IEnumerable<GridTile> tiles) => [.. tiles.Cast<GridTile?>().Concat(Enumerable.Repeat<GridTile?>(null, keep)).Take(keep)];
        var panels = filters.Select(k => new GridPanel($"filter {k.ToString(CultureInfo.InvariantCulture)}", null, [[
            new GridGroup("decoded", [Summary(decoded, k, signed: false), Summary(thresholded, k, signed: true)], ["filter", "sign"]),
            new GridGroup("top by response", Padded(evaluation.TopByNetwork[k].Select(a => Image(a.Image)))),
            new GridGroup("top by decoded filter", Padded(evaluation.TopByDecodedFilter[k].Select(a => Image(a.Image)))),
        ]])).ToList();
        return LabelledGrid.Draw(title, panels, width * zoom, height * zoom);
    }

    /// <summary>A filter's channels averaged into one tile, for the top-images figure where a filter has one tile.</summary>
    private static GridTile Summary(FilterBank bank, int filter, bool signed)
    {
        var plane = new float[bank.Height * bank.Width];
        var values = bank.Filter(filter);
        for (var c = 0; c < bank.Channels; c++)
            for (var i = 0; i < plane.Length; i++) plane[i] += values[c * plane.Length + i] / bank.Channels;
        var (min, max) = signed ? (-1.0, 1.0) : Snapshots.KernelPictures.FiniteRange(plane);
        return GridTile.FromValues(plane, bank.Width, bank.Height, ColorMap.Grey, min, max);
    }

    /// <summary>decode.json: the decoding's geometry, time, reconstruction MSE and every filter's top images.</summary>
    public static object Report(long trial, int epoch, DecodedLayer decoded, DecodingEvaluation evaluation, LabelledImages images)
    {
        object Tops(IReadOnlyList<ImageActivation> top) =>
            top.Select(a => new { testImage = a.Image, label = images.Labels[a.Image], activation = a.Activation }).ToArray();
        var plan = decoded.Plan;
        return new
        {
            trial,
            epoch,
            layer = plan.Layer,
            unpooling = decoded.Unpooling.ToString().ToLowerInvariant(),
            decodedShape = new[] { decoded.Filters.Count, decoded.Filters.Channels, decoded.Filters.Height, decoded.Filters.Width },
            geometry = plan.Geometry,
            decodeSeconds = decoded.Elapsed.TotalSeconds,
            reconstructionMse = new { mean = evaluation.Error.Mean, standardDeviation = evaluation.Error.StandardDeviation, images = evaluation.Error.Images },
            filters = Enumerable.Range(0, decoded.Filters.Count).Select(k => new
            {
                filter = k,
                topByNetwork = Tops(evaluation.TopByNetwork[k]),
                topByDecodedFilter = Tops(evaluation.TopByDecodedFilter[k]),
            }).ToArray(),
        };
    }
}
