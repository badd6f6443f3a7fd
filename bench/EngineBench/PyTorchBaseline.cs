using System.Diagnostics;
using System.Globalization;
using MemoryMarshal = System.Runtime.InteropServices.MemoryMarshal;
using System.Text.Json;
using Experiments.Architectures;
using Experiments.Datasets;

namespace Experiments.Bench;

/// <summary>PyTorch's throughput, both ways bench/pytorch_baseline.py measures it.</summary>
internal sealed record PyTorchThroughput(Throughput Idiomatic, Throughput Tight, string Version);

/// <summary>
/// Runs bench/pytorch_baseline.py on exactly the images our engine trains on (written once as raw float32 and
/// int32 files), with the same architecture spec, batch size, epochs, warm-up and intra-op threads.
/// </summary>
internal sealed class PyTorchBaseline : IDisposable
{
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("engine-bench-");
    private readonly LabelledImages _train;
    private readonly BenchOptions _options;

    public PyTorchBaseline(LabelledImages train, BenchOptions options)
    {
        _train = train;
        _options = options;
        File.WriteAllBytes(ImagesFile, MemoryMarshal.AsBytes(train.Pixels.AsSpan()).ToArray());
        File.WriteAllBytes(LabelsFile, MemoryMarshal.AsBytes(train.Labels.AsSpan()).ToArray());
    }

    private string ImagesFile => Path.Combine(_scratch.FullName, "images.f32");
    private string LabelsFile => Path.Combine(_scratch.FullName, "labels.i32");

    public PyTorchThroughput Measure(Architecture architecture)
    {
        var spec = Path.Combine(_scratch.FullName, $"{architecture.Name}.json");
        File.WriteAllText(spec, ArchitectureWriter.ToJson(architecture));
        if (!File.Exists(_options.Python))
            throw new InvalidOperationException($"{_options.Python} is missing; the PyTorch baseline needs it (apt-get install python3-torch)");

        string Number(int n) => n.ToString(CultureInfo.InvariantCulture);
        var dims = _train.SampleShape.Dims;
        var start = new ProcessStartInfo(_options.Python,
        [
            Script(), "--spec", spec, "--images", ImagesFile, "--labels", LabelsFile,
            "--shape", $"{Number(dims[0])},{Number(dims[1])},{Number(dims[2])}", "--count", Number(_train.Count),
            "--batch", Number(_options.BatchSize), "--epochs", Number(_options.Epochs), "--warmup", Number(_options.WarmupBatches),
            "--threads", Number(_options.Threads),
        ])
        {
            RedirectStandardOutput = true, // one JSON line; PyTorch's own warnings still reach the console on stderr
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {_options.Python}");
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"bench/pytorch_baseline.py failed (exit {process.ExitCode}); see its error above. " +
                "If torch is missing: apt-get install python3-torch");

        using var result = JsonDocument.Parse(output);
        Throughput Read(string mode)
        {
            var measured = result.RootElement.GetProperty(mode);
            return new Throughput([.. measured.GetProperty("images_per_second").EnumerateArray().Select(e => e.GetDouble())],
                measured.GetProperty("minor_faults_per_batch").GetDouble());
        }
        return new PyTorchThroughput(Read("idiomatic"), Read("tight"), result.RootElement.GetProperty("torch").GetString() ?? "?");
    }

    public void Dispose() => _scratch.Delete(recursive: true);

    private static string Script() => RepositoryFile.Find(Path.Combine("bench", "pytorch_baseline.py"));
}
