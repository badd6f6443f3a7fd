using System.Globalization;
using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Visualization.Imaging;
using Experiments.Visualization.Pictures;
using Experiments.Visualization.Snapshots;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;

namespace Experiments.Visualization.Interpretability;

/// <summary>
/// An image picked from a trial's dataset: its pixels as the model sees them (C×H×W in [−1, 1]), where it came from,
/// its label and the dataset's class names (MNIST's are its digits, "0" to "9").
/// </summary>
public sealed record PickedImage(Tensor Pixels, string Split, int Index, int Label, IReadOnlyList<string> ClassNames)
{
    /// <summary>The name of the image's own class, e.g. "Shirt", or "6" for MNIST.</summary>
    public string ClassName => ClassNames[Label];

    /// <summary>Its class in words: <see cref="Class"/> of its label.</summary>
    public string TrueClass => Class(Label);

    /// <summary>
    /// Class <paramref name="index"/> as figures and messages name it: "6 (Shirt)" where the class has a name, "6" where
    /// its name is its number, so a number is never written twice.
    /// </summary>
    public string Class(int index) =>
        index >= 0 && index < ClassNames.Count && ClassNames[index] != index.ToString(CultureInfo.InvariantCulture)
            ? $"{index.ToString(CultureInfo.InvariantCulture)} ({ClassNames[index]})"
            : index.ToString(CultureInfo.InvariantCulture);

    /// <summary>"test image 7 · true class 6 (Shirt)", or "test image 7 · true class 6" for MNIST.</summary>
    public override string ToString() => $"{Split} image {Index} · true class {TrueClass}";
}

/// <summary>Dataset images for figures that explain one image.</summary>
public static class DatasetImages
{
    /// <summary>Image <paramref name="index"/> of the <paramref name="split"/> split (test or train) of the trial's dataset.</summary>
    /// <exception cref="ArgumentException">The index is out of range, or the dataset's images do not fit the model.</exception>
    public static async Task<PickedImage> PickAsync(ResultsStore store, StoredModel model, string split, int index, string home, CancellationToken ct = default)
    {
        var row = await store.GetTrialAsync(model.TrialId, ct) ?? throw new VizInputException($"there is no trial {model.TrialId}");
        var (train, test) = DatasetCatalog.LoadTrainAndTest(row.Dataset, home);
        return Pick(split == "train" ? train : test, row.Dataset, model, split, index);
    }

    /// <summary>As <see cref="PickAsync"/>, from the split's <paramref name="images"/> already loaded (a dashboard keeps them).</summary>
    /// <exception cref="ArgumentException">As <see cref="PickAsync"/>.</exception>
    public static PickedImage Pick(LabelledImages images, string dataset, StoredModel model, string split, int index)
    {
        if (index < 0 || index >= images.Count)
            throw new VizInputException($"--image {index} is out of range: the {split} split of {dataset} has images {RangeText.Indices(images.Count)}");
        if (!images.SampleShape.Equals(model.Model.Plan.Input))
            throw new VizInputException($"{dataset}'s images are {images.SampleShape}, but trial {model.TrialId}'s model takes {model.Model.Plan.Input}");
        return new PickedImage(new Tensor([.. images.SampleShape.Dims], images.Sample(index).ToArray()), split, index, images.Labels[index], images.ClassNames);
    }

    /// <summary>The model's predicted class for the image (the arg-max logit).</summary>
    public static int Predicted(Model model, PickedImage image)
    {
        var logits = model.Forward(new Tensor([1, .. image.Pixels.Shape], image.Pixels.Data))[^1].Data;
        return Array.IndexOf(logits, logits.Max());
    }
}

/// <summary>
/// Pictures of one image and what a model made of it: the image enlarged, and attribution maps (saliency, Grad-CAM,
/// CAM; seed 004, section 6) as image | map | overlay with a colour bar.
/// </summary>
public static class AttributionPictures
{
    /// <summary>Small images (MNIST's 28×28) are enlarged to about this many pixels a side so a person can see them.</summary>
    public const int PictureSide = 224;

