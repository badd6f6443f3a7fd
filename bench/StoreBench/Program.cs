using System.Diagnostics;
using System.Globalization;
using Experiments.Architectures;
using Experiments.Bench;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Worker.Engine;
using Npgsql;

// The results store's costs, measured against a private PostgreSQL started for the run (bench/README.md):
// recording time as a share of epoch time, bytes per snapshot against the raw tensors, and `results top` speed.

// The issue's targets.
const double writeShareTarget = 0.05;
const double topMillisecondsTarget = 100;
const double storageRatioTarget = 1.05;

var (parsed, exitCode) = ArgumentReader.Parse(args, StoreBenchOptions.Parse);
if (parsed is not { } options) return exitCode;

if (SingleBlasThread.RelaunchIfNeeded(args) is { } relaunched) return relaunched;

var architectures = options.Models.Select(ArchitectureCatalog.Resolve).ToList();
var shape = new SyntheticOptions(Channels: 3, Height: 32, Width: 32, Classes: 10);
var data = SyntheticDataset.GenerateSplits(options.Images, options.TestImages, dataSeed: 1, options: shape);

var clock = Stopwatch.StartNew();
await using var cluster = await PrivateCluster.StartAsync();
await using var store = await ResultsStore.OpenAsync(cluster.ConnectionString);
Console.WriteLine($"engine: {EngineRuntime.Description}; threads {options.Threads}; OPENBLAS_NUM_THREADS=1; load average {LoadAverage()}");
Console.WriteLine($"store: PostgreSQL {await ServerVersionAsync(cluster.ConnectionString)}, a private cluster in {cluster.DataDirectory} " +
                  $"(started and migrated in {clock.Elapsed.TotalSeconds:0.0} s; stopped and deleted at the end)");

// ---- 1 and 2: recording real trials ------------------------------------------------------------------------------
Console.WriteLine();
Console.WriteLine($"data: synthetic {shape.SampleShape} images, 10 classes: {data.Train.Count:N0} train, {data.Validation.Count:N0} validation, " +
                  $"{data.Test.Count:N0} test; batch {options.BatchSize}; Adam; epoch 0 and {options.Epochs} epochs, each recorded by a TrialRecorder");
var recordings = new List<RecordingResult>();
foreach (var architecture in options.Includes("recording") ? architectures : [])
{
    Console.WriteLine($"\n{architecture.Name}: training with the recorder attached …");
    var recording = await RecordingCost.MeasureAsync(store, architecture, data, options);
    Console.WriteLine($"  epoch 0 (untrained, evaluated only): write {recording.Epoch0WriteSeconds * 1000:N1} ms (the first write also opens connections)");
    foreach (var epoch in recording.Epochs)
        Console.WriteLine($"  epoch {epoch.Epoch}: training {epoch.TrainSeconds:N2} s, evaluation {epoch.EvaluationSeconds:N2} s, " +
                          $"write {epoch.WriteSeconds * 1000:N1} ms (capture {epoch.CaptureSeconds * 1000:N1} ms; SHA-256 {epoch.HashSeconds * 1000:N1} ms, overlapped with the COPY) = {Percent(epoch.Share)} of training");
    recordings.Add(recording);
}
if (options.LargeModel && options.Includes("recording"))
{
    // A ResNet-18-sized model (11 M parameters): an MLP is the cheapest model per parameter, so its epoch is the shortest
    // any 11 M-parameter model has on these images and its write share the largest.
    var large = GeneratedModels.ElevenMillion;
    Console.WriteLine($"\n{large.Name} (generated: {ShapeInference.Plan(large, shape.SampleShape).Parameters:N0} parameters): training with the recorder attached …");
    var recording = await RecordingCost.MeasureAsync(store, large, data, options);
    foreach (var epoch in recording.Epochs)
        Console.WriteLine($"  epoch {epoch.Epoch}: training {epoch.TrainSeconds:N2} s, evaluation {epoch.EvaluationSeconds:N2} s, " +
                          $"write {epoch.WriteSeconds * 1000:N1} ms (capture {epoch.CaptureSeconds * 1000:N1} ms; SHA-256 {epoch.HashSeconds * 1000:N1} ms, overlapped with the COPY) = {Percent(epoch.Share)} of training");
    recordings.Add(recording);

    // The same model recorded pipelined, as workers and `train` record: the write runs beside the next epoch's training,
    // and the training thread pays only the hand-off (capture, and waiting for the previous write when it is not done).
    Console.WriteLine($"\n{large.Name}, recorded pipelined (epoch e written while e + 1 trains) …");
    var pipelined = await RecordingCost.MeasurePipelinedAsync(store, large, data, options);
    foreach (var (epoch, train, handOff) in pipelined.Epochs)
        Console.WriteLine($"  epoch {epoch}: training {train:N2} s, the training thread's hand-off {handOff * 1000:N1} ms = {Percent(handOff / train)} of training");
    Console.WriteLine($"  pipelined: median hand-off {Percent(pipelined.MedianShare)} of an epoch's training (target under {writeShareTarget:P0}: " +
                      $"{(pipelined.MedianShare < writeShareTarget ? "met" : "NOT met")}); unpipelined, in this run: the median write {Percent(recording.MedianShare)} " +
                      $"({Ratio(pipelined.MedianShare / recording.MedianShare)}); writes beside training {pipelined.WriteSeconds:N2} s in all");
}

