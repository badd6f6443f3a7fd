using System.Diagnostics;
using System.Globalization;
using Experiments.Architectures;
using Experiments.Bench;
using Experiments.Dashboard;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Training;
using Npgsql;

// The dashboard's costs over one large generated sweep in a private PostgreSQL (bench/README.md, "Dashboard"): the sweep
// page's two JSON answers as the browser fetches them, against the raw SQL that reads the same rows in the same run, and
// the cost of cutting the curves to the plot's width; and the first and the cached view of an epoch's kernel picture
// for the seed models.

var trials = 1_000;
var epochs = 30;
var runs = 10;
var width = 800;
for (var i = 0; i < args.Length; i++)
{
    int Value() => i + 1 < args.Length && int.TryParse(args[++i], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
        ? v : throw new ArgumentException($"{args[i]} needs a whole number above 0");
    switch (args[i])
    {
        case "--trials": trials = Value(); break;
        case "--epochs": epochs = Value(); break;
        case "--runs": runs = Value(); break;
        case "--width": width = Value(); break;
        default:
            Console.Error.WriteLine("usage: DashboardBench [--trials 1000] [--epochs 30] [--runs 10] [--width 800]");
            return 2;
    }
}

// libtorch's own threads, one BLAS thread (shared DECISIONS.md §3): the seed models are built on the engine.
if (SingleBlasThread.RelaunchIfNeeded(args) is { } relaunched) return relaunched;

await using var cluster = await PrivateCluster.StartAsync();
await using var store = await ResultsStore.OpenAsync(cluster.ConnectionString);
Console.WriteLine($"load average {MachineLoad.Average()} (1, 5, 15 min; the machine is shared, so absolute times are noisy: read the ratios)");
var clock = Stopwatch.StartNew();
var sweep = await store.CreateSweepAsync("dashboard-bench", """{"generated": true}""");
await using (var dataSource = NpgsqlDataSource.Create(store.ConnectionString))
{
    var ids = await LeaderboardSpeed.GenerateTrialsAsync(dataSource, [sweep], trials);
    var rows = await LeaderboardSpeed.GenerateEpochsAsync(dataSource, ids, epochs + 1);
    await using var vacuum = dataSource.CreateCommand("VACUUM (ANALYZE) trials, epochs");
    await vacuum.ExecuteNonQueryAsync();
    Console.WriteLine($"one sweep of {ids.Count:N0} trials × {epochs} epochs (+ epoch 0): {rows:N0} epoch rows, generated in {clock.Elapsed.TotalSeconds:0.0} s");
}

await using var readOnly = await ResultsStore.OpenAsync(store.ConnectionString, new ResultsStoreOptions { ReadOnly = true });
await using var app = DashboardApp.Build(new DashboardOptions(readOnly, Token: null), "http://127.0.0.1:0");
await app.StartAsync();
using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

// The baseline: the same rows (the sweep's trials, and every epoch of them) read with plain Npgsql, values read and dropped.
async Task<long> RawSqlAsync()
{
    await using var connection = new NpgsqlConnection(store.ConnectionString);
    await connection.OpenAsync();
    long values = 0;
    foreach (var sql in new[]
    {
        "SELECT * FROM trials WHERE sweep_id = @sweep ORDER BY id",
        "SELECT e.* FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = @sweep ORDER BY e.trial_id, e.epoch",
    })
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("sweep", sweep);
        await using var reader = await command.ExecuteReaderAsync();
        var row = new object[reader.FieldCount];
        while (await reader.ReadAsync()) values += reader.GetValues(row);
    }
    return values;
}