    /// <summary>The whole-number enlargement that brings an image's longer side to about <see cref="PictureSide"/>.</summary>
    public static int Zoom(int height, int width) => Math.Max(1, (int)Math.Ceiling((double)PictureSide / Math.Max(width, height)));

    /// <summary>The image as the model sees it, enlarged by nearest neighbour; no labels (it is the data itself).</summary>
    public static Picture Enlarged(Tensor pixels)
    {
        int channels = pixels.Shape[0], height = pixels.Shape[1], width = pixels.Shape[2];
        var zoom = Zoom(height, width);
        var picture = new Picture(width * zoom, height * zoom, Rgb.White);
        picture.Paint(GridTile.FromImage(pixels.Data, channels, height, width), 0, 0, width * zoom, height * zoom);
        return picture;
    }

    /// <summary>
    /// image | map | overlay, each enlarged to about <see cref="PictureSide"/> pixels a side. The image's label names it;
    /// the map's label says what it explains (<paramref name="mapLabel"/>); the panel's label gives the true and the
    /// predicted class, each with its name where the class has one (<see cref="PickedImage.Class"/>).
    /// <paramref name="heat"/> is the map min–max scaled to [0, 1] (H×W);
    /// <paramref name="range"/> is the map's value range before scaling, which the viridis colour bar names, with
    /// <paramref name="scale"/> saying what the values are. A blank map (<paramref name="blank"/> says why) has no heat
    /// to show: its tile is hatched grey, still labelled with its class and logit, the overlay is the image alone, so it
    /// cannot be read as a map that found nothing of interest in a flat colour, and a note stands where the colour bar would.
    /// </summary>
    public static Picture Panel(string title, PickedImage image, int predicted, Tensor heat, (double Low, double High) range, string? blank, string mapLabel, string scale)
    {
        int channels = image.Pixels.Shape[0], height = image.Pixels.Shape[1], width = image.Pixels.Shape[2];
        var zoom = Zoom(height, width);
        var picture = GridTile.FromImage(image.Pixels.Data, channels, height, width);
        GridTile heatTile, overlay;
        if (blank is null)
        {
            heatTile = GridTile.FromValues(heat.Data, width, height, ColorMap.Viridis, 0, 1);
            overlay = GridTile.Overlay(picture, heatTile);
        }
        else
        {
            overlay = picture;
            heatTile = GridTile.Hatched(width * zoom, height * zoom);
        }
        // The panel's label names both classes ("true 9 (Ankle boot)", "predicted 7 (Sneaker)"), so the image's own
        // label only says which image it is. The label column fits the longest the dataset's classes can make, so every
        // panel of one dataset (the report's, one under another) has its image at the same place.
        string TrueLabel(int c) => $"true {image.Class(c)}";
        string PredictedLabel(int c) => $"predicted {image.Class(c)}";
        var panel = new GridPanel(TrueLabel(image.Label), PredictedLabel(predicted),
        [[
            new GridGroup($"{image.Split} image {image.Index.ToString(CultureInfo.InvariantCulture)}", [picture]),
            new GridGroup(mapLabel, [heatTile]),
            new GridGroup("overlay", [overlay]),
        ]]);
        // A blank map has no values to read: a note takes the colour bar's place, so the panel keeps its width.
        var bar = blank is null
            ? new ColourBar(ColorMap.Viridis, $"{KernelPictures.Format(range.High)} (peak)", KernelPictures.Format(range.Low), scale)
            : ColourBar.Note($"blank map: no evidence ({blank}); no colour scale");
        var labelWidth = Enumerable.Range(0, image.ClassNames.Count).Max(c => Math.Max(
            PictureText.Width(TrueLabel(c), PictureText.LabelSize), PictureText.Width(PredictedLabel(c), PictureText.SmallSize)));
        return LabelledGrid.Draw(title, [panel], width * zoom, height * zoom, bar, labelWidth: labelWidth);
    }
}

