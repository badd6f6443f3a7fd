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
using System.Net.Http.Json;
using Microsoft.Playwright;
using Npgsql;

// The dashboard's costs over one large generated sweep in a private PostgreSQL (bench/README.md, "Dashboard"): the sweep
// page's JSON answers as the browser fetches them, against the raw SQL that reads the same rows in the same run; the
// sweep page in Debian's Chromium (first render, every trial drawn in the parallel coordinates); and the first and the
// cached view of an epoch's kernels, feature maps and Grad-CAM for the seed models, over HTTP and in Chromium.

var trials = 5_000;
var epochs = 30;
var runs = 10;
var browserRuns = 5;
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
        case "--browser-runs": browserRuns = Value(); break;
        case "--width": width = Value(); break;
        default:
            Console.Error.WriteLine("usage: DashboardBench [--trials 5000] [--epochs 30] [--runs 10] [--browser-runs 5] [--width 800]");
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
var datasetHome = Directory.CreateTempSubdirectory("dashboard-bench-").FullName;
await using var app = DashboardApp.Build(new DashboardOptions(readOnly, Token: null) { DatasetHome = datasetHome }, "http://127.0.0.1:0");
await app.StartAsync();
var address = app.Urls.First();
using var client = new HttpClient { BaseAddress = new Uri(address) };

// A page listens to the live feed the whole time it is open, so the bench does too: the dashboard then keys its cached
// sweep table by the feed's latest fingerprint instead of asking the database for one.
using var feedClient = new HttpClient { BaseAddress = new Uri(address), Timeout = Timeout.InfiniteTimeSpan };
using var feedStop = new CancellationTokenSource();
var changesHeard = 0;
var feed = Task.Run(async () =>
{
    using var stream = new StreamReader(await feedClient.GetStreamAsync("/api/changes", feedStop.Token));
    while (await stream.ReadLineAsync(feedStop.Token) is { } line)
        if (line.StartsWith("data: ", StringComparison.Ordinal)) Interlocked.Increment(ref changesHeard);
});

