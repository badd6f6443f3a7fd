using Experiments.Architectures;
using Experiments.Worker.Engine;

namespace Experiments.Worker.Interpretability;

/// <summary>Simonyan et al.'s saliency map of one image for one class.</summary>
/// <param name="Class">The class whose score was differentiated.</param>
/// <param name="Score">That class's pre-softmax logit.</param>
/// <param name="InputGradient">d(score)/d(image), <c>C × H × W</c>.</param>
/// <param name="Map">max over channels of |d(score)/d(image)|, <c>H × W</c>, unscaled.</param>
public sealed record SaliencyMap(int Class, float Score, Tensor InputGradient, Tensor Map)
{
    /// <summary>Why the map shows no evidence (<see cref="Attribution.Blankness"/>), or null when it shows some.</summary>
    public string? Blank => Attribution.Blankness(Map);
}

/// <summary>A class activation map (CAM or Grad-CAM) of one image, one class and one layer.</summary>
/// <param name="Layer">The top-level layer whose output <c>A</c> (<c>K × h × w</c>) the map is made of.</param>
/// <param name="Class">The class.</param>
/// <param name="Score">That class's pre-softmax logit.</param>
/// <param name="ChannelWeights">The weight of each channel <c>A^k</c>: α_k for Grad-CAM, the linear layer's w_ck for CAM.</param>
/// <param name="Raw">Σ_k weight_k·A^k at the layer's resolution (after ReLU for Grad-CAM), unscaled.</param>
/// <param name="Upsampled"><see cref="Raw"/> resized to the image by <see cref="Bilinear"/> (align_corners = false) and
/// min–max normalised to [0, 1]; all zeros when the resized map is constant, which <see cref="Blank"/> then says.</param>
public sealed record ClassActivationMap(int Layer, int Class, float Score, float[] ChannelWeights, Tensor Raw, Tensor Upsampled)
{
    /// <summary>Why the map shows no evidence (<see cref="Attribution.Blankness"/>), or null when it shows some.</summary>
    public string? Blank => Attribution.Blankness(Raw);
}

/// <summary>
/// Attribution maps of seed 004, section 6, for one image (<c>C × H × W</c>) of a model in evaluation mode. The score
/// of a class is its pre-softmax logit. When no class is given, the model's predicted class (the arg-max logit) is used.
/// </summary>
public static class Attribution
{
    /// <summary>Saliency (Simonyan, Vedaldi and Zisserman 2014): the largest |input gradient| over the channels of each pixel.</summary>
    public static SaliencyMap Saliency(Model model, Tensor image, int? targetClass = null)
    {
        var batch = AsBatch(model, image);
        var chosen = RequireClass(model, targetClass ?? PredictedClass(model, batch));
        var gradients = model.ClassGradients(batch, [chosen]);
        var gradient = new Tensor(image.Shape, gradients.InputGradient.Data);
        return new SaliencyMap(chosen, gradients.Logits.Data[chosen], gradient, ChannelMaxAbs(gradient));
    }

    /// <summary>
    /// Grad-CAM (Selvaraju et al. 2017) at <paramref name="layer"/>: α_k is the spatial mean of d(score)/dA^k and the map
    /// is ReLU(Σ_k α_k A^k), then resized to the image and normalised.
    /// </summary>
    /// <exception cref="ArgumentException">The layer does not exist, or its output is not a stack of maps.</exception>
    public static ClassActivationMap GradCam(Model model, Tensor image, int layer, int? targetClass = null)
    {
        var batch = AsBatch(model, image);
        RequireMaps(model, layer);
        var chosen = RequireClass(model, targetClass ?? PredictedClass(model, batch));
        var gradients = model.ClassGradients(batch, [chosen], layer);
        var activation = gradients.Activation!;
        var gradient = gradients.ActivationGradient!.Data;
        int channels = activation.Shape[1], height = activation.Shape[2], width = activation.Shape[3], plane = height * width;

        var alpha = new float[channels];
        for (var k = 0; k < channels; k++)
        {
            var sum = 0.0;
            for (var i = 0; i < plane; i++) sum += gradient[k * plane + i];
            alpha[k] = (float)(sum / plane);
        }
        var raw = WeightedSum(activation.Data, alpha, channels, height, width, relu: true);
        return new ClassActivationMap(layer, chosen, gradients.Logits.Data[chosen], alpha, raw, UpsampleAndNormalise(raw, image));
    }

