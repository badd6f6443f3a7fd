namespace Experiments.Architectures;

/// <summary>
/// Resolves an architecture against an input shape: every layer's output shape and its state tensors,
/// named and shaped exactly as PyTorch's <c>nn.Sequential</c> state dict would hold them. Anything that
/// cannot run is rejected here, before a trial is scheduled, with the layer and the arithmetic in the message.
/// </summary>
public static class ShapeInference
{
    /// <summary>Plans against the input the architecture declares.</summary>
    public static ArchitecturePlan Plan(Architecture architecture) =>
        Plan(architecture, architecture.Input
            ?? throw new ArchitectureException($"architecture '{architecture.Name}' declares no input shape; give one (e.g. 3x32x32)"));

    public static ArchitecturePlan Plan(Architecture architecture, TensorShape input)
    {
        if (input.Rank is not (1 or 3))
            throw new ArchitectureException(
                $"input {input} has {input.Rank} dimensions; give channels × height × width (e.g. 1×{input}) or a flat feature count");
        if (architecture.Layers.Count == 0)
            throw new ArchitectureException($"architecture '{architecture.Name}' has no layers");

        var planned = new List<PlannedLayer>(architecture.Layers.Count);
        var shape = input;
        for (var index = 0; index < architecture.Layers.Count; index++)
        {
            var layer = architecture.Layers[index];
            var context = new LayerContext(index, layer);
            foreach (var (key, message) in LayerRules.Check(layer))
                throw context.Error($"{key} {message}");
            if (layer is SoftmaxLayer && index != architecture.Layers.Count - 1)
                throw context.Error(LayerRules.SoftmaxNotLast(index, architecture.Layers.Count));

            var (output, tensors) = PlanLayer(context, shape);
            planned.Add(new PlannedLayer(index, layer, shape, output, tensors));
            shape = output;
        }

        if (shape.Rank != 1)
            throw new LayerContext(planned.Count - 1, planned[^1].Layer).Error(
                $"the last layer outputs {shape}; class scores must be flat: add a flatten layer");

        return new ArchitecturePlan(architecture, input, planned);
    }

    /// <summary>The padding a convolution applies on each side; <c>same</c> has none fixed (PyTorch splits d·(k−1) unevenly).</summary>
    internal static Pair ResolvePadding(Conv2dLayer conv) => conv.Padding.Mode switch
    {
        PaddingMode.Valid => Pair.Square(0),
        PaddingMode.Explicit => conv.Padding.Amount,
        PaddingMode.Full => new Pair(conv.Dilation.H * (conv.Kernel.H - 1), conv.Dilation.W * (conv.Kernel.W - 1)),
        _ => throw new InvalidOperationException("'same' padding depends on the input and is resolved by the engine"),
    };

    private static (TensorShape Output, IReadOnlyList<PlannedTensor> Tensors) PlanLayer(LayerContext context, TensorShape input)
    {
        var prefix = $"{context.Index}.";
        switch (context.Layer)
        {
            case Conv2dLayer conv:
            {
                var (c, h, w) = context.RequireImage(input);
                TensorShape output;
                if (conv.Padding.Mode == PaddingMode.Same)
                {
                    output = new TensorShape(conv.OutChannels, h, w);
                }
                else
                {
                    var padding = ResolvePadding(conv);
                    var height = Window.Of(h, conv.Kernel.H, conv.Stride.H, padding.H, conv.Dilation.H);
                    var width = Window.Of(w, conv.Kernel.W, conv.Stride.W, padding.W, conv.Dilation.W);
                    context.RequireFits(input, height, width, KernelPhrase(conv.Kernel, conv.Dilation, "kernel"), padding);
                    output = new TensorShape(conv.OutChannels, context.Checked(height.Output, "output height overflows"), context.Checked(width.Output, "output width overflows"));
                }
                var tensors = new List<PlannedTensor> { new(prefix + "weight", [conv.OutChannels, c, conv.Kernel.H, conv.Kernel.W]) };
                if (conv.Bias) tensors.Add(new(prefix + "bias", [conv.OutChannels]));
                return (output, tensors);
            }

            case PoolLayer pool:
            {
                var (c, h, w) = context.RequireImage(input);
                var height = Window.Of(h, pool.Kernel.H, pool.Stride.H, pool.Padding.H, 1);
                var width = Window.Of(w, pool.Kernel.W, pool.Stride.W, pool.Padding.W, 1);
                context.RequireFits(input, height, width, $"{LayerDescriptions.Dims(pool.Kernel)} pooling window", pool.Padding);
                return (new TensorShape(c, (int)height.Output, (int)width.Output), []);
            }

            case BatchNormLayer:
                // BatchNorm2d normalises per channel, BatchNorm1d per feature: either way one set per dims[0].
                return (input, BatchNorm(prefix, input.Dims[0]));

            case FlattenLayer:
                return (new TensorShape(context.Checked(input.Elements, $"flattening {input} gives too many features")), []);

            case LinearLayer linear:
            {
                if (input.Rank != 1)
                    throw context.Error($"needs a flat input but gets {input}; add a flatten layer before it");
                var tensors = new List<PlannedTensor> { new(prefix + "weight", [linear.OutFeatures, input.Dims[0]]) };
                if (linear.Bias) tensors.Add(new(prefix + "bias", [linear.OutFeatures]));
                return (new TensorShape(linear.OutFeatures), tensors);
            }

            case ResidualBlockLayer block:
                return PlanResidual(context, prefix, block, input);

            case GlobalAveragePoolLayer:
            {
                var (c, _, _) = context.RequireImage(input);
                return (new TensorShape(c), []);
            }

            case ActivationLayer or DropoutLayer or SoftmaxLayer:
                return (input, []);

            default:
                throw context.Error($"layer type {context.Layer.GetType().Name} is not supported by shape inference");
        }
    }

