using Experiments.Architectures;

namespace Experiments.Worker.Engine;

/// <summary>One entry of a model's state dict: a parameter or a buffer, as the engine holds it.</summary>
public sealed record StateTensor(int Index, string Name, int[] Shape, TensorDType DType)
{
    public long Elements => Shape.Aggregate(1L, (a, d) => a * d);
    public long Bytes => Elements * (DType == TensorDType.Int64 ? sizeof(long) : sizeof(float));
}
