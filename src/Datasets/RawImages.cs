using Experiments.Architectures;

namespace Experiments.Datasets;

/// <summary>Images as 0–255 bytes, NCHW, with byte labels: what the file formats hold before normalisation.</summary>
public sealed record RawImages(TensorShape SampleShape, byte[] Pixels, byte[] Labels)
{
    public int Count => Labels.Length;

    /// <summary>The first <paramref name="count"/> images (all of them if there are fewer).</summary>
    public RawImages Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count >= Count) return this;
        var sampleBytes = Pixels.Length / Math.Max(1, Count);
        return new RawImages(SampleShape, Pixels[..(count * sampleBytes)], Labels[..count]);
    }

    public LabelledImages ToLabelledImages(IReadOnlyList<string> classNames) => LabelledImages.FromBytes(SampleShape, Pixels, Labels, classNames);
}
