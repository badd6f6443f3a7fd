using System.Globalization;

namespace Experiments.Architectures;

/// <summary>Human-readable names for layers, shared by error messages, model summaries and the CLI.</summary>
public static class LayerDescriptions
{
    /// <summary>
    /// A short label that tells layers apart in a message about a spec before it is planned (a shape that does not fit):
    /// <c>conv2d 64@5×5</c>, <c>linear 10</c>, <c>maxpool 2×2</c>. A layer of a planned model is named by
    /// <see cref="PlannedLayer.Description"/>, as <c>model show</c> names it.
    /// </summary>
    public static string Label(Layer layer) => layer switch
    {
        Conv2dLayer c => $"conv2d {c.OutChannels}@{Dims(c.Kernel)}",
        PoolLayer p => $"{p.Type} {Dims(p.Kernel)}",
        DropoutLayer d => $"dropout {Number(d.Probability)}",
        LinearLayer l => $"linear {l.OutFeatures}",
        ResidualBlockLayer r => $"residual {r.OutChannels} s{r.Stride}",
        _ => layer.Type,
    };

    /// <summary>
    /// The label plus every setting that changes the computation: <c>conv2d 32@5×5 s1 p0</c>,
    /// <c>maxpool 2×2 s2 p0</c>, <c>batchnorm2d 32</c>. The input shape, when known, resolves
    /// batch-norm's flavour and the linear layer's input width.
    /// </summary>
    public static string Describe(Layer layer, TensorShape? input = null) => layer switch
    {
        Conv2dLayer c => $"{Label(c)} s{c.Stride}{ConvPadding(c)}"
            + (c.Dilation == Pair.Square(1) ? "" : $" d{c.Dilation}")
            + (c.Bias ? "" : " no bias"),
        PoolLayer p => $"{Label(p)} s{p.Stride} p{p.Padding}",
        LinearLayer l => (input is { Rank: 1 } ? $"linear {input.Dims[0]}→{l.OutFeatures}" : Label(l)) + (l.Bias ? "" : " no bias"),
        BatchNormLayer when input is { Rank: 3 } => $"batchnorm2d {input.Dims[0]}",
        BatchNormLayer when input is { Rank: 1 } => $"batchnorm1d {input.Dims[0]}",
        ResidualBlockLayer r when input is { Rank: 3 } => $"residual {input.Dims[0]}→{r.OutChannels} s{r.Stride}",
        _ => Label(layer),
    };

    private static string ConvPadding(Conv2dLayer c) => c.Padding.Mode switch
    {
        PaddingMode.Valid => " p0",
        PaddingMode.Explicit => $" p{c.Padding.Amount}",
        PaddingMode.Same => " same",
        _ => $" p{ShapeInference.ResolvePadding(c)} full",
    };

    internal static string Dims(Pair p) => $"{p.H}×{p.W}";

    internal static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
