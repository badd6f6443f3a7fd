using System.Reflection;
using System.Runtime.InteropServices;

namespace Experiments.Worker.Engine;

/// <summary>
/// P/Invoke declarations for <c>libexperiments_native</c> (src/Worker/native/experiments_native.h), split per area
/// across partial files. Every call that can fail returns a negative value or a null handle; callers turn that
/// into a <see cref="NativeEngineException"/> through <see cref="Check(int)"/> and its overloads.
/// </summary>
internal static partial class NativeMethods
{
    public const string Library = "experiments_native";

    static NativeMethods() => NativeLibrary.SetDllImportResolver(typeof(NativeMethods).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library) return IntPtr.Zero;
        // An explicit path wins: a GPU node can point at a CUDA build of the same library.
        var explicitPath = Environment.GetEnvironmentVariable("EXPERIMENTS_NATIVE_LIB");
        if (!string.IsNullOrEmpty(explicitPath)) return NativeLibrary.Load(explicitPath);
        var besideAssembly = Path.Combine(AppContext.BaseDirectory, "libexperiments_native.so");
        if (File.Exists(besideAssembly)) return NativeLibrary.Load(besideAssembly);
        return NativeLibrary.TryLoad("libexperiments_native.so", assembly, searchPath, out var handle) ? handle : IntPtr.Zero;
    }

    [LibraryImport(Library)]
    private static partial IntPtr Exp_error_take();

    [LibraryImport(Library)]
    private static partial void Exp_string_free(IntPtr text);

    /// <summary>Takes the calling thread's last native error message.</summary>
    public static string TakeError()
    {
        var pointer = Exp_error_take();
        if (pointer == IntPtr.Zero) return "the native engine reported a failure without a message";
        try { return Marshal.PtrToStringUTF8(pointer) ?? string.Empty; }
        finally { Exp_string_free(pointer); }
    }

    public static int Check(int result) => result < 0 ? throw NativeEngineException.FromNative(TakeError()) : result;

    public static long Check(long result) => result < 0 ? throw NativeEngineException.FromNative(TakeError()) : result;

    public static T Check<T>(T handle) where T : SafeHandle =>
        handle.IsInvalid ? throw NativeEngineException.FromNative(TakeError()) : handle;
}
