using Experiments.Architectures;

namespace Experiments.Worker.Engine;

/// <summary>A named tensor as raw little-endian bytes: a model or optimizer state entry on its way to or from storage.</summary>
public sealed record NamedTensor(string Name, int[] Shape, TensorDType DType, byte[] Data);