    /// <summary>torchvision's BasicBlock: conv3×3(stride) → bn → relu → conv3×3 → bn, plus a 1×1 projection when the shape changes.</summary>
    private static (TensorShape, IReadOnlyList<PlannedTensor>) PlanResidual(LayerContext context, string prefix, ResidualBlockLayer block, TensorShape input)
    {
        var (c, h, w) = context.RequireImage(input);
        // 3×3 with padding 1 gives ⌊(n − 1)/s⌋ + 1 ≥ 1, and the 1×1 shortcut gives the same, so a block always fits.
        var height = (int)Window.Of(h, 3, block.Stride, 1, 1).Output;
        var width = (int)Window.Of(w, 3, block.Stride, 1, 1).Output;
        var tensors = new List<PlannedTensor> { new($"{prefix}conv1.weight", [block.OutChannels, c, 3, 3]) };
        tensors.AddRange(BatchNorm($"{prefix}bn1.", block.OutChannels));
        tensors.Add(new($"{prefix}conv2.weight", [block.OutChannels, block.OutChannels, 3, 3]));
        tensors.AddRange(BatchNorm($"{prefix}bn2.", block.OutChannels));
        if (block.Stride != 1 || c != block.OutChannels)
        {
            tensors.Add(new($"{prefix}downsample.0.weight", [block.OutChannels, c, 1, 1]));
            tensors.AddRange(BatchNorm($"{prefix}downsample.1.", block.OutChannels));
        }
        return (new TensorShape(block.OutChannels, height, width), tensors);
    }

    private static PlannedTensor[] BatchNorm(string prefix, int features) =>
    [
        new(prefix + "weight", [features]),
        new(prefix + "bias", [features]),
        new(prefix + "running_mean", [features], IsBuffer: true),
        new(prefix + "running_var", [features], IsBuffer: true),
        new(prefix + "num_batches_tracked", [], IsBuffer: true, DType: TensorDType.Int64),
    ];

    private static string KernelPhrase(Pair kernel, Pair dilation, string noun)
    {
        var phrase = $"{LayerDescriptions.Dims(kernel)} {noun}";
        if (dilation == Pair.Square(1)) return phrase;
        var span = new Pair(dilation.H * (kernel.H - 1) + 1, dilation.W * (kernel.W - 1) + 1);
        return $"{phrase} with dilation {dilation} (spanning {LayerDescriptions.Dims(span)})";
    }

    /// <summary>One spatial dimension of a sliding window, with the arithmetic kept for the error message.</summary>
    private readonly record struct Window(long Output, string Formula)
    {
        // n_out = ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1, which is (n − k + 2p)/s + 1 when d = 1 (seeds 000 and 002).
        public static Window Of(long n, long k, long s, long p, long d)
        {
            var numerator = n + 2 * p - d * (k - 1) - 1;
            var output = FloorDiv(numerator, s) + 1;
            var inner = d == 1
                ? $"{n} − {k} + 2·{p}"
                : $"{n} + 2·{p} − {d}·({k} − 1) − 1";
            var formula = s == 1 || numerator % s == 0
                ? $"({inner})/{s} + 1 = {Signed(output)}"
                : $"⌊({inner})/{s}⌋ + 1 = {Signed(output)}";
            return new Window(output, "n_out = " + formula);
        }

        private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);
        private static string Signed(long value) => value < 0 ? $"−{-value}" : $"{value}";
    }

    private readonly record struct LayerContext(int Index, Layer Layer)
    {
        public ArchitectureException Error(string message) =>
            new($"layer {Index} ({LayerDescriptions.Label(Layer)}): {message}", Index);

        public (int C, int H, int W) RequireImage(TensorShape input) => input.Rank == 3
            ? (input.Dims[0], input.Dims[1], input.Dims[2])
            : throw Error($"needs a channels × height × width input but gets {input} flat features; it must come before the flatten");

        public void RequireFits(TensorShape input, Window height, Window width, string window, Pair padding)
        {
            if (height.Output > 0 && width.Output > 0) return;
            var padded = padding == Pair.Square(0) ? "" : $" with padding {padding}";
            var arithmetic = height.Formula == width.Formula
                ? height.Formula
                : string.Join("; ", new[] { ("height", height), ("width", width) }
                    .Where(d => d.Item2.Output <= 0)
                    .Select(d => $"{d.Item1}: {d.Item2.Formula}"));
            throw Error($"input {input.Dims[1]}×{input.Dims[2]}{padded} is smaller than the {window}: {arithmetic}");
        }

        public int Checked(long value, string message) =>
            value <= int.MaxValue ? (int)value : throw Error(message);
    }
}
