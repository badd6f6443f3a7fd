using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Experiments.Testing;

/// <summary>Runs a script of tests/oracle with Debian's Python (which has torch) and parses the JSON it prints.</summary>
public static class PythonOracle
{
    public static JsonElement Run(string script, params string[] arguments)
    {
        var python = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(Repository.Root(), "tests", "oracle", script), .. arguments])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        python.Environment["OPENBLAS_NUM_THREADS"] = "1";
        using var process = Process.Start(python)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"PyTorch failed on {script} (apt-get install python3-torch?): " + error);
        return JsonDocument.Parse(output.Result).RootElement.Clone();
    }
}
