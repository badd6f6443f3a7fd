using System.Runtime.InteropServices;

namespace Experiments.Worker.Engine;

/// <summary>Mirrors <c>ExpTrainStats</c> field for field.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeTrainStats
{
    public double LossSum;
    public long Correct;
    public long Samples;
    public long Batches;
    public int NonFinite;
}

internal static partial class NativeMethods
{
    [LibraryImport(Library)]
    public static partial OptimizerHandle Exp_optimizer_create(ModelHandle model, int kind, double learningRate, double momentum,
        double weightDecay, double beta1, double beta2, double epsilon, int nesterov);

    [LibraryImport(Library)]
    public static partial void Exp_optimizer_dispose(IntPtr optimizer);

    [LibraryImport(Library)]
    public static partial int Exp_optimizer_set_learning_rate(OptimizerHandle optimizer, double learningRate);

    [LibraryImport(Library)]
    public static partial TensorListHandle Exp_optimizer_state_export(OptimizerHandle optimizer, ModelHandle model);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int Exp_optimizer_state_import(OptimizerHandle optimizer, ModelHandle model, string name, void* data, long bytes,
        int dtype, long* shape, int ndim);

    [LibraryImport(Library)]
    public static partial long Exp_train_batches(ModelHandle model, OptimizerHandle optimizer, DatasetHandle dataset, long batchSize,
        ulong orderSeed, int shuffle, long firstBatch, long batchCount, ref NativeTrainStats stats);
}
