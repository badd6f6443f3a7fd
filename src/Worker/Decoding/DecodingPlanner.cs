using Experiments.Analysis.Decoding;
using Experiments.Architectures;

namespace Experiments.Worker.Decoding;

/// <summary>
/// What decoding one layer needs: the layer's filters, the steps that take them down to the image (top-down), where
/// each unit of the layer's response looks in the image, and the size of that response.
/// </summary>
public sealed record LayerDecodingPlan(
    int Layer, FilterBank Filters, IReadOnlyList<DecodingStep> StepsDown, ResponseGeometry Geometry,
    TensorShape Input, int ResponseHeight, int ResponseWidth);

/// <summary>
/// Maps seed 003's filter decoding onto our architectures (src/Architectures): which of our layers are 003's, and
/// what each layer below the decoded one becomes on the way down.
/// </summary>
/// <remarks>
/// <para><b>Numbering.</b> A layer is named by its top-level index in the layer list, which is also the prefix of its
/// PyTorch state-dict tensors (<c>"2.weight"</c>). MatConvNet, whose LeNet 003 decodes, numbers every layer from 1
/// counting pools and ReLUs as we do, and our <c>lenet-matconvnet</c> lists exactly its layers (with a flatten in
/// place of the final softmax). So 003's layer n is our index n − 1: L1 is <c>0</c> (conv 20@5×5), L3 is <c>2</c> (conv
/// 50@5×5, <c>"2.weight"</c> 50×20×5×5), L5 is <c>4</c> (conv 500@4×4, <c>"4.weight"</c> 500×50×4×4) and L7 is <c>6</c> (conv
/// 10@1×1, <c>"6.weight"</c> 10×500×1×1).</para>
/// <para><b>Layers.</b> A layer to decode is a convolution or a linear layer. Below it, a convolution is a
/// substitution with its weights (OIHW), a max or average pooling an unpooling by its stride, batch normalisation a
/// per-channel scaling by γ/√(σ²+ε), and ReLU, tanh, sigmoid and dropout are passed through: 003 ignores
/// non-linearities, as it ignores biases. A linear layer reading a flattened C×H×W tensor is the convolution with an
/// H×W kernel that it equals (its weight rows reshaped to C×H×W, as flatten orders them), so the classifier of
/// <c>lenet-cifar</c> decodes too. Residual blocks and global average pooling have no substitution rule and are
/// refused, naming the layer.</para>
/// <para><b>Geometry.</b> Going up, each convolution or pooling multiplies the jump between neighbouring units by its
/// stride and moves the first window's corner by −padding·jump; the decoded filter, correlated with the image at
/// those positions, stands for the layer's response.</para>
/// </remarks>
public static class DecodingPlanner
{
    private const float BatchNormEpsilon = 1e-5f;

    /// <param name="readWeights">A float tensor of the model by state-dict name (a model's <c>ReadFloats</c>).</param>
    public static LayerDecodingPlan Plan(ArchitecturePlan plan, int layer, Func<string, float[]> readWeights)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(readWeights);
        var decodable = DecodableLayers(plan);
        if (layer < 0 || layer >= plan.Layers.Count)
            throw new DecodingException($"'{plan.Architecture.Name}' has layers {RangeText.Indices(plan.Layers.Count)}; layer {layer} does not exist. Decodable layers: {Describe(plan, decodable)}");
        if (plan.Input.Rank != 3)
            throw new DecodingException($"'{plan.Architecture.Name}' reads a flat input of {plan.Input}; filter decoding needs images (C×H×W)");

        var steps = new List<DecodingStep>();
        var view = plan.Input;                 // the C×H×W form of the data between layers (flat data keeps its last image form)
        int jumpH = 1, jumpW = 1, cornerH = 0, cornerW = 0;
        FilterBank? top = null;
        var responseHeight = 1;
        var responseWidth = 1;

