using Experiments.Architectures;

namespace Experiments.Datasets;

/// <summary>Images as 0–255 bytes, NCHW, with byte labels: what the file formats hold before normalisation.</summary>
public sealed record RawImages(TensorShape SampleShape, byte[] Pixels, byte[] Labels)
{
    public int Count => Labels.Length;

    public LabelledImages ToLabelledImages(IReadOnlyList<string> classNames) => LabelledImages.FromBytes(SampleShape, Pixels, Labels, classNames);
}
