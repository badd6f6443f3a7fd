using System.Diagnostics;
using System.Text.Json;
using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Store;
using Npgsql;
using NpgsqlTypes;

namespace Experiments.Bench;

/// <summary>How long one call took, over several runs.</summary>
internal sealed record QueryTiming(string Label, IReadOnlyList<double> Milliseconds, int Rows)
{
    public double Median => Statistics.Median(Milliseconds);
}

internal sealed record LeaderboardResult(int Trials, long EpochRows, double GenerationSeconds, IReadOnlyList<QueryTiming> Timings, string Sql, string Plan);

/// <summary>
/// The speed of <c>experiments results top</c>, which is <see cref="ResultsStore.TopAsync"/>: many generated trials and
/// epoch rows are written with binary COPY (the store's own write path would take minutes for rows that differ only
/// in their numbers), analysed, and the call is timed as the CLI makes it.
/// </summary>
internal static class LeaderboardSpeed
{
    public static async Task<LeaderboardResult> MeasureAsync(ResultsStore store, StoreBenchOptions options, TextWriter progress)
    {
        var clock = Stopwatch.StartNew();
        var sweeps = new List<long>();
        for (var s = 0; s < options.Sweeps; s++)
            sweeps.Add(await store.CreateSweepAsync($"store-bench-{s + 1}", """{"generated": true}"""));
        await using var dataSource = NpgsqlDataSource.Create(store.ConnectionString);
        var trialIds = await GenerateTrialsAsync(dataSource, sweeps, options.Trials);
        var epochRows = await GenerateEpochsAsync(dataSource, trialIds, options.EpochsPerTrial);
        var generation = clock.Elapsed.TotalSeconds;
        progress.WriteLine($"  generated {trialIds.Count:N0} trials in {sweeps.Count} sweeps and {epochRows:N0} epoch rows in {generation:0.0} s (binary COPY)");

        clock.Restart();
        // What autovacuum does on its own soon after a bulk load: statistics, and a visibility map for index-only scans.
        await using (var vacuum = dataSource.CreateCommand("VACUUM (ANALYZE) trials, epochs")) await vacuum.ExecuteNonQueryAsync();
        progress.WriteLine($"  VACUUM (ANALYZE) trials, epochs: {clock.Elapsed.TotalSeconds:0.0} s");

        var sweep = sweeps[sweeps.Count / 2];
        var timings = new List<QueryTiming>
        {
            await TimeAsync("top --metric val_accuracy", () => store.TopAsync("val_accuracy", null, 10), options),
            await TimeAsync("top --metric val_loss", () => store.TopAsync("val_loss", null, 10), options),
            await TimeAsync($"top --metric val_accuracy --sweep (one of {sweeps.Count})", () => store.TopAsync("val_accuracy", sweep, 10), options),
        };

        // EXPLAIN ANALYZE of exactly the ranking statement the store sent for the first, unfiltered leaderboard. Tracing is
        // switched on only now, so the timed runs above did not pay for it.
        string sql;
        using (var capture = new QueryCapture())
        {
            await store.TopAsync("val_accuracy", null, 10);
            sql = capture.FirstStatement ?? throw new InvalidOperationException("Npgsql reported no statement for TopAsync");
        }
        await using var explain = dataSource.CreateCommand("EXPLAIN (ANALYZE, BUFFERS) " + sql);
        explain.Parameters.AddWithValue("limit", 10);
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
            while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
        return new LeaderboardResult(trialIds.Count, epochRows, generation, timings, sql, string.Join('\n', plan));
    }