        for (var index = 0; index <= layer; index++)
        {
            var planned = plan.Layers[index];
            var isTarget = index == layer;
            switch (planned.Layer)
            {
                case Conv2dLayer conv:
                {
                    var weight = readWeights($"{index}.weight");
                    var bank = new FilterBank(conv.OutChannels, view.Dims[0], conv.Kernel.H, conv.Kernel.W, weight);
                    var padding = PaddingOf(conv);
                    cornerH -= padding.H * jumpH;
                    cornerW -= padding.W * jumpW;
                    if (isTarget)
                    {
                        top = bank;
                        responseHeight = planned.Output.Dims[1];
                        responseWidth = planned.Output.Dims[2];
                    }
                    else steps.Insert(0, new Substitution(bank, conv.Stride.H, conv.Stride.W, conv.Dilation.H, conv.Dilation.W));
                    jumpH *= conv.Stride.H;
                    jumpW *= conv.Stride.W;
                    view = planned.Output;
                    break;
                }
                case LinearLayer linear:
                {
                    // A linear layer over C×H×W values is a convolution with a C×H×W kernel and a 1×1 output.
                    var weight = readWeights($"{index}.weight");
                    var (c, h, w) = (view.Dims[0], view.Rank == 3 ? view.Dims[1] : 1, view.Rank == 3 ? view.Dims[2] : 1);
                    if ((long)c * h * w != planned.Input.Elements)
                        throw new DecodingException($"layer {index} (linear) reads {planned.Input} values that no longer have an image form; it cannot be decoded");
                    var bank = new FilterBank(linear.OutFeatures, c, h, w, weight);
                    if (isTarget) top = bank;
                    else steps.Insert(0, new Substitution(bank));
                    view = new TensorShape(linear.OutFeatures, 1, 1);
                    break;
                }
                case PoolLayer pool:
                    if (isTarget) throw NotDecodable(plan, index, decodable, "a pooling layer has no filters");
                    steps.Insert(0, new Unpool(pool.Stride.H, pool.Stride.W));
                    cornerH -= pool.Padding.H * jumpH;
                    cornerW -= pool.Padding.W * jumpW;
                    jumpH *= pool.Stride.H;
                    jumpW *= pool.Stride.W;
                    view = planned.Output;
                    break;
                case BatchNormLayer when !isTarget:
                {
                    if (planned.Input.Rank != 3 && view.Elements != view.Dims[0])
                        throw NotDecodable(plan, index, decodable, "batch norm over flattened features scales single values, not channels");
                    var gamma = readWeights($"{index}.weight");
                    var variance = readWeights($"{index}.running_var");
                    steps.Insert(0, new ChannelScaling(gamma.Zip(variance, (g, v) => g / MathF.Sqrt(v + BatchNormEpsilon)).ToArray()));
                    break;
                }
                case ActivationLayer or DropoutLayer or FlattenLayer when !isTarget:
                    break; // passed through: non-linearities are ignored, and flatten keeps the image form for the linear above
                default:
                    throw NotDecodable(plan, index, decodable,
                        isTarget ? $"a {planned.Layer.Type} layer has no filters" : $"there is no substitution rule for {planned.Layer.Type} below it");
            }
        }

        return new LayerDecodingPlan(layer, top!, steps, new ResponseGeometry(jumpH, jumpW, cornerH, cornerW), plan.Input, responseHeight, responseWidth);
    }

    /// <summary>The layers whose filters can be decoded: convolutions and linear layers with only decodable layers below.</summary>
    public static IReadOnlyList<int> DecodableLayers(ArchitecturePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var result = new List<int>();
        if (plan.Input.Rank != 3) return result;
        foreach (var planned in plan.Layers)
        {
            if (planned.Layer is Conv2dLayer or LinearLayer) result.Add(planned.Index);
            if (planned.Layer is ResidualBlockLayer or GlobalAveragePoolLayer) break;
        }
        return result;
    }

    private static Pair PaddingOf(Conv2dLayer conv) => conv.Padding.Mode switch
    {
        PaddingMode.Valid => Pair.Square(0),
        PaddingMode.Explicit => conv.Padding.Amount,
        PaddingMode.Full => new Pair(conv.Dilation.H * (conv.Kernel.H - 1), conv.Dilation.W * (conv.Kernel.W - 1)),
        // PyTorch's 'same' pads d·(k−1) in all, the smaller half before.
        _ => new Pair(conv.Dilation.H * (conv.Kernel.H - 1) / 2, conv.Dilation.W * (conv.Kernel.W - 1) / 2),
    };

    private static DecodingException NotDecodable(ArchitecturePlan plan, int index, IReadOnlyList<int> decodable, string reason) =>
        new($"layer {index} ({plan.Layers[index].Layer.Type}) of '{plan.Architecture.Name}' cannot be decoded: {reason}. Decodable layers: {Describe(plan, decodable)}");

    private static string Describe(ArchitecturePlan plan, IReadOnlyList<int> decodable) =>
        decodable.Count == 0 ? "none" : string.Join(", ", decodable.Select(i => $"{i} ({plan.Layers[i].Layer.Type})"));
}

/// <summary>A layer that cannot be decoded, with the reason and the layers that can: a bad argument, so the CLI says so plainly.</summary>
public sealed class DecodingException(string message) : ArgumentException(message);
