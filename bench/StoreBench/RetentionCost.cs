using System.Diagnostics;
using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Training;
using Npgsql;

namespace Experiments.Bench;

/// <summary>
/// The bytes one trial of <see cref="Epochs"/> trained epochs (plus epoch 0) leaves in weight_tensors under one retention:
/// what was written (raw), what stays (raw and pg_column_size), the table as written (no VACUUM ran during the trial),
/// and the table compacted by VACUUM FULL, which is what the kept rows occupy once their dead neighbours' space is reused.
/// </summary>
/// <see cref="PerEpochPerRaw"/> is what the epochs after <see cref="RetentionCost.MarginFrom"/> add: the compacted
/// table against the same table without them, over the raw bytes they keep, which leaves out the table's
/// fixed cost (index roots, first pages): about 1% of a 9 MiB trial alone in a table, nothing in a database of many trials.
internal sealed record TrialBytes(string Model, string Retention, int Epochs, int KeptEpochs, long RawWritten, long RawKept, long ColumnKept,
    long TableAsWritten, long TableCompacted, double PerEpochPerRaw)
{
    public double CompactedPerRaw => (double)TableCompacted / RawKept;
}

/// <summary>One TOAST setting for the bytes column, tried on the same trained snapshots.</summary>
internal sealed record ToastTrial(string Setting, long TableBytes, long ColumnBytes, double InsertSeconds);

/// <summary>
/// Retention, measured in the bench's private cluster on each built-in's real tensor shapes (model state and Adam
/// state, captured after a real training step), with random float32 bytes per epoch: like trained weights, they do
/// not compress. "every epoch's optimizer state" (the behaviour before retention) is emulated by storing the Adam
/// tensors under a name the store does not retire; the bytes written are identical.
/// </summary>
internal static class RetentionCost
{
    public const string NotRetiredPrefix = "kept-optimizer/";

    public static async Task<IReadOnlyList<TrialBytes>> MeasureAsync(ResultsStore store, IReadOnlyList<Architecture> architectures, int epochs)
    {
        var results = new List<TrialBytes>();
        foreach (var architecture in architectures)
        {
            var shapes = CaptureShapes(architecture);
            foreach (var (label, policy, keepAllOptimizerState) in new (string, SnapshotPolicy, bool)[]
                     {
                         ("before: every epoch's weights and optimizer state", SnapshotPolicy.EveryEpoch, true),
                         ("after: every epoch's weights, latest optimizer state", SnapshotPolicy.EveryEpoch, false),
                         ("after, snapshots: {every: 5}", new SnapshotPolicy(5), false),
                     })
                results.Add(await WriteTrialAsync(store, architecture.Name, label, shapes, epochs, policy, keepAllOptimizerState));
        }
        return results;
    }

