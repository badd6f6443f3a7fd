namespace Experiments.Architectures;

/// <summary>A height × width pair: kernel sizes, strides, paddings, dilations.</summary>
public readonly record struct Pair(int H, int W)
{
    public static Pair Square(int value) => new(value, value);
    public bool IsSquare => H == W;
    public override string ToString() => IsSquare ? $"{H}" : $"{H}×{W}";
}

public enum PaddingMode { Explicit, Valid, Same, Full }

/// <summary>Convolution padding as the user wrote it. <c>Same</c> and <c>Full</c> are resolved against the kernel.</summary>
public sealed record Padding(PaddingMode Mode, Pair Amount)
{
    public static readonly Padding Valid = new(PaddingMode.Valid, Pair.Square(0));
    public static readonly Padding Same = new(PaddingMode.Same, Pair.Square(0));
    public static readonly Padding Full = new(PaddingMode.Full, Pair.Square(0));
    public static Padding Of(int amount) => new(PaddingMode.Explicit, Pair.Square(amount));
    public static Padding Of(Pair amount) => new(PaddingMode.Explicit, amount);

    public override string ToString() => Mode switch
    {
        PaddingMode.Explicit => Amount.ToString(),
        _ => Mode.ToString().ToLowerInvariant(),
    };
}

public enum PoolKind { Max, Average }

public enum ActivationKind { Relu, Tanh, Sigmoid }

/// <summary>
/// One entry of a declarative layer list. The set of layer types is closed: the native engine,
/// the PyTorch oracle (tests/oracle/torch_model.py) and the docs (docs/architectures.md) all mirror it.
/// </summary>
public abstract record Layer
{
    /// <summary>The <c>type:</c> name used in architecture files, e.g. <c>conv2d</c>.</summary>
    public abstract string Type { get; }
}

public sealed record Conv2dLayer(int OutChannels, Pair Kernel, Pair Stride, Padding Padding, Pair Dilation, bool Bias = true) : Layer
{
    public override string Type => "conv2d";
}

public sealed record PoolLayer(PoolKind Kind, Pair Kernel, Pair Stride, Pair Padding) : Layer
{
    public override string Type => Kind == PoolKind.Max ? "maxpool" : "avgpool";
}

public sealed record ActivationLayer(ActivationKind Kind) : Layer
{
    public override string Type => Kind.ToString().ToLowerInvariant();
}

public sealed record DropoutLayer(double Probability) : Layer
{
    public override string Type => "dropout";
}

/// <summary>Batch normalisation; 2-d over channels for a C×H×W input, 1-d for a flat one.</summary>
public sealed record BatchNormLayer : Layer
{
    public override string Type => "batchnorm";
}

public sealed record FlattenLayer : Layer
{
    public override string Type => "flatten";
}

public sealed record LinearLayer(int OutFeatures, bool Bias = true) : Layer
{
    public override string Type => "linear";
}

/// <summary>
/// A ResNet basic block (two 3×3 convolutions with batch norm, plus a 1×1 projection shortcut when the
/// shape changes). Tensor names follow torchvision's BasicBlock: conv1, bn1, conv2, bn2, downsample.0/1.
/// </summary>
public sealed record ResidualBlockLayer(int OutChannels, int Stride) : Layer
{
    public override string Type => "residual";
}

/// <summary>Averages each channel over its whole plane: C×H×W → C (so CAM applies to the conv before it).</summary>
public sealed record GlobalAveragePoolLayer : Layer
{
    public override string Type => "global_avgpool";
}

/// <summary>
/// Marks the outputs as class scores trained with softmax cross-entropy. Allowed only last; the engine
/// keeps logits and applies softmax inside the loss, as PyTorch's CrossEntropyLoss does.
/// </summary>
public sealed record SoftmaxLayer : Layer
{
    public override string Type => "softmax";
}

/// <summary>A named, declarative architecture: the layer list, and the input it was written for, if any.</summary>
public sealed record Architecture(string Name, IReadOnlyList<Layer> Layers, TensorShape? Input = null, string? Description = null)
{
    // Records compare lists by reference; two architectures with the same layers are the same architecture
    // (the writer/reader round trip and the catalog rely on this).
    public bool Equals(Architecture? other) =>
        other is not null
        && Name == other.Name
        && Equals(Input, other.Input)
        && Description == other.Description
        && Layers.SequenceEqual(other.Layers);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name);
        hash.Add(Input);
        hash.Add(Description);
        foreach (var layer in Layers) hash.Add(layer);
        return hash.ToHashCode();
    }
}