    /// <summary>
    /// CAM (Zhou et al. 2016), for a network that ends in global average pooling followed by a linear layer: the map of
    /// class c is Σ_k w_ck A^k, where A is the pooling's input and w the linear layer's weights (bias left out, as in
    /// the paper; no ReLU). It needs no gradient.
    /// </summary>
    /// <exception cref="ArgumentException">The architecture does not end in global average pooling and a linear layer.</exception>
    public static ClassActivationMap Cam(Model model, Tensor image, int? targetClass = null)
    {
        var batch = AsBatch(model, image);
        var (featureLayer, linearLayer) = CamLayers(model.Plan);
        var outputs = model.Forward(batch, featureLayer);
        var (activation, logits) = (outputs[0], outputs[^1]);
        var chosen = RequireClass(model, targetClass ?? ArgMax(logits.Data));

        int channels = activation.Shape[1], height = activation.Shape[2], width = activation.Shape[3];
        var weights = model.ReadFloats($"{linearLayer}.weight").AsSpan(chosen * channels, channels).ToArray();
        var raw = WeightedSum(activation.Data, weights, channels, height, width, relu: false);
        return new ClassActivationMap(featureLayer, chosen, logits.Data[chosen], weights, raw, UpsampleAndNormalise(raw, image));
    }

    /// <summary>
    /// The layers CAM reads: the global average pooling's input and the linear layer after it. Dropout (an identity in
    /// evaluation) may sit between them, and softmax (an identity on logits) after.
    /// </summary>
    /// <exception cref="ArgumentException">The architecture does not have that ending.</exception>
    public static (int FeatureLayer, int LinearLayer) CamLayers(ArchitecturePlan plan)
    {
        var layers = plan.Layers;
        var end = layers.Count - 1;
        while (end >= 0 && layers[end].Layer is SoftmaxLayer) end--;
        var linear = end;
        var pool = linear - 1;
        while (pool >= 0 && layers[pool].Layer is DropoutLayer) pool--;
        if (linear < 0 || layers[linear].Layer is not LinearLayer || pool < 1 || layers[pool].Layer is not GlobalAveragePoolLayer)
            throw new ArgumentException(
                $"CAM needs an architecture that ends in global average pooling followed by a linear layer; {plan.Architecture.Name} ends in " +
                string.Join(" → ", layers.TakeLast(3).Select(l => $"{l.Index} {l.Description}")) +
                ". Grad-CAM works at any layer with feature maps: `viz gradcam --layer L`.");
        return (pool - 1, linear);
    }

    /// <summary>
    /// The layer Grad-CAM explains when none is named, chosen as Selvaraju et al. and the reference implementations
    /// (e.g. pytorch-grad-cam) choose it: the output of the last convolutional block after its nonlinearity, i.e. the
    /// last activation (ReLU, tanh, sigmoid, or a residual block, which ends in its ReLU) whose maps are larger than
    /// 1×1, before the first flatten or global pooling. Grad-CAM assumes non-negative feature maps: before the
    /// nonlinearity Σ_k α_k A^k is signed, so it is often negative everywhere (a blank map) or largest where the
    /// background's constant input drives the features (the heat lands beside the object).
    /// </summary>
    /// <exception cref="ArgumentException">The architecture has no such layer; the message says why.</exception>
    public static int GradCamLayer(ArchitecturePlan plan)
    {
        var beforeFlattening = plan.Layers.TakeWhile(l => l.Layer is not (FlattenLayer or GlobalAveragePoolLayer)).ToList();
        static bool Nonlinear(PlannedLayer l) => l.Layer is ActivationLayer or ResidualBlockLayer && l.Output.Rank == 3;
        var target = beforeFlattening.LastOrDefault(l => Nonlinear(l) && l.Output.Dims[1] * l.Output.Dims[2] > 1);
        if (target is not null) return target.Index;

        var name = plan.Architecture.Name;
        var withMaps = string.Join(", ", beforeFlattening.Where(l => l.Output.Rank == 3 && l.Output.Dims[1] * l.Output.Dims[2] > 1)
            .Select(l => $"{l.Index} {l.Description}"));
        var first = beforeFlattening.FirstOrDefault(Nonlinear);
        if (withMaps.Length == 0)
            throw new ArgumentException($"{name} has no feature maps (no layer outputs C×H×W with more than one pixel), so Grad-CAM does not apply; " +
                                        "saliency explains any network by its input pixels.");
        throw new ArgumentException(first is null
            ? $"{name} has no nonlinearity on its feature maps, so Grad-CAM has no layer to explain by default: unrectified maps " +
              $"({withMaps}) are signed, and the map then shows the background as readily as the object. Name a layer to draw one anyway (`viz gradcam --layer L`)."
            : $"{name} has no rectified feature maps larger than 1×1, so Grad-CAM has no layer to explain by default: its first nonlinearity, " +
              $"layer {first.Index} ({first.Description}), outputs {first.Output}, which has nothing to localise, and the maps " +
              $"before it ({withMaps}) are signed, so the map there shows the background as readily as the object. Name a layer to draw one anyway (`viz gradcam --layer L`).");
    }

    // A map counts as nearly all zero when fewer than this share of its pixels reach this share of its peak.
    private const double EvidenceShare = 0.01;

