using System.Runtime.InteropServices;

namespace Experiments.Worker.Engine;

internal static partial class NativeMethods
{
    [LibraryImport(Library)]
    public static partial int Exp_runtime_set_threads(int threads);

    [LibraryImport(Library)]
    public static partial int Exp_runtime_get_threads();

    [LibraryImport(Library)]
    public static partial int Exp_runtime_cuda_device_count();

    [LibraryImport(Library)]
    public static partial IntPtr Exp_runtime_describe();
}