    /// <summary>
    /// Copies the trained snapshots in weight_tensors into scratch tables with the bytes column stored EXTERNAL (no
    /// compression: the schema's choice), EXTENDED with pglz, and EXTENDED with lz4, timing each INSERT … SELECT.
    /// </summary>
    public static async Task<IReadOnlyList<ToastTrial>> CompareToastAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var results = new List<ToastTrial>();
        foreach (var (name, alter) in new[]
                 {
                     ("EXTERNAL (no compression; the schema's)", "SET STORAGE EXTERNAL"),
                     ("EXTENDED, pglz", "SET STORAGE EXTENDED, ALTER COLUMN bytes SET COMPRESSION pglz"),
                     ("EXTENDED, lz4", "SET STORAGE EXTENDED, ALTER COLUMN bytes SET COMPRESSION lz4"),
                 })
        {
            await ExecuteAsync(connection, "DROP TABLE IF EXISTS toast_trial");
            await ExecuteAsync(connection, "CREATE TABLE toast_trial (LIKE weight_tensors INCLUDING ALL)");
            try
            {
                await ExecuteAsync(connection, $"ALTER TABLE toast_trial ALTER COLUMN bytes {alter}");
            }
            catch (PostgresException e)
            {
                Console.WriteLine($"  {name}: not available on this server ({e.MessageText})");
                continue;
            }
            var clock = Stopwatch.StartNew();
            await ExecuteAsync(connection, "INSERT INTO toast_trial SELECT * FROM weight_tensors");
            var seconds = clock.Elapsed.TotalSeconds;
            await using var size = new NpgsqlCommand("SELECT pg_total_relation_size('toast_trial'), coalesce(sum(pg_column_size(bytes)), 0)::bigint FROM toast_trial", connection);
            await using var reader = await size.ExecuteReaderAsync();
            await reader.ReadAsync();
            results.Add(new ToastTrial(name, reader.GetInt64(0), reader.GetInt64(1), seconds));
        }
        await ExecuteAsync(connection, "DROP TABLE IF EXISTS toast_trial");
        return results;
    }

    private static async Task<TrialBytes> WriteTrialAsync(ResultsStore store, string model, string retention, IReadOnlyList<TensorSnapshot> shapes,
        int epochs, SnapshotPolicy policy, bool keepAllOptimizerState)
    {
        await using var connection = new NpgsqlConnection(store.ConnectionString);
        await connection.OpenAsync();
        // Each trial measured on an empty table, so its size is this trial's alone.
        await ExecuteAsync(connection, "TRUNCATE weight_tensors");
        var trial = await store.CreateTrialAsync(new TrialDefinition(null, model, "{}", SyntheticDataset.Name, "{}", 1));
        var random = new Random(1);
        long rawWritten = 0;
        for (var epoch = 0; epoch <= epochs; epoch++)
        {
            // Epoch 0 has no Adam state (it has taken no step), as in a real trial.
            var snapshot = shapes
                .Where(t => epoch > 0 || !t.Name.StartsWith(ResultsStore.OptimizerTensorPrefix, StringComparison.Ordinal))
                .Select(t => t with
                {
                    Name = keepAllOptimizerState && t.Name.StartsWith(ResultsStore.OptimizerTensorPrefix, StringComparison.Ordinal)
                        ? NotRetiredPrefix + t.Name[ResultsStore.OptimizerTensorPrefix.Length..]
                        : t.Name,
                    Data = Bytes(random, t.Data.Length),
                })
                .ToList();
            rawWritten += snapshot.Sum(t => (long)t.Data.Length);
            var figures = new SplitFigures(1.0, 0.5 + epoch / (2.0 * epochs), 100);
            await store.WriteEpochAsync(trial, new EpochRecord(epoch, 1e-3, figures, figures, figures, 1, 1), snapshot, [], policy);
        }
        var asWritten = await ScalarAsync(connection, "SELECT pg_total_relation_size('weight_tensors')");
        var kept = await CompactAsync(connection, trial);
        // The same table with only the epochs up to MarginFrom: the difference is what the later ones cost.
        await ExecuteAsync(connection, $"DELETE FROM weight_tensors WHERE trial_id = {trial} AND epoch > {MarginFrom}");
        var margin = await CompactAsync(connection, trial);
        var perEpoch = (double)(kept.Table - margin.Table) / (kept.Raw - margin.Raw);
        return new TrialBytes(model, retention, epochs, kept.Epochs, rawWritten, kept.Raw, kept.Column, asWritten, kept.Table, perEpoch);
    }

    /// <summary>The epoch after which the table's growth is taken as the cost of further epochs.</summary>
    public const int MarginFrom = 10;

    /// <summary>The trial's kept epochs and bytes (raw, pg_column_size), and the table's size once VACUUM FULL compacted it.</summary>
    private static async Task<(int Epochs, long Raw, long Column, long Table)> CompactAsync(NpgsqlConnection connection, long trial)
    {
        (int Epochs, long Raw, long Column) kept;
        await using (var select = new NpgsqlCommand(
            "SELECT count(DISTINCT epoch)::int, coalesce(sum(octet_length(bytes)), 0)::bigint, coalesce(sum(pg_column_size(bytes)), 0)::bigint FROM weight_tensors WHERE trial_id = @t",
            connection))
        {
            select.Parameters.AddWithValue("t", trial);
            await using var reader = await select.ExecuteReaderAsync();
            await reader.ReadAsync();
            kept = (reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2));
        }
        await ExecuteAsync(connection, "VACUUM FULL weight_tensors");
        return (kept.Epochs, kept.Raw, kept.Column, await ScalarAsync(connection, "SELECT pg_total_relation_size('weight_tensors')"));
    }

    /// <summary>The names, shapes and sizes of a trained snapshot (model state and Adam state) of the architecture at its default input.</summary>
    private static IReadOnlyList<TensorSnapshot> CaptureShapes(Architecture architecture)
    {
        var plan = ShapeInference.Plan(architecture);
        var options = new SyntheticOptions(plan.Input.Dims[0], plan.Input.Dims[1], plan.Input.Dims[2], Classes: (int)plan.Output.Elements);
        var data = SyntheticDataset.GenerateSplits(64, 16, dataSeed: 1, options: options);
        using var model = Model.Create(plan, 1);
        var capture = new LastSnapshot();
        new Trainer(new TrainingSettings { Epochs = 1, BatchSize = 32, Threads = 1, Seed = 1, EvaluateBeforeTraining = false }).Run(model, data, capture);
        return capture.Snapshot;
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private sealed class LastSnapshot : ITrainingObserver
    {
        public IReadOnlyList<TensorSnapshot> Snapshot { get; private set; } = [];

        public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer) => Snapshot = Snapshots.Capture(model, optimizer);
    }
}

/// <summary>Models the bench generates rather than takes from the catalogue.</summary>
internal static class GeneratedModels
{
    /// <summary>
    /// 3×32×32 → 2,880 → 768 → 10, ReLU between: 11,070,538 parameters, the size of a ResNet-18 (44 MB of float32).
    /// </summary>
    public static Architecture ElevenMillion { get; } = new("generated-11m",
    [
        new FlattenLayer(),
        new LinearLayer(2880),
        new ActivationLayer(ActivationKind.Relu),
        new LinearLayer(768),
        new ActivationLayer(ActivationKind.Relu),
        new LinearLayer(10),
    ]);
}
