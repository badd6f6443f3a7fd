using Experiments.Datasets;

namespace Experiments.Worker.Engine;

/// <summary>A labelled split copied into native memory once, so training never marshals a batch.</summary>
public sealed class NativeDataset : IDisposable
{
    private NativeDataset(DatasetHandle handle, int count) { Handle = handle; Count = count; }

    internal DatasetHandle Handle { get; }
    public int Count { get; }

    public static unsafe NativeDataset From(LabelledImages images)
    {
        var dims = images.SampleShape.Dims;
        var (c, h, w) = dims.Count == 3 ? (dims[0], dims[1], dims[2]) : (dims[0], 1, 1);
        fixed (float* pixels = images.Pixels)
        fixed (int* labels = images.Labels)
            return new NativeDataset(NativeMethods.Check(NativeMethods.Exp_dataset_create(pixels, labels, images.Count, c, h, w)), images.Count);
    }

    public void Dispose() => Handle.Dispose();
}
