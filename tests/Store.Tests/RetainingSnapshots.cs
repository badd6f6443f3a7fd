using Experiments.Architectures;
using Npgsql;
using Xunit.Abstractions;

namespace Experiments.Store.Tests;

/// <summary>
/// Which tensors stay as epochs commit and after a prune, on hand-made epochs whose best epoch is known: optimizer
/// state for the latest epoch only, weights by cadence plus epoch 0, the best and the latest; metrics never go.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RetainingSnapshots(FreshDatabase database, ITestOutputHelper output) : IClassFixture<FreshDatabase>
{
    private const int WeightCount = 600, OptimizerCount = 1200; // floats: 2,400 and 4,800 bytes, both out of line in TOAST

    [Fact]
    public async Task A_cadence_keeps_epoch_0_the_cadence_the_best_and_the_latest_and_drops_a_best_that_was_overtaken()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        // Epoch 2 is the best until epoch 4 beats it; neither is on the cadence of 3.
        double[] accuracy = [0.10, 0.50, 0.80, 0.60, 0.90, 0.70, 0.85, 0.88];
        var policy = new SnapshotPolicy(3);
        var storedAfter = new List<IReadOnlyList<int>>();
        for (var epoch = 0; epoch <= 7; epoch++)
        {
            Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(epoch, accuracy[epoch]), Snapshot(), [], policy));
            storedAfter.Add(await store.SnapshotEpochsAsync(trial));
            Assert.Equal([epoch], await store.OptimizerStateEpochsAsync(trial));
        }

        Assert.Equal([0, 2], storedAfter[2]);             // 1 is neither on the cadence nor the best (2 is)
        Assert.Equal([0, 2, 3], storedAfter[3]);
        Assert.Equal([0, 3, 4], storedAfter[4]);          // 2 lost the best to 4
        Assert.Equal([0, 3, 4, 5], storedAfter[5]);       // 5 is kept while it is the latest: it is what resume needs
        Assert.Equal([0, 3, 4, 6, 7], storedAfter[7]);    // {0, 3, 6, 7} ∪ {best = 4}
        Assert.Equal(8, (await store.GetEpochsAsync(trial)).Count);
    }

    [Fact]
    public async Task An_epoch_without_a_snapshot_retires_nothing_so_the_one_before_stays_resumable()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        await store.WriteEpochAsync(trial, Make.Epoch(0), Snapshot(), [], new SnapshotPolicy(5));
        await store.WriteEpochAsync(trial, Make.Epoch(1), Snapshot(), [], new SnapshotPolicy(5));
        await store.WriteEpochAsync(trial, Make.Epoch(2, double.NaN), [], [], new SnapshotPolicy(5)); // the epoch that diverged

        Assert.Equal([0, 1], await store.SnapshotEpochsAsync(trial));
        Assert.Equal([1], await store.OptimizerStateEpochsAsync(trial));
    }

    [Fact]
    public async Task Pruning_an_old_database_frees_exactly_the_optimizer_state_of_older_epochs_and_never_metrics_or_artifacts()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        for (var epoch = 0; epoch <= 3; epoch++)
            await store.WriteEpochAsync(trial, Make.Epoch(epoch), Snapshot(), [new EpochArtifact("val", "classification", "{}")]);
        // A database recorded before retention kept every epoch's optimizer state: put it back for epochs 0 to 2.
        await InsertOptimizerStateAsync(trial, [0, 1, 2]);
        var tensorsBefore = await CountAsync($"SELECT count(*) FROM weight_tensors WHERE trial_id = {trial}");

        var result = await store.PruneSnapshotsAsync(trial, null, new PruneKeep(Every: 1, Best: true));

        output.WriteLine(result.ToString());
        Assert.Equal(3, result.OptimizerEpochs);
        Assert.Equal(0, result.EpochsWithoutWeights);
        Assert.Equal(3, result.Tensors);
        Assert.Equal(3L * OptimizerCount * 4, result.RawBytes);
        Assert.InRange(result.StoredBytes, result.RawBytes, result.RawBytes + 3 * 4); // uncompressed (EXTERNAL): at most a header each
        Assert.Equal(tensorsBefore - 3, await CountAsync($"SELECT count(*) FROM weight_tensors WHERE trial_id = {trial}"));
        Assert.Equal([3], await store.OptimizerStateEpochsAsync(trial));
        Assert.Equal([0, 1, 2, 3], await store.SnapshotEpochsAsync(trial));
        Assert.Equal(4, (await store.GetEpochsAsync(trial)).Count);
        Assert.Equal(4, (await store.GetArtifactsAsync(trial, "classification")).Count);
    }

    [Fact]
    public async Task Pruning_to_every_2nd_epoch_keeps_epoch_0_the_even_epochs_and_the_latest_with_its_optimizer_state()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        double[] accuracy = [0.1, 0.9, 0.2, 0.3, 0.4, 0.5];
        for (var epoch = 0; epoch <= 5; epoch++) await store.WriteEpochAsync(trial, Make.Epoch(epoch, accuracy[epoch]), Snapshot());

        var withoutBest = await store.PruneSnapshotsAsync(trial, null, new PruneKeep(Every: 2, Best: false));

        Assert.Equal([0, 2, 4, 5], await store.SnapshotEpochsAsync(trial)); // best (1) not asked for
        Assert.Equal([5], await store.OptimizerStateEpochsAsync(trial));
        Assert.Equal(2, withoutBest.EpochsWithoutWeights);
        Assert.Equal(2L * WeightCount * 4, withoutBest.RawBytes);
        Assert.Equal(6, (await store.GetEpochsAsync(trial)).Count);
    }

    [Fact]
    public async Task Pruning_a_running_trial_is_refused_and_deletes_nothing()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        for (var epoch = 0; epoch <= 2; epoch++) await store.WriteEpochAsync(trial, Make.Epoch(epoch), Snapshot());
        await InsertOptimizerStateAsync(trial, [0]);
        await store.MarkRunningAsync(trial, "worker-1");
        var before = await CountAsync($"SELECT count(*) FROM weight_tensors WHERE trial_id = {trial}");

        var refused = await Assert.ThrowsAsync<TrialIsRunningException>(() => store.PruneSnapshotsAsync(trial, null, new PruneKeep(null, Best: true)));

        Assert.Contains($"trial {trial} is running", refused.Message);
        Assert.Equal(before, await CountAsync($"SELECT count(*) FROM weight_tensors WHERE trial_id = {trial}"));
    }

    [Fact]
    public async Task Ten_epochs_of_lenet_matconvnet_weights_take_at_most_5_percent_more_disk_than_their_raw_bytes()
    {
        // A database of its own, so the table holds these epochs alone.
        await using var store = await ResultsStore.OpenAsync(await database.NewDatabaseAsync());
        var trial = await store.CreateTrialAsync(Make.Trial(architecture: "lenet-matconvnet"));
        var random = new Random(3);
        long raw = 0;
        for (var epoch = 0; epoch < 10; epoch++)
        {
            // lenet-matconvnet's state dict on 1×28×28 (`experiments model show lenet-matconvnet`): 431,080 float32 values.
            IReadOnlyList<TensorSnapshot> weights =
            [
                Make.GaussianFloat32("0.weight", random, 20, 1, 5, 5), Make.GaussianFloat32("0.bias", random, 20),
                Make.GaussianFloat32("2.weight", random, 50, 20, 5, 5), Make.GaussianFloat32("2.bias", random, 50),
                Make.GaussianFloat32("4.weight", random, 500, 50, 4, 4), Make.GaussianFloat32("4.bias", random, 500),
                Make.GaussianFloat32("6.weight", random, 10, 500, 1, 1), Make.GaussianFloat32("6.bias", random, 10),
            ];
            raw += weights.Sum(t => (long)t.Data.Length);
            await store.WriteEpochAsync(trial, Make.Epoch(epoch), weights);
        }

        var onDisk = await store.SnapshotTableBytesAsync();

        output.WriteLine($"{onDisk:N0} bytes on disk for {raw:N0} raw: {(double)onDisk / raw:F4}×");
        Assert.Equal(10L * 431_080 * 4, raw);
        Assert.InRange((double)onDisk / raw, 1.0, 1.05);
    }

    /// <summary>
    /// What each further epoch adds to the table, so the table's fixed cost (index roots, the first pages) is left out:
    /// the table's growth over epochs 11–30 against their raw bytes. That fixed cost weighs 1% on a 9 MB trial alone in
    /// a table, and nothing in a database of many trials.
    /// </summary>
    [Theory]
    [InlineData("lenet-cifar")]
    [InlineData("resnet-small")] // 56 tensors, most of them BatchNorm's small ones
    public async Task Each_stored_epoch_of_a_built_in_of_many_small_tensors_takes_at_most_5_percent_more_disk_than_its_raw_bytes(string architecture)
    {
        await using var store = await ResultsStore.OpenAsync(await database.NewDatabaseAsync());
        var trial = await store.CreateTrialAsync(Make.Trial(architecture: architecture));
        var state = ShapeInference.Plan(ArchitectureCatalog.Resolve(architecture)).Tensors.ToList();
        long raw = 0, tableAfter10 = 0, rawAfter10 = 0;
        for (var epoch = 0; epoch <= 30; epoch++)
        {
            IReadOnlyList<TensorSnapshot> weights = [.. state.Select(t => t.DType == TensorDType.Int64
                ? Make.Int64(t.Name, epoch)
                : Make.RandomFloat32(t.Name, [.. t.Shape]))];
            raw += weights.Sum(t => (long)t.Data.Length);
            await store.WriteEpochAsync(trial, Make.Epoch(epoch), weights);
            if (epoch == 10) (tableAfter10, rawAfter10) = (await store.SnapshotTableBytesAsync(), raw);
        }

        var onDisk = await store.SnapshotTableBytesAsync();

        var perEpoch = (double)(onDisk - tableAfter10) / (raw - rawAfter10);
        output.WriteLine($"{architecture}: {state.Count} tensors; epochs 11–30 added {onDisk - tableAfter10:N0} bytes on disk for {raw - rawAfter10:N0} raw: " +
                         $"{perEpoch:F4}×; the whole table {(double)onDisk / raw:F4}×");
        Assert.InRange(perEpoch, 1.0, 1.05);
    }

    /// <summary>One weight tensor and one optimizer tensor, of random (incompressible) bytes.</summary>
    private static IReadOnlyList<TensorSnapshot> Snapshot() =>
        [Make.RandomFloat32("0.weight", WeightCount), Make.RandomFloat32(ResultsStore.OptimizerTensorPrefix + "0.weight.exp_avg", OptimizerCount)];

    private async Task InsertOptimizerStateAsync(long trial, int[] epochs)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        foreach (var epoch in epochs)
        {
            var tensor = Make.RandomFloat32(ResultsStore.OptimizerTensorPrefix + "0.weight.exp_avg", OptimizerCount);
            await using var insert = new NpgsqlCommand(
                "INSERT INTO weight_tensors (trial_id, epoch, ordinal, name, shape, dtype, bytes, checksum) VALUES (@t, @e, 1, @n, @s, 'float32', @b, sha256(@b))",
                connection);
            insert.Parameters.AddWithValue("t", trial);
            insert.Parameters.AddWithValue("e", epoch);
            insert.Parameters.AddWithValue("n", tensor.Name);
            insert.Parameters.AddWithValue("s", tensor.Shape);
            insert.Parameters.AddWithValue("b", tensor.Data);
            await insert.ExecuteNonQueryAsync();
        }
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