async Task<(double Median, long Bytes)> TimeAsync(Func<Task<long>> work)
{
    await work();
    var times = new List<double>();
    long size = 0;
    for (var r = 0; r < runs; r++)
    {
        var watch = Stopwatch.StartNew();
        size = await work();
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    return (Statistics.Median(times), size);
}

var raw = await TimeAsync(RawSqlAsync);
var table = await TimeAsync(async () => (await client.GetByteArrayAsync($"/api/sweeps/{sweep}")).LongLength);
var curves = await TimeAsync(async () => (await client.GetByteArrayAsync($"/api/sweeps/{sweep}/curves?width={width}")).LongLength);
var downsampled = await TimeAsync(async () => (await client.GetByteArrayAsync($"/api/sweeps/{sweep}/curves?width=10")).LongLength);
Console.WriteLine();
Console.WriteLine($"median of {runs} runs after one warm-up, ms:");
void Row(string label, double ms, string rest) => Console.WriteLine($"  {label,-62} {ms,8:0.0}   {rest}");
Row("baseline: raw SQL of the same rows (trials + epochs, Npgsql)", raw.Median, $"({raw.Bytes:N0} values)");
Row("/api/sweeps/S (the trial table)", table.Median, $"{table.Median / raw.Median,5:0.00}× baseline   {table.Bytes / 1024.0,6:N0} KiB");
Row($"/api/sweeps/S/curves?width={width}", curves.Median, $"{curves.Median / raw.Median,5:0.00}× baseline   {curves.Bytes / 1024.0,6:N0} KiB");
Row("/api/sweeps/S/curves?width=10 (every curve cut to 10 buckets)", downsampled.Median, $"{downsampled.Median / raw.Median,5:0.00}× baseline   {downsampled.Bytes / 1024.0,6:N0} KiB");
Row("sweep page data (table + curves)", table.Median + curves.Median, $"{(table.Median + curves.Median) / raw.Median,5:0.00}× baseline");

// Downsampling alone: one long history (100,000 epochs) cut to the plot's width, against copying its points.
var random = new Random(3);
var x = Enumerable.Range(0, 100_000).Select(e => (double)e).ToArray();
var y = x.Select(e => (double?)(Math.Exp(-e / 20_000) + 0.01 * random.NextDouble())).ToArray();
var history = new CurvePoints(x, y);
double Median(Func<int> work)
{
    work();
    var times = new List<double>();
    for (var r = 0; r < runs; r++)
    {
        var watch = Stopwatch.StartNew();
        work();
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    return Statistics.Median(times);
}
var cut = Median(() => SeriesDownsampling.MinMaxLast(history, width).X.Count);
var copy = Median(() => new CurvePoints([.. history.X], [.. history.Y]).X.Count);
Console.WriteLine();
Console.WriteLine($"downsampling one curve of {x.Length:N0} points to {width} buckets ({SeriesDownsampling.MinMaxLast(history, width).X.Count:N0} points kept): " +
                  $"{cut:0.00} ms, {cut / copy:0.0}× copying its points ({copy:0.00} ms)");
// The kernel picture of a seed model's first conv layer, as the trial page asks for it: the first view of an epoch
// (drawn from the stored snapshot) and the same picture again (from the memory cache). The snapshots are the untrained
// models' own weights, written as epochs 0 to 3 of one trial each: drawing costs the same whatever the values.
Console.WriteLine();
Console.WriteLine("kernel picture of layer 0, median over epochs 0–3 of one trial per seed model, ms:");
foreach (var name in new[] { "lenet-cifar", "lenet-matconvnet", "doshi-mnist" })
{
    var architecture = ArchitectureCatalog.Resolve(name);
    var plan = ShapeInference.Plan(architecture);
    var settings = new TrainingSettings { Optimizer = new OptimizerSettings(OptimizerKind.Adam), Epochs = 3, Seed = 1 };
    var trial = await store.CreateTrialAsync(RecordedTrial.Definition(plan, SyntheticDataset.Name, settings, DatasetSplits.DefaultValidationFraction));
    await store.MarkRunningAsync(trial, "dashboard-bench");
    using (var model = Model.Create(plan, settings.Seed))
    {
        var snapshot = model.State.Select(t => new TensorSnapshot(t.Name, t.Shape, "float32", model.ReadBytes(t))).ToList();
        for (var epoch = 0; epoch <= 3; epoch++)
            await store.WriteEpochAsync(trial, new EpochRecord(epoch, 1e-3, null, new SplitFigures(2.3, 0.1, 100), null, 1, 100), snapshot);
    }
    var (first, again) = (new List<double>(), new List<double>());
    for (var epoch = 0; epoch <= 3; epoch++)
        foreach (var times in new[] { first, again })
        {
            var watch = Stopwatch.StartNew();
            using var response = await client.GetAsync($"/api/trials/{trial}/kernels.png?layer=0&epoch={epoch}");
            response.EnsureSuccessStatusCode();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
    Console.WriteLine($"  {name,-18} first view {Statistics.Median(first),7:0.0}   cached {Statistics.Median(again),6:0.0}   " +
                      $"cached/first {Statistics.Median(again) / Statistics.Median(first):0.000}");
}
await app.StopAsync();
return 0;