/// <summary>Feature maps of one image over the epochs (seed 000, Fig. 10–12).</summary>
public static class ActivationPictures
{
    /// <summary>Maps are enlarged to about this many pixels a side.</summary>
    public const int TileSide = 56;

    /// <summary>
    /// The maps of each epoch in channel order: one panel per epoch (labelled with the epoch and its own value range),
    /// one line, or 25 maps a line beyond 32 maps. Every epoch is drawn on one grey scale, black the lowest and white
    /// the highest value over all the shown epochs, which the colour bar names, so epochs (and the animation's frames,
    /// one epoch's panel each, with the same colour bar) compare directly. Maps of 1×1 (lenet-matconvnet's 500×1×1
    /// output of layer 4) are one value per channel: each epoch's channels are drawn as one block
    /// (<see cref="KernelPictures.ChannelBlock"/>, 500 → 25×20) enlarged to about <see cref="AttributionPictures.PictureSide"/>
    /// pixels, instead of 500 one-pixel tiles, with how to read it above it ("channel = 25·row + column").
    /// </summary>
    /// <returns>The grid, and one frame per epoch.</returns>
    public static (Picture Grid, IReadOnlyList<Picture> Frames) Draw(IReadOnlyList<LayerActivation> epochs, string title)
    {
        if (epochs.Count == 0) throw new ArgumentException("no epochs to draw", nameof(epochs));
        int channels = epochs[0].Output.Shape[0], height = epochs[0].Output.Shape[1], width = epochs[0].Output.Shape[2];
        var (low, high) = KernelPictures.FiniteRange(epochs.SelectMany(e => e.Output.Data).ToArray());
        var bar = new ColourBar(ColorMap.Grey, KernelPictures.Format(high), KernelPictures.Format(low), "one scale for every epoch; each epoch's own range at the left");
        var block = height == 1 && width == 1 && channels > 1 ? KernelPictures.ChannelBlock(channels) : ((int Width, int Height)?)null;
        var (tileWidth, tileHeight) = block is { } b ? (b.Width, b.Height) : (width, height);
        var zoom = Math.Max(1, (int)Math.Ceiling((double)(block is null ? TileSide : AttributionPictures.PictureSide) / Math.Max(tileWidth, tileHeight)));
        // The rule for reading the block goes over it, where it fits; the title, already long, only names the block.
        if (block is { } cells) title += $"; its {channels} 1×1 maps as a {cells.Width}×{cells.Height} block";
        var columns = channels <= 32 ? channels : 25;
        var panels = epochs.Select(e =>
        {
            var (ownLow, ownHigh) = KernelPictures.FiniteRange(e.Output.Data);
            IReadOnlyList<IReadOnlyList<GridGroup>> lines = block is { } cells
                ? [[new GridGroup($"channel = {cells.Width.ToString(CultureInfo.InvariantCulture)}·row + column", [KernelPictures.ChannelBlockTile(e.Output.Data, cells, ColorMap.Grey, low, high)])]]
                : [.. Enumerable.Range(0, channels).Select(c => new GridGroup(c.ToString(CultureInfo.InvariantCulture),
                        [GridTile.FromValues(e.Output.Data.AsSpan(c * width * height, width * height), width, height, ColorMap.Grey, low, high)]))
                    .Chunk(columns).Select(l => (IReadOnlyList<GridGroup>)l)];
            return new GridPanel($"epoch {e.Epoch.ToString(CultureInfo.InvariantCulture)}", $"{KernelPictures.Format(ownLow)}…{KernelPictures.Format(ownHigh)}", lines);
        }).ToList();
        var (grid, frames, _) = LabelledGrid.DrawWithFrames(title, panels, tileWidth * zoom, tileHeight * zoom, bar);
        return (grid, frames);
    }
}
