using System.Globalization;

namespace Experiments.Architectures;

/// <summary>
/// The checks a layer must pass whatever its input: positive sizes, a dropout probability in [0, 1),
/// PyTorch's limits on padding. The reader reports them against key paths; shape inference applies them
/// again because architectures can also be built in code.
/// </summary>
internal static class LayerRules
{
    /// <summary>Each problem as the file key it concerns and a message.</summary>
    public static IEnumerable<(string Key, string Message)> Check(Layer layer)
    {
        switch (layer)
        {
            case Conv2dLayer conv:
                if (conv.OutChannels <= 0) yield return ("out", MustBePositive(conv.OutChannels));
                if (!Positive(conv.Kernel)) yield return ("kernel", MustBePositive(conv.Kernel));
                if (!Positive(conv.Stride)) yield return ("stride", MustBePositive(conv.Stride));
                if (!Positive(conv.Dilation)) yield return ("dilation", MustBePositive(conv.Dilation));
                if (conv.Padding.Mode == PaddingMode.Explicit && (conv.Padding.Amount.H < 0 || conv.Padding.Amount.W < 0))
                    yield return ("padding", $"must not be negative, got {Text(conv.Padding.Amount)}");
                if (conv.Padding.Mode == PaddingMode.Same && conv.Stride != Pair.Square(1))
                    yield return ("padding", $"'same' padding needs stride 1 (PyTorch rejects padding='same' for strided convolutions), got stride {Text(conv.Stride)}");
                break;

            case PoolLayer pool:
                if (!Positive(pool.Kernel)) yield return ("kernel", MustBePositive(pool.Kernel));
                if (!Positive(pool.Stride)) yield return ("stride", MustBePositive(pool.Stride));
                if (pool.Padding.H < 0 || pool.Padding.W < 0)
                    yield return ("padding", $"must not be negative, got {Text(pool.Padding)}");
                // PyTorch's own rule (pad <= kernel / 2, integer division): a window must never lie wholly in padding.
                else if (Positive(pool.Kernel) && (pool.Padding.H > pool.Kernel.H / 2 || pool.Padding.W > pool.Kernel.W / 2))
                    yield return ("padding", $"must be at most half the kernel ({pool.Kernel.H / 2}×{pool.Kernel.W / 2} for a {Text(pool.Kernel)} kernel), got {Text(pool.Padding)}");
                break;

            case DropoutLayer dropout:
                if (!(dropout.Probability >= 0 && dropout.Probability < 1))
                    yield return ("p", $"must be in [0, 1), got {dropout.Probability.ToString(CultureInfo.InvariantCulture)}");
                break;

            case LinearLayer linear:
                if (linear.OutFeatures <= 0) yield return ("out", MustBePositive(linear.OutFeatures));
                break;

            case ResidualBlockLayer residual:
                if (residual.OutChannels <= 0) yield return ("out", MustBePositive(residual.OutChannels));
                if (residual.Stride <= 0) yield return ("stride", MustBePositive(residual.Stride));
                break;
        }
    }

    /// <summary>Softmax only marks the outputs as class scores, so anything after it would be meaningless.</summary>
    public static int? MisplacedSoftmax(IReadOnlyList<Layer> layers)
    {
        for (var i = 0; i < layers.Count - 1; i++)
            if (layers[i] is SoftmaxLayer) return i;
        return null;
    }

    public static string SoftmaxNotLast(int index, int count) =>
        $"softmax must be the last layer (it is layer {index} of {count}); the engine applies it inside the cross-entropy loss";

    private static bool Positive(Pair p) => p.H > 0 && p.W > 0;
    private static string MustBePositive(int value) => $"must be positive, got {value}";
    private static string MustBePositive(Pair value) => $"must be positive, got {Text(value)}";
    internal static string Text(Pair p) => p.IsSquare ? $"{p.H}" : $"[{p.H}, {p.W}]";
}
