using System.Diagnostics;
using Experiments.Analysis.Decoding;
using Experiments.Datasets;
using Experiments.Worker.Engine;

namespace Experiments.Worker.Decoding;

/// <summary>Every filter of one layer decoded into image space (seed 003), with the plan it came from.</summary>
public sealed record DecodedLayer(LayerDecodingPlan Plan, Unpooling Unpooling, FilterBank Filters, TimeSpan Elapsed)
{
    /// <summary>The thresholded views of 003's Fig. 1 and Fig. 4.</summary>
    public FilterBank Thresholded(double fraction = ThresholdedViews.DefaultFraction) => ThresholdedViews.Of(Filters, fraction);
}

/// <summary>
/// How well the decoded filters stand for the layer (003, eq. 3 and Table 1), and which images activate each filter
/// most, measured both through the network and by correlating with the decoded filter (003, Fig. 4 d).
/// </summary>
public sealed record DecodingEvaluation(
    ErrorSummary Error,
    IReadOnlyList<double> ErrorPerImage,
    IReadOnlyList<IReadOnlyList<ImageActivation>> TopByNetwork,
    IReadOnlyList<IReadOnlyList<ImageActivation>> TopByDecodedFilter);

/// <summary>Filter decoding on a model held by the engine: its weights, and its forward pass for the responses.</summary>
public static class LayerDecoder
{
    public static LayerDecodingPlan Plan(Model model, int layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        return DecodingPlanner.Plan(model.Plan, layer, model.ReadFloats);
    }

    public static DecodedLayer Decode(Model model, int layer, Unpooling unpooling)
    {
        var stopwatch = Stopwatch.StartNew();
        var plan = Plan(model, layer);
        var decoded = FilterDecoding.DecodeAll(plan.Filters, plan.StepsDown, unpooling);
        return new DecodedLayer(plan, unpooling, decoded, stopwatch.Elapsed);
    }

    /// <summary>
    /// Runs <paramref name="images"/> through the network, capturing the decoded layer's output (before any activation
    /// that follows it), and compares it with the images correlated with the decoded filters.
    /// </summary>
    public static DecodingEvaluation Evaluate(Model model, DecodedLayer decoded, LabelledImages images, int topImages = 4, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(decoded);
        ArgumentNullException.ThrowIfNull(images);
        var plan = decoded.Plan;
        if (!images.SampleShape.Equals(plan.Input))
            throw new DecodingException($"the images are {images.SampleShape} but the model reads {plan.Input}");

        var (channels, height, width) = (plan.Input.Dims[0], plan.Input.Dims[1], plan.Input.Dims[2]);
        var filters = decoded.Filters.Count;
        var responseSize = filters * plan.ResponseHeight * plan.ResponseWidth;
        var errors = new double[images.Count];
        var byNetwork = new TopActivatingImages(filters, topImages);
        var byDecoded = new TopActivatingImages(filters, topImages);
        var correlation = new FilterCorrelation(decoded.Filters, height, width, plan.Geometry, plan.ResponseHeight, plan.ResponseWidth);

        for (var start = 0; start < images.Count; start += batchSize)
        {
            var count = Math.Min(batchSize, images.Count - start);
            var pixels = images.Pixels.AsSpan(start * images.SampleSize, count * images.SampleSize).ToArray();
            var response = model.Capture(Tensor.Of(pixels, count, channels, height, width), plan.Layer)[0];
            if (response.Elements != (long)count * responseSize)
                throw new DecodingException($"layer {plan.Layer} answered {response} for {count} images; expected {responseSize} values each");

            var reconstructions = new float[count][];
            Parallel.For(0, count, i =>
            {
                var image = pixels.AsSpan(i * images.SampleSize, images.SampleSize);
                var reconstruction = correlation.Correlate(image);
                errors[start + i] = ReconstructionError.OfImage(response.Data.AsSpan(i * responseSize, responseSize), reconstruction);
                reconstructions[i] = reconstruction;
            });
            for (var i = 0; i < count; i++)
            {
                byNetwork.Offer(start + i, response.Data.AsSpan(i * responseSize, responseSize));
                byDecoded.Offer(start + i, reconstructions[i]);
            }
        }
        return new DecodingEvaluation(ErrorSummary.Of(errors), errors, byNetwork.Result(), byDecoded.Result());
    }
}
