using System.Runtime.InteropServices;

namespace Experiments.Worker.Engine;

/// <summary>Owns one native object; the native <c>_dispose</c> runs exactly once, even if the owner forgets.</summary>
internal abstract class NativeHandle() : SafeHandle(IntPtr.Zero, ownsHandle: true)
{
    public override bool IsInvalid => handle == IntPtr.Zero;
}

internal sealed class ModelHandle : NativeHandle
{
    protected override bool ReleaseHandle() { NativeMethods.Exp_model_dispose(handle); return true; }
}

internal sealed class OptimizerHandle : NativeHandle
{
    protected override bool ReleaseHandle() { NativeMethods.Exp_optimizer_dispose(handle); return true; }
}

internal sealed class DatasetHandle : NativeHandle
{
    protected override bool ReleaseHandle() { NativeMethods.Exp_dataset_dispose(handle); return true; }
}

internal sealed class TensorListHandle : NativeHandle
{
    protected override bool ReleaseHandle() { NativeMethods.Exp_tensors_dispose(handle); return true; }
}