Console.WriteLine();
Console.WriteLine("Recording time per epoch: metrics + full snapshot (model and Adam state: capture, SHA-256, binary COPY, commit),");
Console.WriteLine("as a share of the epoch's training time (the trainer's clock: batches only, evaluation left out, so the share is an upper bound).");
Console.WriteLine("'capture' is the part of the write spent copying tensors out of the engine; 'MiB/s' is the raw snapshot over the whole write.");
Console.WriteLine($"Medians over epochs 1–{options.Epochs}. The last column is the same write against a full {StoreBenchOptions.FullCifarEpoch:N0}-image " +
                  "CIFAR-10 epoch (training time × 50,000 / images trained), extrapolated, not measured.");
Console.WriteLine($"{"model",-14} {"floats",8} {"images",7} {"epoch s",8} {"write ms",9} {"capture",8} {"MiB/s",6} {"share",8} {"worst",8} " +
                  $"{$"share at {StoreBenchOptions.FullCifarEpoch:N0} (extrapolated)",30}");
foreach (var r in recordings)
{
    var throughput = r.Sizes[^1].RawBytes / r.MedianWriteSeconds / (1024 * 1024);
    Console.WriteLine($"{r.Model,-14} {r.ModelFloats,8:N0} {r.Epochs[0].TrainSamples,7:N0} {r.MedianTrainSeconds,8:N2} {r.MedianWriteSeconds * 1000,9:N1} " +
                      $"{Statistics.Median(r.Epochs.Select(e => e.CaptureSeconds)) * 1000,8:N1} {throughput,6:N0} {Percent(r.MedianShare),8} " +
                      $"{Percent(r.Epochs.Max(e => e.Share)),8} {Percent(r.MedianShareAt(StoreBenchOptions.FullCifarEpoch)),30}");
}

