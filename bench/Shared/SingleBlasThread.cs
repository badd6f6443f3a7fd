using System.Diagnostics;
using System.Reflection;

namespace Experiments.Bench;

/// <summary>
/// Every benchmark runs with one OpenBLAS thread under libtorch's own threads, the setting trials train in
/// (DECISIONS.md §3: oversubscription cost PyTorch 1.6×). OpenBLAS reads OPENBLAS_NUM_THREADS once, when it loads,
/// and .NET cannot change the native environment of a running process, so a bench started without it runs itself
/// again with it.
/// </summary>
internal static class SingleBlasThread
{
    /// <summary>The exit code of the relaunched bench, or null when this process already has the setting.</summary>
    public static int? RelaunchIfNeeded(string[] args)
    {
        if (Environment.GetEnvironmentVariable("OPENBLAS_NUM_THREADS") == "1") return null;
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find this process's executable to relaunch it");
        // Under `dotnet X.dll` the host is dotnet and needs the assembly; an apphost needs only the arguments.
        var underDotnet = Path.GetFileNameWithoutExtension(host) == "dotnet";
        var entry = Assembly.GetEntryAssembly()?.Location ?? throw new InvalidOperationException("no entry assembly to relaunch");
        var start = new ProcessStartInfo(host, underDotnet ? [entry, .. args] : args);
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not relaunch {host}");
        child.WaitForExit();
        return child.ExitCode;
    }
}
