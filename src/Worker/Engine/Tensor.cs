namespace Experiments.Worker.Engine;

/// <summary>A dense float32 tensor in row-major order, as it crosses the native boundary.</summary>
public sealed record Tensor(int[] Shape, float[] Data)
{
    public static Tensor Of(float[] data, params int[] shape)
    {
        var expected = shape.Aggregate(1L, (a, d) => a * d);
        if (expected != data.Length)
            throw new ArgumentException($"shape {string.Join('×', shape)} needs {expected} values, got {data.Length}.", nameof(data));
        return new Tensor(shape, data);
    }

    public long Elements => Data.LongLength;
    public override string ToString() => $"Tensor[{string.Join('×', Shape)}]";
}