Console.WriteLine();
Console.WriteLine("Bytes per snapshot (one epoch), against the raw tensors. 'model raw' is the model's tensors as float32 (BatchNorm's");
Console.WriteLine("num_batches_tracked as int64); 'snapshot raw' adds the Adam state; 'bytea' is pg_column_size of the bytes column;");
Console.WriteLine("'on disk' is the growth of pg_total_relation_size('weight_tensors') (heap, TOAST, indexes) per recorded epoch.");
Console.WriteLine("A trained epoch's snapshot (model + Adam state; the on-disk figure is the mean over the trained epochs):");
Console.WriteLine($"{"model",-14} {"tensors",7} {"model raw",11} {"snapshot raw",13} {"bytea",11} {"on disk",11} {"disk/snapshot",14} {"disk/model",11}");
foreach (var r in recordings)
{
    var s = r.TrainedSize;
    Console.WriteLine($"{r.Model,-14} {s.Tensors,7} {Kib(s.ModelBytes),11} {Kib(s.RawBytes),13} {Kib(s.ColumnBytes),11} {Kib(s.RelationGrowth),11} " +
                      $"{Ratio((double)s.RelationGrowth / s.RawBytes),14} {Ratio((double)s.RelationGrowth / s.ModelBytes),11}");
}
foreach (var r in recordings)
    Console.WriteLine($"{r.Model}: epoch 0's snapshot (model only, Adam has no state before its first step): {r.Epoch0Size.Tensors} tensors, " +
                      $"{Kib(r.Epoch0Size.RawBytes)} raw, {Kib(r.Epoch0Size.RelationGrowth)} on disk");

// ---- TOAST settings, on the trained snapshots just recorded ---------------------------------------------------------
Console.WriteLine();
Console.WriteLine("TOAST settings for weight_tensors.bytes, tried on the trained snapshots recorded above (INSERT … SELECT into a scratch copy):");
Console.WriteLine($"{"setting",-42} {"table on disk",14} {"bytea",14} {"insert s",9}");
var toast = options.Includes("recording") ? await RetentionCost.CompareToastAsync(cluster.ConnectionString) : [];
foreach (var t in toast)
    Console.WriteLine($"{t.Setting,-42} {Kib(t.TableBytes),14} {Kib(t.ColumnBytes),14} {t.InsertSeconds,9:N2}");

// ---- retention: bytes per trial of every built-in ----------------------------------------------------------------
Console.WriteLine();
Console.WriteLine($"Bytes per trial of epoch 0 and {options.RetentionEpochs} trained epochs, per built-in, on its real model and Adam tensor shapes");
Console.WriteLine("(random float32 bytes: incompressible, like trained weights). 'as written' is the table when the trial ends with no VACUUM");
Console.WriteLine("having run; 'compacted' after VACUUM FULL: the kept rows alone, what they occupy once autovacuum lets new epochs reuse");
Console.WriteLine("the space of the retired ones. 'disk/raw' is compacted over the raw bytes kept; 'per epoch' is what the epochs after");
Console.WriteLine($"epoch {RetentionCost.MarginFrom} added to the compacted table over their raw bytes: the bytes on disk per stored epoch, without the table's fixed cost.");
Console.WriteLine($"{"model",-17} {"retention",-52} {"epochs kept",11} {"raw written",14} {"raw kept",14} {"as written",14} {"compacted",14} {"disk/raw",9} {"per epoch",9}");
var retention = options.Includes("retention")
    ? await RetentionCost.MeasureAsync(store, [.. ArchitectureCatalog.Names.Select(ArchitectureCatalog.Resolve)], options.RetentionEpochs)
    : [];
foreach (var r in retention)
    Console.WriteLine($"{r.Model,-17} {r.Retention,-52} {r.KeptEpochs,11} {Mib(r.RawWritten),14} {Mib(r.RawKept),14} {Mib(r.TableAsWritten),14} " +
                      $"{Mib(r.TableCompacted),14} {Ratio(r.CompactedPerRaw),9} {Ratio(r.PerEpochPerRaw),9}");
foreach (var model in retention.GroupBy(r => r.Model))
{
    var (before, after) = (model.First(), model.Skip(1).First());
    Console.WriteLine($"{model.Key}: after/before compacted {Ratio((double)after.TableCompacted / before.TableCompacted)}; " +
                      $"with snapshots every 5: {Ratio((double)model.Last().TableCompacted / before.TableCompacted)}");
}