// A change as a running sweep makes one every heartbeat, and then waits, as a page does, until the live feed has told
// of it: the next read of the sweep page goes to the database again. Not timed.
await using var writer = NpgsqlDataSource.Create(store.ConnectionString);
async Task ChangeAsync()
{
    var heard = Volatile.Read(ref changesHeard);
    await using var command = writer.CreateCommand("UPDATE trials SET heartbeat_at = clock_timestamp() WHERE id = (SELECT min(id) FROM trials WHERE sweep_id = @sweep)");
    command.Parameters.AddWithValue("sweep", sweep);
    await command.ExecuteNonQueryAsync();
    var waited = Stopwatch.StartNew();
    while (Volatile.Read(ref changesHeard) == heard)
    {
        if (waited.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("the live feed did not tell of a heartbeat within 30 s");
        await Task.Delay(20);
    }
}

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

// The median of `runs` timings after one warm-up; `before` runs untimed ahead of each.
async Task<(double Median, long Bytes)> TimeAsync(Func<Task<long>> work, Func<Task>? before = null)
{
    if (before is not null) await before();
    await work();
    var times = new List<double>();
    long size = 0;
    for (var r = 0; r < runs; r++)
    {
        if (before is not null) await before();
        var watch = Stopwatch.StartNew();
        size = await work();
        times.Add(watch.Elapsed.TotalMilliseconds);
    }
    return (Statistics.Median(times), size);
}
async Task<long> GetAsync(string path) => (await client.GetByteArrayAsync(path)).LongLength;

// The curves the page draws by default: the best 20 trials by the sweep's metric (large-sweep.js).
var detail = (await client.GetFromJsonAsync<SweepDetail>($"/api/sweeps/{sweep}"))!;
var valued = detail.Trials.Where(t => t.Best is { } b && double.IsFinite(b)).ToList();
var top = valued.OrderBy(t => detail.Maximize ? -t.Best!.Value : t.Best!.Value).ThenBy(t => t.Id).Take(20).Select(t => t.Id).ToList();
var defaultCurves = $"/api/sweeps/{sweep}/curves?width={width}&trials={string.Join(',', top)}";

// The table's rows as the dashboard read them before the store kept each trial's best epoch: PostgreSQL ranked every
// trained epoch of every trial at each read. Timed beside the store's read of the kept best, in the same run.
async Task<long> RankedAtReadAsync()
{
    await using var command = writer.CreateCommand(
        """
        SELECT t.id, t.trial_index, t.label, t.status, t.attempts, t.worker, t.heartbeat_at, t.error,
               t.architecture, t.dataset, t.hyperparameters::text, t.seed, coalesce((t.hyperparameters->>'epochs')::int, 0),
               coalesce(e.trained, 0), best.epoch, best.value
        FROM trials t
        LEFT JOIN LATERAL (SELECT count(*)::int AS trained FROM epochs e WHERE e.trial_id = t.id AND e.epoch > 0) e ON true
        LEFT JOIN LATERAL (SELECT e.epoch, e.val_accuracy AS value FROM epochs e
                           WHERE e.trial_id = t.id AND e.epoch > 0 AND e.val_accuracy NOT IN ('NaN', 'Infinity', '-Infinity')
                           ORDER BY e.val_accuracy DESC, e.epoch LIMIT 1) best ON true
        WHERE t.sweep_id = @sweep ORDER BY t.trial_index, t.id
        """);
    command.Parameters.AddWithValue("sweep", sweep);
    await using var reader = await command.ExecuteReaderAsync();
    var row = new object[reader.FieldCount];
    long values = 0;
    while (await reader.ReadAsync()) values += reader.GetValues(row);
    return values;
}
var raw = await TimeAsync(RawSqlAsync);
var rankedAtRead = await TimeAsync(RankedAtReadAsync);
var keptBest = await TimeAsync(async () => (await readOnly.GetSweepTableAsync(sweep)).Count);
var table = await TimeAsync(() => GetAsync($"/api/sweeps/{sweep}"), ChangeAsync);
var cachedTable = await TimeAsync(() => GetAsync($"/api/sweeps/{sweep}"));
var analysis = await TimeAsync(() => GetAsync($"/api/sweeps/{sweep}/analysis"));
var curves = await TimeAsync(() => GetAsync(defaultCurves));
var page = await TimeAsync(async () => await GetAsync($"/api/sweeps/{sweep}") + await GetAsync($"/api/sweeps/{sweep}/analysis") + await GetAsync(defaultCurves), ChangeAsync);
var allCurves = await TimeAsync(() => GetAsync($"/api/sweeps/{sweep}/curves?width={width}"));
Console.WriteLine();
Console.WriteLine($"median of {runs} runs after one warm-up, ms (\"after a change\": a trial's heartbeat was written just before, as while a sweep runs):");
void Row(string label, double ms, string rest) => Console.WriteLine($"  {label,-72} {ms,8:0.0}   {rest}");
string Versus(double ms, long bytes) => $"{ms / raw.Median,6:0.00}× baseline   {bytes / 1024.0,6:N0} KiB";
Row("baseline: raw SQL of the same rows (trials + epochs, Npgsql)", raw.Median, $"({raw.Bytes:N0} values)");
Row("the table's rows, each trial's best epoch ranked at read time (before 0012)", rankedAtRead.Median, Versus(rankedAtRead.Median, 0));
Row("the table's rows with the best epoch kept on each trial (GetSweepTableAsync)", keptBest.Median,
    $"{keptBest.Median / raw.Median,6:0.00}× baseline   {keptBest.Median / rankedAtRead.Median,5:0.00}× ranked at read time");
Row("/api/sweeps/S (the trial table), after a change", table.Median, Versus(table.Median, table.Bytes));
Row("/api/sweeps/S again, nothing changed (a second viewer: cached)", cachedTable.Median, Versus(cachedTable.Median, cachedTable.Bytes));
Row("/api/sweeps/S/analysis (swept parameters, importance)", analysis.Median, Versus(analysis.Median, analysis.Bytes));
Row($"/api/sweeps/S/curves?width={width}&trials=<the best 20> (the page's default)", curves.Median, Versus(curves.Median, curves.Bytes));
Row("sweep page data after a change (table + analysis + default curves)", page.Median, Versus(page.Median, page.Bytes));
Row($"/api/sweeps/S/curves?width={width} (every trial's curves: \"draw all\")", allCurves.Median, Versus(allCurves.Median, allCurves.Bytes));

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

// The sweep page in Chromium, after a change each time (so the server reads the database): the first render is the
// page's own mark (main[data-rendered], the milliseconds from navigation until the trial table and the default curves
// are drawn), and so is the parallel coordinates' (#parallel-chart[data-drawn]); they count the lines ECharts was given.
using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = "/usr/lib/chromium/chromium", Headless = true, Args = ["--no-sandbox"],
});
var (renders, parallels, rowsDrawn, linesDrawn) = (new List<double>(), new List<double>(), 0, 0);
var (analysisAnswered, idle) = (new List<double>(), new List<double>());
for (var r = 0; r <= browserRuns; r++)
{
    await ChangeAsync();
    var tab = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
    var errors = new List<string>();
    tab.PageError += (_, error) => errors.Add(error);
    await tab.GotoAsync($"{address}/sweeps/{sweep}");
    await tab.WaitForSelectorAsync("main[data-rendered]", new PageWaitForSelectorOptions { Timeout = 120_000 });
    var rendered = double.Parse((await tab.GetAttributeAsync("main", "data-rendered"))!, CultureInfo.InvariantCulture);
    // The page's own mark, as for the first render: read here once the page is idle, the time it took when the page
    // was still busy afterwards (the importance and the slices) counted too, 1.7 s more at 5,000 trials.
    await tab.WaitForSelectorAsync("#parallel-chart[data-drawn]", new PageWaitForSelectorOptions { Timeout = 120_000, State = WaitForSelectorState.Attached });
    var parallelAt = double.Parse((await tab.GetAttributeAsync("#parallel-chart", "data-drawn"))!, CultureInfo.InvariantCulture);
    // What this bench called the parallel coordinates drawn until 2026-12-01: the page idle again after them.
    var idleAt = await tab.EvaluateAsync<double>("performance.now()");
    linesDrawn = await tab.EvaluateAsync<int>("echarts.getInstanceByDom(document.getElementById('parallel-chart')).getOption().series[0].data.length");
    // When the analysis the chart is drawn from had come in (resource timing), to tell waiting from drawing.
    var analysisAt = await tab.EvaluateAsync<double>("(performance.getEntriesByType('resource').find(e => e.name.includes('/analysis')) || { responseEnd: -1 }).responseEnd");
    rowsDrawn = await tab.EvaluateAsync<int>("document.querySelectorAll('#trials tbody tr').length");
    if (errors.Count > 0) throw new InvalidOperationException($"the sweep page failed: {errors[0]}");
    await tab.CloseAsync();
    if (r == 0) continue; // the browser's own first start
    renders.Add(rendered);
    parallels.Add(parallelAt);
    analysisAnswered.Add(analysisAt);
    idle.Add(idleAt);
}
Console.WriteLine();
Console.WriteLine($"the sweep page in Chromium {browser.Version} (headless, 1400×1000), median of {browserRuns} loads after one warm-up, ms from navigation:");
Row("first render (trial table and default curves drawn: main[data-rendered])", Statistics.Median(renders), $"{Statistics.Median(renders) / raw.Median,6:0.00}× baseline");
Row("parallel coordinates drawn (#parallel-chart[data-drawn])", Statistics.Median(parallels), $"{Statistics.Median(parallels) / raw.Median,6:0.00}× baseline");
Row("  of which waiting: the analysis they are drawn from had come in", Statistics.Median(analysisAnswered), $"{Statistics.Median(analysisAnswered) / raw.Median,6:0.00}× baseline");
Row("the page idle again (importance and slices drawn too)", Statistics.Median(idle), $"{Statistics.Median(idle) / raw.Median,6:0.00}× baseline");
Console.WriteLine($"  lines in the parallel coordinates: {linesDrawn:N0} of the {valued.Count:N0} trials with a {detail.Sweep.Metric} ({detail.Trials.Count:N0} trials); table rows drawn: {rowsDrawn:N0}");

