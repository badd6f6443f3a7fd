namespace Experiments.Analysis.Decoding;

/// <summary>
/// A bank of <see cref="Count"/> filters of <see cref="Channels"/>×<see cref="Height"/>×<see cref="Width"/>, row-major
/// in PyTorch's OIHW layout (a convolution's <c>weight</c>). Decoded filters use the same shape: one filter per
/// filter of the decoded layer, one channel per channel of the network's input.
/// </summary>
public sealed record FilterBank
{
    public FilterBank(int count, int channels, int height, int width, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (count < 0 || channels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"a filter bank needs positive sizes, got {count}×{channels}×{height}×{width}");
        if (values.LongLength != (long)count * channels * height * width)
            throw new ArgumentException(
                $"a filter bank of {count}×{channels}×{height}×{width} needs {(long)count * channels * height * width} values, got {values.LongLength}",
                nameof(values));
        Count = count;
        Channels = channels;
        Height = height;
        Width = width;
        Values = values;
    }

    public int Count { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Count·Channels·Height·Width values, OIHW.</summary>
    public float[] Values { get; }

    /// <summary>Channels·Height·Width: the values of one filter.</summary>
    public int FilterSize => Channels * Height * Width;

    public float this[int filter, int channel, int y, int x] => Values[((filter * Channels + channel) * Height + y) * Width + x];

    /// <summary>One filter's values, C×H×W.</summary>
    public ReadOnlySpan<float> Filter(int filter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(filter);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(filter, Count);
        return Values.AsSpan(filter * FilterSize, FilterSize);
    }

    /// <summary>The shape as "K×C×H×W", for messages.</summary>
    public override string ToString() => $"{Count}×{Channels}×{Height}×{Width}";
}
