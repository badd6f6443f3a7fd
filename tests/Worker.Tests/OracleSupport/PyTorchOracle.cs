using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Experiments.Worker.Tests.OracleSupport;

/// <summary>
/// Runs one of the oracle scripts in tests/oracle under Debian's PyTorch: the request goes to a JSON case file,
/// the script prints one JSON result per case. A missing interpreter or torch fails the test, never skips it:
/// agreeing with PyTorch is the whole claim these tests make.
/// </summary>
internal static class PyTorchOracle
{
    // Debian's interpreter on purpose: the python3 first on PATH here has no torch.
    private const string Python = "/usr/bin/python3";
    private const string InstallHint = "install PyTorch for Debian's python with: apt-get install python3-torch";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Sends <paramref name="cases"/> (each with a <c>"name"</c>) to <c>tests/oracle/<paramref name="script"/></c> and
    /// returns its result for each, in order. <paramref name="threads"/> is the engine's intra-op thread count,
    /// which PyTorch copies.
    /// </summary>
    public static IReadOnlyList<JsonObject> Run(string script, IReadOnlyList<JsonObject> cases, int threads)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing, and the PyTorch oracle needs it; {InstallHint}");

        var request = new JsonObject { ["threads"] = threads, ["cases"] = new JsonArray([.. cases]) };
        var caseFile = Path.Combine(Path.GetTempPath(), $"oracle-{Guid.NewGuid():N}.json");
        File.WriteAllText(caseFile, request.ToJsonString());
        try
        {
            var output = Execute(ScriptPath(script), caseFile);
            var results = JsonNode.Parse(output)?.AsArray()
                ?? throw new InvalidOperationException($"{script} printed no results");
            if (results.Count != cases.Count)
                throw new InvalidOperationException($"{script} answered {results.Count} cases, {cases.Count} were asked");
            var errors = results.Select((r, i) => (r, i)).Where(x => x.r?["error"] is not null)
                .Select(x => $"case {x.i} ({cases[x.i]["name"]}): {x.r!["error"]}").ToList();
            if (errors.Count > 0)
                throw new InvalidOperationException($"PyTorch could not run {errors.Count} case(s):\n" + string.Join("\n", errors));
            return results.Select(r => r!.AsObject()).ToList();
        }
        finally
        {
            File.Delete(caseFile);
        }
    }

    private static string Execute(string script, string caseFile)
    {
        var start = new ProcessStartInfo(Python, [script, caseFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        // The child inherits this process's environment on purpose: OPENBLAS_NUM_THREADS changes how OpenBLAS splits
        // a matrix product, and so the last bits of a gradient (seen: 2e-9 in a linear layer's weight gradient),
        // which an Adam step with a nearly cancelled gradient magnifies by lr/ε. The intra-op threads come from the
        // case file instead, because the engine sets them through libtorch, not the environment.
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Patience))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the PyTorch oracle {Path.GetFileName(script)} did not finish within {Patience.TotalMinutes} minutes");
        }
        if (process.ExitCode == 0) return stdout.Result;

        var error = stderr.Result;
        throw new InvalidOperationException(
            error.Contains("No module named 'torch'", StringComparison.Ordinal) || error.Contains("No module named 'numpy'", StringComparison.Ordinal)
                ? $"{Python} cannot import torch; {InstallHint}\n{error}"
                : $"the PyTorch oracle {Path.GetFileName(script)} failed (exit {process.ExitCode}):\n{error}");
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
