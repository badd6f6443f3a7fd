using System.Globalization;
using Experiments.Analysis;
using Experiments.Datasets;
using Experiments.Visualization.Interpretability;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;

namespace Experiments.Visualization;

/// <summary>The files of a probability figure: the bar chart and the image it is about.</summary>
/// <param name="Chart">probabilities-&lt;split&gt;-&lt;i&gt;-epoch-&lt;E&gt;.svg.</param>
/// <param name="Image">image-&lt;split&gt;-&lt;i&gt;.png, the image enlarged.</param>
public sealed record ProbabilityFiles(string Chart, string Image);

/// <summary>
/// The softmax class probabilities of one image (seed 002, Fig. 5), computed by the trial's model at its loaded epoch
/// and drawn by <see cref="TrialFigures.ProbabilityChart"/> beside the image itself. <c>viz probabilities</c> and the
/// report both draw it here.
/// </summary>
public static class ProbabilityFigure
{
    /// <summary>
    /// probabilities-&lt;split&gt;-&lt;i&gt;-epoch-&lt;E&gt;.svg (bars, the true class highlighted) and image-&lt;split&gt;-&lt;i&gt;.png
    /// (the image enlarged) in <paramref name="directory"/>; <paramref name="probabilities"/> are the softmax of the
    /// model's logits for <paramref name="image"/>, one per class. The classes are named after
    /// <paramref name="dataset"/>'s (<see cref="ClassNamesOf"/>).
    /// </summary>
    public static ProbabilityFiles Write(string directory, StoredModel model, PickedImage image, string dataset, out double[] probabilities, bool logScale = false)
    {
        var drawn = Draw(model, image, dataset, logScale);
        probabilities = drawn.Probabilities;
        return new ProbabilityFiles(drawn.Chart.Save(directory), drawn.Image.Save(directory));
    }

    /// <summary>
    /// The chart and the enlarged image <see cref="Write"/> writes, in memory, with the probabilities they show (the
    /// softmax of the model's logits at its loaded epoch, one per class).
    /// </summary>
    public static (FigureFile Chart, FigureFile Image, double[] Probabilities) Draw(StoredModel model, PickedImage image, string dataset, bool logScale = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        var logits = model.Model.Forward(new Tensor([1, .. image.Pixels.Shape], image.Pixels.Data))[^1].Data;
        var probabilities = Softmax.FromLogits(logits, logits.Length);
        var names = ClassNamesOf(dataset, logits.Length);
        var chart = TrialFigures.ProbabilityChartFigure(model.TrialId, model.LoadedEpoch!.Value, image.Split, image.Index, names, probabilities, image.Label, logScale);
        using var enlarged = AttributionPictures.Enlarged(image.Pixels);
        return (chart, new FigureFile($"image-{image.Split}-{image.Index}.png", enlarged.EncodePng()), probabilities);
    }

    /// <summary>Above this top probability the runners-up are invisible on a linear axis, so the report draws a log one.</summary>
    public const double LogScaleAbove = 0.9;

    /// <summary>
    /// The caption of the chart <see cref="Write"/> draws, worded from what it shows: an orange bar only when the
    /// prediction (the largest of <paramref name="probabilities"/>) is not <paramref name="trueClass"/>, and the log axis
    /// when <paramref name="logScale"/>.
    /// </summary>
    public static string Caption(IReadOnlyList<double> probabilities, int trueClass, bool logScale)
    {
        var bars = ArgMax(probabilities) == trueClass
            ? "the true class, which is also the predicted one, in red"
            : "the true class in red, the predicted class in orange";
        var axis = logScale
            ? $"; on a log axis, since the top class holds more than {(LogScaleAbove * 100).ToString(CultureInfo.InvariantCulture)}% and the others would not show on a linear one"
            : "";
        return $"Softmax probability per class; {bars}{axis}";
    }

    /// <summary>The dataset's class names when it is a known one with that many classes, else the class numbers.</summary>
    public static IReadOnlyList<string> ClassNamesOf(string dataset, int classes) =>
        DatasetCatalog.TryGet(dataset, out var descriptor) && descriptor.Classes == classes
            ? descriptor.ClassNames
            : [.. Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture))];

    /// <summary>The index of the largest value, the first on a tie; a NaN is passed over while a later value is a number.</summary>
    public static int ArgMax(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var best = 0;
        for (var i = 1; i < values.Count; i++)
            if (values[i] > values[best] || double.IsNaN(values[best])) best = i;
        return best;
    }
}
