using System.Globalization;
using System.Text;
using Experiments.Architectures;

namespace Experiments.Worker.Engine;

/// <summary>
/// Encodes a checked <see cref="ArchitecturePlan"/> into the engine's line-per-layer spec
/// (<c>conv2d in=1 out=20 kh=5 kw=5 …</c>). Every size is resolved here, so the native side never infers shapes.
/// </summary>
internal static class NativeModelSpec
{
    public static string Encode(ArchitecturePlan plan)
    {
        var text = new StringBuilder();
        foreach (var layer in plan.Layers)
            text.AppendLine(Encode(layer));
        return text.ToString();
    }

    private static string Encode(PlannedLayer planned) => planned.Layer switch
    {
        Conv2dLayer c => Line("conv2d",
            ("in", planned.Input.Dims[0]), ("out", c.OutChannels), ("kh", c.Kernel.H), ("kw", c.Kernel.W),
            ("sh", c.Stride.H), ("sw", c.Stride.W), ("dh", c.Dilation.H), ("dw", c.Dilation.W),
            ("pad", c.Padding.Mode == PaddingMode.Same ? "same" : "explicit"),
            ("ph", ExplicitPadding(c).H), ("pw", ExplicitPadding(c).W), ("bias", c.Bias ? 1 : 0)),
        PoolLayer p => Line(p.Kind == PoolKind.Max ? "maxpool" : "avgpool",
            ("kh", p.Kernel.H), ("kw", p.Kernel.W), ("sh", p.Stride.H), ("sw", p.Stride.W), ("ph", p.Padding.H), ("pw", p.Padding.W)),
        ActivationLayer a => a.Type,
        DropoutLayer d => Line("dropout", ("p", d.Probability.ToString("R", CultureInfo.InvariantCulture))),
        BatchNormLayer => planned.Input.Rank == 3
            ? Line("batchnorm2d", ("features", planned.Input.Dims[0]))
            : Line("batchnorm1d", ("features", planned.Input.Dims[0])),
        FlattenLayer => "flatten",
        LinearLayer l => Line("linear", ("in", planned.Input.Dims[0]), ("out", l.OutFeatures), ("bias", l.Bias ? 1 : 0)),
        ResidualBlockLayer r => Line("residual", ("in", planned.Input.Dims[0]), ("out", r.OutChannels), ("stride", r.Stride)),
        GlobalAveragePoolLayer => "global_avgpool",
        SoftmaxLayer => "identity",
        _ => throw new NotSupportedException($"layer type '{planned.Layer.Type}' has no engine encoding"),
    };

    private static Pair ExplicitPadding(Conv2dLayer c) => c.Padding.Mode switch
    {
        PaddingMode.Explicit => c.Padding.Amount,
        PaddingMode.Full => new Pair(c.Dilation.H * (c.Kernel.H - 1), c.Dilation.W * (c.Kernel.W - 1)),
        _ => new Pair(0, 0),
    };

    private static string Line(string type, params (string Key, object Value)[] values) =>
        type + string.Concat(values.Select(v => string.Create(CultureInfo.InvariantCulture, $" {v.Key}={v.Value}")));
}