    /// <summary>
    /// Why <paramref name="map"/> shows no evidence, or null when it shows some. A constant map (all zeros, as
    /// Grad-CAM's ReLU leaves a map whose weighted sum is negative everywhere, or a 1×1 map) has no place to point
    /// at, and min–max normalisation would draw it as one flat colour, a confident-looking picture of nothing. A map
    /// where fewer than 1% of the pixels reach 1% of its peak is nearly all zero and flagged too.
    /// </summary>
    public static string? Blankness(Tensor map)
    {
        var values = map.Data;
        if (values.Length == 0) return "it is empty";
        if (values.Any(v => !float.IsFinite(v))) return "it holds NaN or infinite values";
        var (low, high) = (values.Min(), values.Max());
        var range = (double)high - low;
        // A range at float rounding noise of the values is still a constant map.
        if (range <= 1e-6 * Math.Max(Math.Abs((double)low), Math.Abs((double)high)))
            return high == 0 ? "every value is 0" : $"every value is {high.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}";
        var reaching = values.Count(v => v - low >= EvidenceShare * range);
        return reaching < EvidenceShare * values.Length
            ? $"it is nearly all zero: only {reaching} of {values.Length} values reach 1% of its peak"
            : null;
    }

    /// <summary>max over channels of |g|, for a <c>C × H × W</c> gradient.</summary>
    public static Tensor ChannelMaxAbs(Tensor gradient)
    {
        int channels = gradient.Shape[0], plane = gradient.Shape[1] * gradient.Shape[2];
        var map = new float[plane];
        for (var c = 0; c < channels; c++)
            for (var i = 0; i < plane; i++)
                map[i] = Math.Max(map[i], Math.Abs(gradient.Data[c * plane + i]));
        return new Tensor([gradient.Shape[1], gradient.Shape[2]], map);
    }

    /// <summary>
    /// Min–max normalisation to [0, 1]; a constant map (no evidence anywhere) becomes all zeros, so check
    /// <see cref="Blankness"/> before drawing it as if it were an answer.
    /// </summary>
    public static Tensor Normalise(Tensor map)
    {
        var (low, high) = (map.Data.Min(), map.Data.Max());
        var range = (double)high - low;
        var values = range > 0 ? map.Data.Select(v => (float)((v - (double)low) / range)).ToArray() : new float[map.Data.Length];
        return new Tensor(map.Shape, values);
    }

    private static Tensor UpsampleAndNormalise(Tensor raw, Tensor image) =>
        Normalise(Bilinear.Resize(raw, image.Shape[1], image.Shape[2]));

    private static Tensor WeightedSum(float[] activation, float[] weights, int channels, int height, int width, bool relu)
    {
        var plane = height * width;
        var sum = new double[plane];
        for (var k = 0; k < channels; k++)
            for (var i = 0; i < plane; i++)
                sum[i] += (double)weights[k] * activation[k * plane + i];
        return new Tensor([height, width], sum.Select(v => (float)(relu ? Math.Max(0, v) : v)).ToArray());
    }

    private static void RequireMaps(Model model, int layer)
    {
        if (layer < 0 || layer >= model.Plan.Layers.Count) throw new ArgumentException(model.NoSuchLayer(layer));
        var planned = model.Plan.Layers[layer];
        if (planned.Output.Rank != 3 && !model.Plan.Layers.Any(l => l.Output.Rank == 3))
            throw new ArgumentException($"{model.Plan.Architecture.Name} has no feature maps (no layer outputs C×H×W), so Grad-CAM does not apply; " +
                                        "saliency explains any network by its input pixels.");
        if (planned.Output.Rank != 3)
            throw new ArgumentException(
                $"Grad-CAM needs a layer whose output is a stack of maps (C×H×W); layer {layer} ({planned.Description}) outputs {planned.Output}. " +
                $"Layers with maps: {string.Join(", ", model.Plan.Layers.Where(l => l.Output.Rank == 3).Select(l => $"{l.Index} {l.Description}"))}.");
    }

    private static int RequireClass(Model model, int target)
    {
        var classes = checked((int)model.Plan.Output.Elements);
        return target >= 0 && target < classes
            ? target
            : throw new ArgumentException($"class {target} does not exist: {model.Plan.Architecture.Name} has {classes} classes ({RangeText.Indices(classes)}).");
    }

    private static Tensor AsBatch(Model model, Tensor image)
    {
        var expected = model.Plan.Input;
        if (!image.Shape.SequenceEqual(expected.Dims) || expected.Rank != 3)
            throw new ArgumentException($"attribution needs one image of {model.Plan.Architecture.Name}'s input {expected}, got {string.Join('×', image.Shape)}.");
        return new Tensor([1, .. image.Shape], image.Data);
    }

    private static int PredictedClass(Model model, Tensor batch) => ArgMax(model.Forward(batch)[^1].Data);

    private static int ArgMax(float[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }
}