// ---- 3: the leaderboard query -------------------------------------------------------------------------------------
string? topVerdict = null;
if (options.Includes("top"))
{
    Console.WriteLine();
    Console.WriteLine($"results top: generating {options.Trials:N0} trials × {options.EpochsPerTrial} epochs …");
    var leaderboard = await LeaderboardSpeed.MeasureAsync(store, options, Console.Out);
    Console.WriteLine($"ResultsStore.TopAsync(metric, sweep, limit 10), as `experiments results top` calls it; {options.WarmupRuns} warm-up runs, " +
                      $"then {options.Runs} timed (client-side, including the round trip):");
    Console.WriteLine($"{"query",-46} {"median ms",10} {"min ms",8} {"max ms",8} {"rows",5}");
    foreach (var t in leaderboard.Timings)
        Console.WriteLine($"{t.Label,-46} {t.Median,10:N1} {t.Milliseconds.Min(),8:N1} {t.Milliseconds.Max(),8:N1} {t.Rows,5}");
    var executionTime = leaderboard.Plan.Split('\n').LastOrDefault(l => l.StartsWith("Execution Time", StringComparison.Ordinal)) ?? "?";
    Console.WriteLine($"server side, EXPLAIN ANALYZE of the unfiltered val_accuracy statement: {executionTime}");
    var topMet = leaderboard.Timings.All(t => t.Median < topMillisecondsTarget);
    if (options.Explain || !topMet)
    {
        Console.WriteLine("\nthe statement TopAsync sent:\n" + leaderboard.Sql);
        Console.WriteLine("\nits plan:\n" + leaderboard.Plan);
    }
    topVerdict = $"target results top < {topMillisecondsTarget:N0} ms over {leaderboard.Trials:N0} trials and {leaderboard.EpochRows:N0} epoch rows: " +
                 $"{(topMet ? "met" : "NOT met")} ({string.Join(", ", leaderboard.Timings.Select(t => $"{t.Median:N1} ms"))})";
}

// ---- verdicts -----------------------------------------------------------------------------------------------------
Console.WriteLine();
foreach (var r in recordings)
    Console.WriteLine($"target {r.Model}: write < {Percent(writeShareTarget)} of epoch time: {(r.MedianShare < writeShareTarget ? "met" : "NOT met")} " +
                      $"on the measured {r.Epochs[0].TrainSamples:N0}-image epoch ({Percent(r.MedianShare)}; " +
                      $"{Percent(r.MedianShareAt(StoreBenchOptions.FullCifarEpoch))} extrapolated to {StoreBenchOptions.FullCifarEpoch:N0} images)");
foreach (var r in retention.Where(r => r.Retention.StartsWith("after: every epoch", StringComparison.Ordinal)))
    Console.WriteLine($"target {r.Model}: bytes on disk per stored epoch ≤ {Ratio(storageRatioTarget)} the raw tensor bytes: " +
                      $"{(r.PerEpochPerRaw <= storageRatioTarget ? "met" : "NOT met")} ({r.PerEpochPerRaw.ToString("0.000", CultureInfo.InvariantCulture)}×; the trial's whole table {Ratio(r.CompactedPerRaw)})");
if (topVerdict is not null) Console.WriteLine(topVerdict);
// Other work on the machine slows training and queries alike; the load average says whether there was any.
Console.WriteLine($"load average at the end: {LoadAverage()}");
return 0;

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "?";

static string Percent(double share) => share.ToString("0.00%", CultureInfo.InvariantCulture);

static string Ratio(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×";

static string Mib(long bytes) => (bytes / 1048576.0).ToString("N2", CultureInfo.InvariantCulture) + " MiB";

static string Kib(long bytes) => (bytes / 1024.0).ToString("N1", CultureInfo.InvariantCulture) + " KiB";

static async Task<string> ServerVersionAsync(string connectionString)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    return connection.PostgreSqlVersion.ToString();
}