// An epoch's pictures for the seed models: kernels of layer 0, the feature maps of the first map layer and Grad-CAM at
// image 0 of the test split. The snapshots are the untrained models' own weights, written as epochs 0 to 3 of two
// trials each (one for HTTP, one for the browser): drawing costs the same whatever the values. The bench's data is the
// synthetic set (1×28×28): lenet-cifar's image views need 3×32×32 CIFAR-10 images, so only its kernels are drawn.
async Task<long> SeedTrialAsync(string name)
{
    var architecture = ArchitectureCatalog.Resolve(name);
    var plan = ShapeInference.Plan(architecture);
    var settings = new TrainingSettings { Optimizer = new OptimizerSettings(OptimizerKind.Adam), Epochs = 3, Seed = 1 };
    var trial = await store.CreateTrialAsync(RecordedTrial.Definition(plan, SyntheticDataset.Name, settings, DatasetSplits.DefaultValidationFraction));
    await store.MarkRunningAsync(trial, "dashboard-bench");
    using var model = Model.Create(plan, settings.Seed);
    var snapshot = model.State.Select(t => new TensorSnapshot(t.Name, t.Shape, "float32", model.ReadBytes(t))).ToList();
    for (var epoch = 0; epoch <= 3; epoch++)
        await store.WriteEpochAsync(trial, new EpochRecord(epoch, 1e-3, null, new SplitFigures(2.3, 0.1, 100), null, 1, 100), snapshot);
    return trial;
}
var seedModels = new[] { ("lenet-cifar", false), ("lenet-matconvnet", true), ("doshi-mnist", true) };
Console.WriteLine();
Console.WriteLine("the trial page in Chromium, the first picture of each view at the latest epoch (a first view), each view scrolled into sight in turn, ms the browser waited for it (resource timing):");
foreach (var (name, images) in seedModels)
{
    var trial = await SeedTrialAsync(name);
    var tab = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
    await tab.GotoAsync($"{address}/trials/{trial}");
    // Each picture with the view the page draws it in: a view asks for its picture once it is scrolled into sight.
    var wanted = images ? new[] { ("kernels.png", "#kernel-view"), ("activations.png", "#maps-view"), ("gradcam.png", "#attribution-view") } : [("kernels.png", "#kernel-view")];
    if (images)
    {
        await tab.WaitForSelectorAsync("#attribution-method option[value=gradcam]", new PageWaitForSelectorOptions { State = WaitForSelectorState.Attached });
        await tab.SelectOptionAsync("#attribution-method", "gradcam");
        // lenet-matconvnet has no default Grad-CAM layer (no rectified maps larger than 1×1); the page then asks the user
        // to pick one in the layer menu and draws nothing until then, so the bench picks the last layer with such maps.
        var network = (await client.GetFromJsonAsync<NetworkView>($"/api/trials/{trial}/network"))!;
        if (network.GradCamLayer is null)
            await tab.SelectOptionAsync("#attribution-layer",
                network.MapLayers.Last(l => l.Shape[1] * l.Shape[2] > 1).Index.ToString(CultureInfo.InvariantCulture));
    }
    // The views' sliders have their epochs (the trial's data has arrived): a view scrolled into sight then is drawn.
    await tab.WaitForSelectorAsync("#epoch-label:not(:empty)");
    var timings = new List<string>();
    foreach (var (picture, view) in wanted)
    {
        await tab.Locator(view).ScrollIntoViewIfNeededAsync();
        // Polled from here: the page's CSP has no 'unsafe-eval', which Playwright's WaitForFunction needs.
        var script = "name => { const e = performance.getEntriesByType('resource').find(e => e.name.includes(name) && e.responseEnd > 0); return e ? [e.duration, e.responseStatus] : [-1, 0]; }";
        var waited = Stopwatch.StartNew();
        double[] entry;
        while ((entry = await tab.EvaluateAsync<double[]>(script, $"/{picture}?"))[0] < 0)
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"{name}'s trial page drew no {picture} within 60 s");
            await Task.Delay(50);
        }
        var shown = picture.Replace(".png", "", StringComparison.Ordinal);
        timings.Add(entry[1] == 200 ? $"{shown} {entry[0],6:0.0}" : $"{shown} (refused, {entry[1]:0})");
    }
    await tab.CloseAsync();
    Console.WriteLine($"  {name,-18} {string.Join("   ", timings)}");
}

