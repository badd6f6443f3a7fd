using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Experiments.Analysis.Tests.OracleSupport;

/// <summary>
/// Runs tests/oracle/sklearn_metrics.py under Debian's Python: the cases go to a JSON file, the script prints one
/// JSON result per case. A missing interpreter or scikit-learn fails the test, never skips it: agreeing with
/// scikit-learn is the whole claim these tests make.
/// </summary>
internal static class SklearnOracle
{
    // Debian's interpreter on purpose: the python3 first on PATH here has no sklearn.
    public const string DebianPython = "/usr/bin/python3";
    public const string InstallHint = "install scikit-learn for Debian's python with: apt-get install python3-sklearn";
    private const string Script = "sklearn_metrics.py";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    /// <summary>Runs <paramref name="script"/> (a script of tests/oracle that reads cases the same way; sklearn_metrics.py by default) on the cases.</summary>
    public static IReadOnlyList<JsonObject> Run(IReadOnlyList<JsonObject> cases, string python = DebianPython, string script = Script)
    {
        if (!File.Exists(python))
            throw new InvalidOperationException($"{python} is missing, and the scikit-learn oracle needs it; {InstallHint}");

        var caseFile = Path.Combine(Path.GetTempPath(), $"sklearn-oracle-{Guid.NewGuid():N}.json");
        File.WriteAllText(caseFile, new JsonObject { ["cases"] = new JsonArray([.. cases]) }.ToJsonString());
        try
        {
            var results = JsonNode.Parse(Execute(python, ScriptPath(script), caseFile))?.AsArray()
                ?? throw new InvalidOperationException($"{script} printed no results");
            if (results.Count != cases.Count)
                throw new InvalidOperationException($"{script} answered {results.Count} cases, {cases.Count} were asked");
            var errors = results.Select((r, i) => (r, i)).Where(x => x.r?["error"] is not null)
                .Select(x => $"case {x.i} ({cases[x.i]["name"]}): {x.r!["error"]}").ToList();
            if (errors.Count > 0)
                throw new InvalidOperationException($"scikit-learn could not run {errors.Count} case(s):\n" + string.Join("\n", errors));
            return results.Select(r => r!.AsObject()).ToList();
        }
        finally
        {
            File.Delete(caseFile);
        }
    }

    public static JsonObject Encode(ReadOnlySpan<float> values, params int[] shape) => Encode(MemoryMarshal.AsBytes(values), shape, "float32");

    public static JsonObject Encode(ReadOnlySpan<double> values, params int[] shape) => Encode(MemoryMarshal.AsBytes(values), shape, "float64");

    public static JsonObject Encode(ReadOnlySpan<long> values, params int[] shape) => Encode(MemoryMarshal.AsBytes(values), shape, "int64");

    public static double[] DecodeDoubles(JsonNode? node)
    {
        if (node is null) throw new InvalidOperationException("the oracle left out an array");
        var dtype = node["dtype"]!.GetValue<string>();
        if (dtype != "float64") throw new InvalidOperationException($"expected a float64 array from the oracle, got {dtype}");
        return MemoryMarshal.Cast<byte, double>(Convert.FromBase64String(node["data"]!.GetValue<string>())).ToArray();
    }

    private static JsonObject Encode(ReadOnlySpan<byte> bytes, int[] shape, string dtype) => new()
    {
        ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]),
        ["dtype"] = dtype,
        ["data"] = Convert.ToBase64String(bytes),
    };

    private static string Execute(string python, string script, string caseFile)
    {
        var start = new ProcessStartInfo(python, [script, caseFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python}; {InstallHint}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Patience))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the scikit-learn oracle did not finish within {Patience.TotalMinutes} minutes");
        }
        if (process.ExitCode == 0) return stdout.Result;

        var error = stderr.Result;
        throw new InvalidOperationException(
            error.Contains("No module named", StringComparison.Ordinal)
                ? $"{python} cannot import scikit-learn or numpy; {InstallHint}\n{error}"
                : $"the scikit-learn oracle failed (exit {process.ExitCode}):\n{error}");
    }

    private static string ScriptPath(string script)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "oracle", script);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"tests/oracle/{script} was not found above {AppContext.BaseDirectory}");
    }
}
