namespace Experiments.Analysis.Decoding;

/// <summary>A stack of <see cref="Channels"/> maps of <see cref="Height"/>×<see cref="Width"/>, row-major (CHW).</summary>
public sealed record FeatureMaps
{
    public FeatureMaps(int channels, int height, int width, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (channels < 1 || height < 1 || width < 1)
            throw new ArgumentException($"feature maps need positive sizes, got {channels}×{height}×{width}");
        if (values.LongLength != (long)channels * height * width)
            throw new ArgumentException($"{channels}×{height}×{width} maps need {(long)channels * height * width} values, got {values.LongLength}", nameof(values));
        Channels = channels;
        Height = height;
        Width = width;
        Values = values;
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public float[] Values { get; }

    public float this[int channel, int y, int x] => Values[(channel * Height + y) * Width + x];

    public Span<float> Map(int channel) => Values.AsSpan(channel * Height * Width, Height * Width);

    public override string ToString() => $"{Channels}×{Height}×{Width}";
}