    private static async Task<QueryTiming> TimeAsync(string label, Func<Task<IReadOnlyList<TrialRow>>> query, StoreBenchOptions options)
    {
        for (var i = 0; i < options.WarmupRuns; i++) await query();
        var times = new List<double>();
        var rows = 0;
        for (var i = 0; i < options.Runs; i++)
        {
            var clock = Stopwatch.StartNew();
            rows = (await query()).Count;
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        return new QueryTiming(label, times, rows);
    }

    internal static async Task<List<long>> GenerateTrialsAsync(NpgsqlDataSource dataSource, IReadOnlyList<long> sweeps, int count)
    {
        var random = new Random(1);
        var architectures = new[] { "lenet-cifar", "resnet-small", "vgg-small", "ffnn-100" };
        var specs = architectures.ToDictionary(a => a, a => ArchitectureWriter.ToJson(ArchitectureCatalog.Resolve(a)));
        var now = TimeProvider.System.GetUtcNow();
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var import = await connection.BeginBinaryImportAsync(
            """
            COPY trials (sweep_id, architecture, architecture_spec, dataset, hyperparameters, seed, status, attempts, worker,
                         created_at, started_at, finished_at) FROM STDIN (FORMAT BINARY)
            """))
        {
            for (var i = 0; i < count; i++)
            {
                var architecture = architectures[i % architectures.Length];
                var hyperparameters = JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["optimizer"] = "adam",
                    ["lr"] = Math.Pow(10, -4 + 2 * random.NextDouble()),
                    ["weight_decay"] = random.Next(2) == 0 ? 0 : 5e-4,
                    ["batch_size"] = 64,
                    ["epochs"] = 30,
                    ["val_split"] = 0.1,
                });
                var created = now.AddMinutes(-2 * (count - i));
                await import.StartRowAsync();
                await import.WriteAsync(sweeps[i % sweeps.Count], NpgsqlDbType.Bigint);
                await import.WriteAsync(architecture, NpgsqlDbType.Text);
                await import.WriteAsync(specs[architecture], NpgsqlDbType.Jsonb);
                await import.WriteAsync("cifar10", NpgsqlDbType.Text);
                await import.WriteAsync(hyperparameters, NpgsqlDbType.Jsonb);
                await import.WriteAsync((long)i, NpgsqlDbType.Bigint);
                await import.WriteAsync("completed", NpgsqlDbType.Text);
                await import.WriteAsync(1, NpgsqlDbType.Integer);
                await import.WriteAsync($"bench-worker-{i % 8}", NpgsqlDbType.Text);
                await import.WriteAsync(created, NpgsqlDbType.TimestampTz);
                await import.WriteAsync(created, NpgsqlDbType.TimestampTz);
                await import.WriteAsync(created.AddMinutes(90), NpgsqlDbType.TimestampTz);
            }
            await import.CompleteAsync();
        }

        var ids = new List<long>(count);
        await using var select = dataSource.CreateCommand("SELECT id FROM trials WHERE sweep_id = ANY(@sweeps) ORDER BY id");
        select.Parameters.AddWithValue("sweeps", sweeps.ToArray());
        await using var reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetInt64(0));
        return ids;
    }

    /// <summary>
    /// Learning curves that look like real ones: each trial has its own ceiling and pace, accuracy rises and loss
    /// falls with noise, and epoch 0 (the untrained model) has no train figures, as the trainer records it.
    /// </summary>
    internal static async Task<long> GenerateEpochsAsync(NpgsqlDataSource dataSource, IReadOnlyList<long> trialIds, int epochsPerTrial)
    {
        var random = new Random(2);
        long rows = 0;
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var import = await connection.BeginBinaryImportAsync(
            """
            COPY epochs (trial_id, epoch, learning_rate, train_loss, train_accuracy, train_samples, val_loss, val_accuracy, val_samples,
                         test_loss, test_accuracy, test_samples, seconds, images_per_second) FROM STDIN (FORMAT BINARY)
            """);
        foreach (var trial in trialIds)
        {
            var ceiling = 0.3 + 0.6 * random.NextDouble();
            var pace = 2 + 8 * random.NextDouble();
            for (var epoch = 0; epoch < epochsPerTrial; epoch++)
            {
                double Noise() => 0.01 * (random.NextDouble() - 0.5);
                var progress = 1 - Math.Exp(-epoch / pace);
                var accuracy = Math.Clamp(0.1 + (ceiling - 0.1) * progress + Noise(), 0, 1);
                var loss = 2.303 * (1 - accuracy) / 0.9 + Noise();
                var seconds = epoch == 0 ? 0 : 9 + random.NextDouble();
                await import.StartRowAsync();
                await import.WriteAsync(trial, NpgsqlDbType.Bigint);
                await import.WriteAsync(epoch, NpgsqlDbType.Integer);
                await import.WriteAsync(1e-3, NpgsqlDbType.Double);
                if (epoch == 0)
                {
                    for (var i = 0; i < 3; i++) await import.WriteNullAsync();
                }
                else
                {
                    await import.WriteAsync(loss * 0.95, NpgsqlDbType.Double);
                    await import.WriteAsync(Math.Min(1, accuracy * 1.02), NpgsqlDbType.Double);
                    await import.WriteAsync(45_000, NpgsqlDbType.Integer);
                }
                await import.WriteAsync(loss, NpgsqlDbType.Double);
                await import.WriteAsync(accuracy, NpgsqlDbType.Double);
                await import.WriteAsync(5_000, NpgsqlDbType.Integer);
                await import.WriteAsync(loss + Noise(), NpgsqlDbType.Double);
                await import.WriteAsync(Math.Clamp(accuracy + Noise(), 0, 1), NpgsqlDbType.Double);
                await import.WriteAsync(10_000, NpgsqlDbType.Integer);
                await import.WriteAsync(seconds, NpgsqlDbType.Double);
                await import.WriteAsync(epoch == 0 ? 0 : 45_000 / seconds, NpgsqlDbType.Double);
                rows++;
            }
        }
        await import.CompleteAsync();
        return rows;
    }

    /// <summary>
    /// The text of the first statement Npgsql sent, from its tracing (the ActivitySource "Npgsql"). TopAsync sends the
    /// ranking query first, then reads the ranked trials' summaries by id (a lookup of ten rows).
    /// </summary>
    private sealed class QueryCapture : IDisposable
    {
        private readonly ActivityListener _listener;
        private string? _first;

        public QueryCapture()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == "Npgsql",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.GetTagItem("db.query.text") is string text) Interlocked.CompareExchange(ref _first, text, null);
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public string? FirstStatement => Volatile.Read(ref _first);

        public void Dispose() => _listener.Dispose();
    }
}
