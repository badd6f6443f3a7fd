using System.Runtime.InteropServices;

namespace Experiments.Worker.Engine;

/// <summary>Process-wide facts and settings of the libtorch runtime.</summary>
public static class EngineRuntime
{
    /// <summary>"libtorch 1.13.1 (CPU)" or similar.</summary>
    public static string Description => Marshal.PtrToStringUTF8(NativeMethods.Exp_runtime_describe()) ?? "libtorch";

    public static int CudaDeviceCount => NativeMethods.Check(NativeMethods.Exp_runtime_cuda_device_count());

    /// <summary>libtorch's intra-op threads for work started from the calling thread.</summary>
    public static int Threads
    {
        get => NativeMethods.Check(NativeMethods.Exp_runtime_get_threads());
        set => NativeMethods.Check(NativeMethods.Exp_runtime_set_threads(value));
    }
}
