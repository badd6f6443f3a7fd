using System.Runtime.InteropServices;

namespace Experiments.Worker.Engine;

internal static partial class NativeMethods
{
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial ModelHandle Exp_model_create(string spec, int deviceKind, int deviceIndex, ulong seed);

    [LibraryImport(Library)]
    public static partial void Exp_model_dispose(IntPtr model);

    [LibraryImport(Library)]
    public static partial int Exp_model_state_count(ModelHandle model);

    [LibraryImport(Library)]
    public static unsafe partial int Exp_model_state_info(ModelHandle model, int index, byte* name, int nameCapacity,
        long* shape, int shapeCapacity, out int ndim, out int dtype);

    [LibraryImport(Library)]
    public static unsafe partial int Exp_model_state_read(ModelHandle model, int index, void* destination, long bytes);

    [LibraryImport(Library)]
    public static unsafe partial int Exp_model_state_write(ModelHandle model, int index, void* source, long bytes);

    [LibraryImport(Library)]
    public static unsafe partial TensorListHandle Exp_model_forward(ModelHandle model, float* input, long* shape, int ndim,
        int* captureLayers, int captureCount);

    [LibraryImport(Library)]
    public static unsafe partial TensorListHandle Exp_model_capture(ModelHandle model, float* input, long* shape, int ndim,
        int* captureLayers, int captureCount);

    [LibraryImport(Library)]
    public static unsafe partial TensorListHandle Exp_model_class_gradients(ModelHandle model, float* input, long* shape, int ndim,
        int layer, int* classes, int classCount);

    [LibraryImport(Library)]
    public static unsafe partial int Exp_model_predict_splits(ModelHandle model, IntPtr* datasets, int count, long batchSize, IntPtr* logits, long* capacities);

    [LibraryImport(Library)]
    public static unsafe partial DatasetHandle Exp_dataset_create(float* pixels, int* labels, long n, long c, long h, long w);

    [LibraryImport(Library)]
    public static partial void Exp_dataset_dispose(IntPtr dataset);

    [LibraryImport(Library)]
    public static partial int Exp_tensors_count(TensorListHandle list);

    [LibraryImport(Library)]
    public static unsafe partial int Exp_tensors_shape(TensorListHandle list, int index, long* shape, int shapeCapacity, out int ndim);

    [LibraryImport(Library)]
    public static unsafe partial int Exp_tensors_read(TensorListHandle list, int index, float* destination, long count);

    [LibraryImport(Library)]
    public static unsafe partial int Exp_tensors_describe(TensorListHandle list, int index, byte* name, int nameCapacity, out int dtype);

    [LibraryImport(Library)]
    public static unsafe partial int Exp_tensors_read_bytes(TensorListHandle list, int index, void* destination, long bytes);

    [LibraryImport(Library)]
    public static partial void Exp_tensors_dispose(IntPtr list);
}
