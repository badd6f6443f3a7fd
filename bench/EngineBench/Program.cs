using System.Diagnostics;
using System.Globalization;
using Experiments.Architectures;
using Experiments.Bench;
using Experiments.Datasets;
using Experiments.Worker.Engine;

// Training throughput of our engine against PyTorch, measured in the same run on the same data (bench/README.md).

// The issue's targets, as multiples of PyTorch's throughput.
var targets = new Dictionary<string, double> { ["lenet-cifar"] = 1.0, ["ffnn-100"] = 1.5 };

var (parsed, exitCode) = ArgumentReader.Parse(args, BenchOptions.Parse);
if (parsed is not { } options) return exitCode;

if (SingleBlasThread.RelaunchIfNeeded(args) is { } relaunched) return relaunched;

var architectures = options.Models.Select(ArchitectureCatalog.Resolve).ToList();
var shape = new SyntheticOptions(Channels: 3, Height: 32, Width: 32, Classes: 10);
Console.WriteLine($"engine: {EngineRuntime.Description}; threads {options.Threads}; OPENBLAS_NUM_THREADS=1");
Console.WriteLine($"data: {options.Images:N0} synthetic {shape.SampleShape} images, 10 classes; batch {options.BatchSize}; Adam; " +
                  $"{options.WarmupBatches} warm-up batches, then the median of {options.Epochs} epochs");
var train = SyntheticDataset.Generate(options.Images, seed: 1, shape);
using var pytorch = new PyTorchBaseline(train, options);

var rows = new List<(string Model, Throughput Ours, PyTorchThroughput Theirs)>();
foreach (var architecture in architectures)
{
    Console.WriteLine($"\n{architecture.Name}: our engine …");
    var ours = OurEngine.Measure(architecture, train, options);
    Console.WriteLine($"  epochs: {Rates(ours)}");
    Console.WriteLine($"{architecture.Name}: PyTorch …");
    var theirs = pytorch.Measure(architecture);
    Console.WriteLine($"  torch {theirs.Version}, idiomatic (DataLoader) epochs: {Rates(theirs.Idiomatic)}");
    Console.WriteLine($"  tight loop epochs: {Rates(theirs.Tight)}");
    rows.Add((architecture.Name, ours, theirs));
}

Console.WriteLine();
Console.WriteLine($"{"model",-14} {"ours img/s",11} {"PyTorch idiomatic",18} {"ratio",6} {"PyTorch tight",14} {"ratio",6}");
foreach (var (model, ours, theirs) in rows)
    Console.WriteLine($"{model,-14} {ours.Median,11:N0} {theirs.Idiomatic.Median,18:N0} {Ratio(ours, theirs.Idiomatic),6} {theirs.Tight.Median,14:N0} {Ratio(ours, theirs.Tight),6}");

Console.WriteLine();
foreach (var (model, ours, theirs) in rows)
{
    if (!targets.TryGetValue(model, out var target)) continue;
    string Verdict(Throughput baseline) => ours.Median / baseline.Median >= target ? "met" : "NOT met";
    Console.WriteLine($"target {model} ≥ {target:0.0#}× PyTorch: {Verdict(theirs.Idiomatic)} against the idiomatic loop " +
                      $"({Ratio(ours, theirs.Idiomatic)}), {Verdict(theirs.Tight)} against the tight loop ({Ratio(ours, theirs.Tight)})");
}

// Printed because on the machine the bench was written on, page faults (not arithmetic) set PyTorch's pace: glibc
// handed freed tensor buffers back to the kernel after every batch, and the next batch faulted them in again.
Console.WriteLine();
Console.WriteLine($"minor page faults per batch (ours / PyTorch idiomatic / PyTorch tight): " +
                  string.Join("; ", rows.Select(r => $"{r.Model} {r.Ours.MinorFaultsPerBatch:N0} / {r.Theirs.Idiomatic.MinorFaultsPerBatch:N0} / {r.Theirs.Tight.MinorFaultsPerBatch:N0}")));
var malloc = string.Join(" ", new[] { "MALLOC_TOP_PAD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_" }
    .Select(v => Environment.GetEnvironmentVariable(v) is { } value ? $"{v}={value}" : null).OfType<string>());
Console.WriteLine(malloc.Length > 0
    ? $"glibc malloc tuned for both engines: {malloc}"
    : "glibc malloc at its defaults; MALLOC_TOP_PAD_=268435456 before the command keeps freed memory mapped in both engines (bench/README.md)");
return 0;

static string Ratio(Throughput ours, Throughput theirs) => (ours.Median / theirs.Median).ToString("0.00", CultureInfo.InvariantCulture) + "×";

static string Rates(Throughput throughput) =>
    string.Join(", ", throughput.EpochImagesPerSecond.Select(r => r.ToString("N0", CultureInfo.InvariantCulture))) +
    $" img/s; {throughput.MinorFaultsPerBatch.ToString("N0", CultureInfo.InvariantCulture)} minor page faults per batch";

