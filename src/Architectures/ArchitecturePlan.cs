namespace Experiments.Architectures;

public enum TensorDType { Float32, Int64 }

/// <summary>
/// One tensor of a layer's state, named as PyTorch's <c>nn.Sequential</c> state dict names it
/// (<c>"3.weight"</c>, <c>"5.bn1.running_mean"</c>), with PyTorch's layout (OIHW for convolutions).
/// Buffers (batch-norm running statistics) are state but not trainable parameters.
/// </summary>
public sealed record PlannedTensor(string Name, IReadOnlyList<int> Shape, bool IsBuffer = false, TensorDType DType = TensorDType.Float32)
{
    public long Elements => Shape.Aggregate(1L, (a, d) => a * d);
}

/// <summary>A layer with its shapes resolved against a concrete input.</summary>
public sealed record PlannedLayer(int Index, Layer Layer, TensorShape Input, TensorShape Output, IReadOnlyList<PlannedTensor> Tensors)
{
    /// <summary>Trainable parameters (buffers excluded), as <c>sum(p.numel() for p in layer.parameters())</c>.</summary>
    public long Parameters => Tensors.Where(t => !t.IsBuffer).Sum(t => t.Elements);

    /// <summary>
    /// The layer in words, with every setting that changes its computation, as <c>model show</c> lists it
    /// (<see cref="LayerDescriptions.Describe"/> given its input): <c>conv2d 20@5×5 s1 p0</c>, <c>residual 32→64 s2</c>.
    /// Every message, title and caption that names a layer of a built model uses this, so a layer reads the same everywhere.
    /// </summary>
    public string Description => LayerDescriptions.Describe(Layer, Input);
}

/// <summary>An architecture checked against an input shape: every layer's input, output and tensors.</summary>
public sealed record ArchitecturePlan(Architecture Architecture, TensorShape Input, IReadOnlyList<PlannedLayer> Layers)
{
    public TensorShape Output => Layers.Count == 0 ? Input : Layers[^1].Output;
    public long Parameters => Layers.Sum(l => l.Parameters);
    public IEnumerable<PlannedTensor> Tensors => Layers.SelectMany(l => l.Tensors);

    /// <summary>
    /// The architecture with the input it is planned for, which may differ from the one its file or built-in names
    /// (ffnn-100 defaults to 3×32×32 but trains on MNIST's 1×28×28): the spec to record, export and rebuild from.
    /// </summary>
    public Architecture PlannedArchitecture => Architecture with { Input = Input };
}
