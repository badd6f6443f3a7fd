using Experiments.Architectures;

namespace Experiments.Datasets;

/// <summary>
/// One split of an image-classification dataset, held in memory: <see cref="Count"/> samples of
/// <see cref="SampleShape"/> (C×H×W) in one row-major NCHW array, already normalised to [-1, 1].
/// One flat array (not an array per image) so a trainer can hand batches to the engine with a single copy.
/// </summary>
public sealed class LabelledImages
{
    private static readonly float[] NormalisedByte = BuildNormalisationTable();

    public LabelledImages(TensorShape sampleShape, float[] pixels, int[] labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (sampleShape.Rank != 3)
            throw new ArgumentException($"Images need a C×H×W sample shape; got {sampleShape}.", nameof(sampleShape));
        if (classNames.Count == 0) throw new ArgumentException("A labelled dataset needs at least one class.", nameof(classNames));

        SampleSize = checked((int)sampleShape.Elements);
        if (pixels.LongLength != (long)labels.Length * SampleSize)
            throw new ArgumentException(
                $"{labels.Length} labels of {sampleShape} need {(long)labels.Length * SampleSize} pixels; got {pixels.LongLength}.", nameof(pixels));
        for (var i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classNames.Count)
                throw new ArgumentException($"Label {labels[i]} at index {i} is outside {RangeText.Indices(classNames.Count)}.", nameof(labels));

        SampleShape = sampleShape;
        Pixels = pixels;
        Labels = labels;
        ClassNames = classNames;
    }

    /// <summary>C×H×W of one image.</summary>
    public TensorShape SampleShape { get; }

    /// <summary>C·H·W: the floats per image.</summary>
    public int SampleSize { get; }

    public int Count => Labels.Length;

    /// <summary>N·C·H·W floats in [-1, 1], row-major NCHW.</summary>
    public float[] Pixels { get; }

    /// <summary>One class index per image, each in [0, <see cref="Classes"/>).</summary>
    public int[] Labels { get; }

    public IReadOnlyList<string> ClassNames { get; }

    public int Classes => ClassNames.Count;

    /// <summary>The <paramref name="index"/>-th image, C·H·W floats.</summary>
    public ReadOnlySpan<float> Sample(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return Pixels.AsSpan(index * SampleSize, SampleSize);
    }

    /// <summary>How many images each class has.</summary>
    public int[] CountPerClass()
    {
        var counts = new int[Classes];
        foreach (var label in Labels) counts[label]++;
        return counts;
    }

    /// <summary>A copy holding the given images, in the given order (repeats allowed).</summary>
    public LabelledImages Subset(ReadOnlySpan<int> indices)
    {
        var pixels = GC.AllocateUninitializedArray<float>(checked(indices.Length * SampleSize));
        var labels = new int[indices.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            var source = indices[i];
            if ((uint)source >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"Index {source} is outside {RangeText.Indices(Count)}.");
            Pixels.AsSpan(source * SampleSize, SampleSize).CopyTo(pixels.AsSpan(i * SampleSize, SampleSize));
            labels[i] = Labels[source];
        }
        return new LabelledImages(SampleShape, pixels, labels, ClassNames);
    }

    /// <summary>The first <paramref name="count"/> images (all of them if there are fewer), copied.</summary>
    public LabelledImages Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var n = Math.Min(count, Count);
        return new LabelledImages(SampleShape, Pixels.AsSpan(0, n * SampleSize).ToArray(), Labels.AsSpan(0, n).ToArray(), ClassNames);
    }

    public static LabelledImages Empty(TensorShape sampleShape, IReadOnlyList<string> classNames) =>
        new(sampleShape, [], [], classNames);

    /// <summary>
    /// Builds a split from raw 0–255 pixels (NCHW) and byte labels, normalising as <see cref="Normalise"/> does.
    /// Labels are checked against <paramref name="classNames"/>.
    /// </summary>
    public static LabelledImages FromBytes(TensorShape sampleShape, byte[] pixels, byte[] labels, IReadOnlyList<string> classNames) =>
        FromBytes(sampleShape, pixels, labels, classNames, order: null);

    /// <summary>
    /// As the public overload, but taking only the samples in <paramref name="order"/>: normalising and selecting
    /// in one pass means a validation split never copies the training set a second time.
    /// </summary>
    internal static LabelledImages FromBytes(TensorShape sampleShape, byte[] pixels, byte[] labels, IReadOnlyList<string> classNames, int[]? order)
    {
        var sampleSize = checked((int)sampleShape.Elements);
        if (pixels.LongLength != (long)labels.Length * sampleSize)
            throw new ArgumentException($"{labels.Length} labels of {sampleShape} need {(long)labels.Length * sampleSize} pixels; got {pixels.LongLength}.", nameof(pixels));
        var count = order?.Length ?? labels.Length;
        var intLabels = new int[count];
        for (var i = 0; i < count; i++) intLabels[i] = labels[order is null ? i : order[i]];
        return new LabelledImages(sampleShape, NormaliseSamples(pixels, sampleSize, order), intLabels, classNames);
    }

    /// <summary>The input normalisation of seed 000: <c>x / 255 · 2 − 1</c>, so 0 → −1 and 255 → 1 exactly.</summary>
    public static float Normalise(byte value) => NormalisedByte[value];

    /// <summary>The inverse of <see cref="Normalise"/>, rounded back to the nearest byte (for pictures of the data).</summary>
    public static byte ToByte(float normalised) => (byte)Math.Clamp(MathF.Round((normalised + 1f) / 2f * 255f), 0f, 255f);

    private static float[] NormaliseSamples(byte[] pixels, int sampleSize, int[]? order)
    {
        var count = order?.Length ?? pixels.Length / Math.Max(sampleSize, 1);
        // Uninitialised: every element is written below, and zeroing hundreds of megabytes first would double the memory traffic.
        var result = GC.AllocateUninitializedArray<float>(checked(count * sampleSize));
        const int samplesPerChunk = 1024;
        var chunks = (count + samplesPerChunk - 1) / samplesPerChunk;
        // A 256-entry table: one load per pixel, and bit-for-bit the same value whichever path produced it.
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks > 8 ? -1 : 1 }, chunk =>
        {
            var table = NormalisedByte;
            var end = Math.Min(count, (chunk + 1) * samplesPerChunk);
            for (var i = chunk * samplesPerChunk; i < end; i++)
            {
                var source = pixels.AsSpan((order is null ? i : order[i]) * sampleSize, sampleSize);
                var target = result.AsSpan(i * sampleSize, sampleSize);
                for (var p = 0; p < source.Length; p++) target[p] = table[source[p]];
            }
        });
        return result;
    }

    private static float[] BuildNormalisationTable()
    {
        var table = new float[256];
        for (var v = 0; v < 256; v++) table[v] = v / 255f * 2f - 1f;
        return table;
    }
}
