using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Experiments.Architectures.Tests;

/// <summary>
/// Runs tests/oracle/torch_model.py under Debian's PyTorch once for a batch of architectures and hands
/// back, per case, PyTorch's state dict (names, shapes, dtypes in order), output shape and parameter count.
/// A missing interpreter or torch is a failure, never a skip: the oracle is what makes the plan trustworthy.
/// </summary>
internal static class PyTorchOracle
{
    private const string Python = "/usr/bin/python3";
    private const string InstallHint = "install PyTorch for Debian's python with: apt-get install python3-torch";

    public sealed record Result(IReadOnlyList<string> StateDict, IReadOnlyList<int> Output, long Parameters);

    public static IReadOnlyList<Result> Run(IReadOnlyList<(Architecture Architecture, TensorShape Input)> cases)
    {
        if (!File.Exists(Python))
            throw new InvalidOperationException($"{Python} is missing; the PyTorch oracle needs it ({InstallHint})");

        // The spec goes through the canonical writer, so this also checks that PyTorch reads what we write.
        var request = new JsonArray(cases.Select(c => (JsonNode)new JsonObject
        {
            ["spec"] = JsonNode.Parse(ArchitectureWriter.ToJson(c.Architecture)),
            ["input"] = new JsonArray(c.Input.Dims.Select(d => (JsonNode)d).ToArray()),
        }).ToArray());

        var start = new ProcessStartInfo(Python, [Script(), "batch"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["OMP_NUM_THREADS"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Python}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(request.ToJsonString());
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the PyTorch oracle did not finish within 3 minutes");
        }

        if (process.ExitCode != 0)
        {
            var error = stderr.Result;
            throw new InvalidOperationException(error.Contains("No module named 'torch'", StringComparison.Ordinal)
                ? $"{Python} has no torch module; {InstallHint}"
                : $"the PyTorch oracle failed (exit {process.ExitCode}):\n{error}");
        }

        using var response = JsonDocument.Parse(stdout.Result);
        return response.RootElement.EnumerateArray().Select((item, i) =>
        {
            if (item.TryGetProperty("error", out var failure))
                throw new InvalidOperationException($"PyTorch could not build case {i} ({cases[i].Architecture.Name}): {failure.GetString()}");
            var stateDict = item.GetProperty("state_dict").EnumerateObject()
                .Select(t => Describe(t.Name, t.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()), t.Value.GetProperty("dtype").GetString()!))
                .ToArray();
            var output = item.GetProperty("output").EnumerateArray().Select(d => d.GetInt32()).ToArray();
            return new Result(stateDict, output, item.GetProperty("parameters").GetInt64());
        }).ToArray();
    }

    /// <summary>One state-dict entry as a line, so a mismatch shows up as a readable diff.</summary>
    public static string Describe(string name, IEnumerable<int> shape, string dtype) => $"{name} [{string.Join(", ", shape)}] {dtype}";

    private static string Script()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "oracle", "torch_model.py");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"tests/oracle/torch_model.py not found above {AppContext.BaseDirectory}");
    }
}