Console.WriteLine();
Console.WriteLine("the same pictures over HTTP, median over epochs 0–3 of another trial per seed model, ms (first view, then cached):");
foreach (var (name, images) in seedModels)
{
    var trial = await SeedTrialAsync(name);
    var network = (await client.GetFromJsonAsync<NetworkView>($"/api/trials/{trial}/network"))!;
    var views = new List<(string Name, Func<int, string> Path)> { ("kernels", e => $"/api/trials/{trial}/kernels.png?layer=0&epoch={e}") };
    if (images)
    {
        views.Add(("feature maps", e => $"/api/trials/{trial}/activations.png?layer={network.MapLayers[0].Index}&image=0&split=test&epoch={e}"));
        views.Add(("Grad-CAM", e => $"/api/trials/{trial}/gradcam.png?image=0&split=test&epoch={e}"));
    }
    foreach (var (view, path) in views)
    {
        var (first, again) = (new List<double>(), new List<double>());
        string? refused = null;
        for (var epoch = 0; epoch <= 3 && refused is null; epoch++)
            foreach (var times in new[] { first, again })
            {
                var watch = Stopwatch.StartNew();
                using var response = await client.GetAsync(path(epoch));
                times.Add(watch.Elapsed.TotalMilliseconds);
                // A view the model has not (Grad-CAM without a rectified conv layer) is named with the dashboard's reason.
                if (!response.IsSuccessStatusCode) refused = (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("error").GetString();
            }
        Console.WriteLine(refused is not null ? $"  {name,-18} {view,-13} not drawn: {refused}"
            : $"  {name,-18} {view,-13} first view {Statistics.Median(first),7:0.0}   cached {Statistics.Median(again),6:0.0}   " +
              $"cached/first {Statistics.Median(again) / Statistics.Median(first):0.000}");
    }
}
await feedStop.CancelAsync();
await feed.ContinueWith(_ => { }, TaskScheduler.Default);
await app.StopAsync();
Directory.Delete(datasetHome, recursive: true);
return 0;
