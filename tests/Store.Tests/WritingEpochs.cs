using System.Diagnostics;
using Npgsql;
using Xunit.Abstractions;

namespace Experiments.Store.Tests;

[Collection(PostgresCollection.Name)]
public sealed class WritingEpochs(FreshDatabase database, ITestOutputHelper output) : IClassFixture<FreshDatabase>
{
    [Fact]
    public async Task Metrics_round_trip_exactly_including_NaN_infinity_and_missing_splits()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        var epochs = new[]
        {
            new EpochRecord(0, 0.001, null, new SplitFigures(2.302585092994046, 0.1, 5_000), new SplitFigures(2.3025851, 0.0999, 10_000), 0.0, 0.0),
            new EpochRecord(1, 1e-3 * 0.95, new SplitFigures(double.NaN, 0.1234567890123456789, 45_000),
                new SplitFigures(double.PositiveInfinity, double.Epsilon, 5_000), null, 24.517, 2_037.25),
            new EpochRecord(2, 0.1 + 0.2, new SplitFigures(-0.0, double.MaxValue, int.MaxValue),
                new SplitFigures(double.NaN, double.NaN, 0), new SplitFigures(double.NegativeInfinity, 1.0, 1), double.NaN, 1e-300),
        };

        foreach (var epoch in epochs) Assert.True(await store.WriteEpochAsync(trial, epoch, []));
        var read = await store.GetEpochsAsync(trial);

        Assert.Equal(epochs.Length, read.Count);
        for (var i = 0; i < epochs.Length; i++)
        {
            Assert.Equal(epochs[i], read[i]); // record equality: double.Equals treats NaN as equal to NaN
            Assert.Equal(BitConverter.DoubleToInt64Bits(epochs[i].LearningRate), BitConverter.DoubleToInt64Bits(read[i].LearningRate));
        }
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(read[2].Train!.Loss));
    }

    [Fact]
    public async Task Snapshots_round_trip_bit_exact_in_their_written_order()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        IReadOnlyList<TensorSnapshot> snapshot =
        [
            Make.RandomFloat32("features.0.weight", 16, 3, 3, 3),
            Make.RandomFloat32("features.0.bias", 16),
            Make.Int64("features.1.num_batches_tracked", long.MinValue, -1, 0, 1, long.MaxValue),
            new TensorSnapshot("special", [6], "float32",
                [.. new[] { float.NaN, -0f, float.Epsilon, float.PositiveInfinity, BitConverter.Int32BitsToSingle(0x7fc0_1234), 1f }
                    .SelectMany(BitConverter.GetBytes)]),
            Make.RandomFloat32("10.weight", 10, 84),
            new TensorSnapshot("scalar", [], "float32", BitConverter.GetBytes(3.5f)),
        ];

        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(0), snapshot));

        SnapshotAssert.BitExact(snapshot, await store.ReadSnapshotAsync(trial, 0));
        Assert.Empty(await store.ReadSnapshotAsync(trial, 1));
    }

    [Fact]
    public async Task Small_tensors_share_one_row_for_the_model_and_one_for_the_optimizer_and_read_back_bit_exact_in_their_order()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        const string adam = ResultsStore.OptimizerTensorPrefix;
        IReadOnlyList<TensorSnapshot> snapshot =
        [
            Make.RandomFloat32("0.weight", 16, 3, 3, 3),             // 1,728 bytes: packed
            Make.RandomFloat32("0.bias", 16),                        // packed
            Make.RandomFloat32("1.weight", 64, 64, 4),               // 64 KiB: a row of its own
            Make.Int64("2.num_batches_tracked", 781),                // packed
            new TensorSnapshot("3.scalar", [], "float32", BitConverter.GetBytes(float.NaN)),
            Make.RandomFloat32(adam + "0.weight.exp_avg", 16, 3, 3, 3),
            Make.RandomFloat32(adam + "1.weight.exp_avg", 64, 64, 4),
            Make.RandomFloat32(adam + "0.bias.exp_avg", 16),
            Make.Int64(adam + "0.weight.step", 12),
        ];

        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(0), snapshot));

        SnapshotAssert.BitExact(snapshot, await store.ReadSnapshotAsync(trial, 0));
        // The two 64 KiB tensors, the model's four small ones in one row and the optimizer's three in another.
        Assert.Equal(4, await Make.ScalarAsync(database.ConnectionString, $"SELECT count(*) FROM weight_tensors WHERE trial_id = {trial}"));
        Assert.Equal(snapshot.Count, await Make.ScalarAsync(database.ConnectionString, Make.CountTensorsSql(trial)));
        Assert.Equal(1_728 + 64 + 8 + 4, await Make.ScalarAsync(database.ConnectionString,
            $"SELECT length(bytes) FROM weight_tensors WHERE trial_id = {trial} AND name = 'packed'"));
    }

    [Fact]
    public async Task A_packed_row_whose_bytes_were_altered_fails_its_checksum_on_read()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(0), Make.SmallSnapshot()));
        await Make.ExecuteAsync(database.ConnectionString,
            $"UPDATE weight_tensors SET bytes = set_byte(bytes, 4, get_byte(bytes, 4) # 255) WHERE trial_id = {trial} AND name = 'packed'");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => store.ReadSnapshotAsync(trial, 0));

        Assert.Contains("'packed'", error.Message);
        Assert.Contains("SHA-256", error.Message);
    }

    [Fact]
    public async Task Writing_an_epoch_again_is_a_no_op_that_keeps_the_first_copy()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        var first = Make.SmallSnapshot();

        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(3, valAccuracy: 0.6), first));
        Assert.False(await store.WriteEpochAsync(trial, Make.Epoch(3, valAccuracy: 0.9), Make.SmallSnapshot()));

        var epochs = await store.GetEpochsAsync(trial);
        Assert.Equal(0.6, Assert.Single(epochs).Validation!.Accuracy);
        SnapshotAssert.BitExact(first, await store.ReadSnapshotAsync(trial, 3));
        Assert.Equal(first.Count, await Make.ScalarAsync(database.ConnectionString, Make.CountTensorsSql(trial)));
    }

    [Fact]
    public async Task Concurrent_writers_of_one_epoch_leave_exactly_one_copy_and_one_true()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        var snapshots = Enumerable.Range(0, 8).Select(_ => Make.SmallSnapshot()).ToArray();
        using var go = new ManualResetEventSlim();

        var writers = snapshots.Select((snapshot, i) => Task.Run(async () =>
        {
            go.Wait();
            return await store.WriteEpochAsync(trial, Make.Epoch(1, valAccuracy: i / 10.0), snapshot);
        })).ToArray();
        go.Set();
        var results = await Task.WhenAll(writers);

        var winner = Assert.Single(Enumerable.Range(0, results.Length), i => results[i]);
        Assert.Equal(winner / 10.0, Assert.Single(await store.GetEpochsAsync(trial)).Validation!.Accuracy);
        SnapshotAssert.BitExact(snapshots[winner], await store.ReadSnapshotAsync(trial, 1));
        Assert.Equal(snapshots[0].Count, await Make.ScalarAsync(database.ConnectionString, Make.CountTensorsSql(trial)));
    }

    [Fact]
    public async Task A_write_aborted_in_the_middle_of_its_copy_leaves_no_trace_of_the_epoch()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        store.AfterTensorCopied = (i, _) => i == 2 ? throw new InvalidOperationException("killed mid-copy") : default;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.WriteEpochAsync(trial, Make.Epoch(0), Make.SmallSnapshot()));

        Assert.Equal("killed mid-copy", error.Message);
        Assert.Equal(-1, await store.LatestEpochAsync(trial));
        Assert.Equal(0, await Make.ScalarAsync(database.ConnectionString, $"SELECT count(*) FROM weight_tensors WHERE trial_id = {trial}"));

        store.AfterTensorCopied = null;
        var snapshot = Make.SmallSnapshot();
        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(0), snapshot));
        SnapshotAssert.BitExact(snapshot, await store.ReadSnapshotAsync(trial, 0));
    }

    [Fact]
    public async Task A_connection_killed_mid_copy_is_retried_and_the_epoch_lands_whole_once()
    {
        var retries = new List<StoreRetry>();
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString,
            new ResultsStoreOptions { BaseDelay = TimeSpan.FromMilliseconds(10), OnRetry = retries.Add });
        var trial = await store.CreateTrialAsync(Make.Trial());
        var killed = false;
        store.AfterTensorCopied = async (i, ct) =>
        {
            if (killed || i != 1) return;
            killed = true;
            // Another session terminates every other backend on this database: the server side of our COPY dies.
            await Make.ExecuteAsync(database.ConnectionString,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        };
        var snapshot = Make.SmallSnapshot();

        Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(0), snapshot));

        Assert.True(killed);
        Assert.NotEmpty(retries);
        SnapshotAssert.BitExact(snapshot, await store.ReadSnapshotAsync(trial, 0));
    }

    [Fact]
    public async Task A_duplicate_tensor_name_fails_the_whole_epoch_before_anything_is_written()
    {
        var retries = 0;
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString, new ResultsStoreOptions { OnRetry = _ => retries++ });
        var trial = await store.CreateTrialAsync(Make.Trial());

        // Small tensors share a packed row, so no unique key would see this; the store checks the names itself.
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.WriteEpochAsync(trial, Make.Epoch(0),
            [Make.RandomFloat32("w", 4), Make.RandomFloat32("v", 4), Make.RandomFloat32("w", 4)]));

        Assert.Contains("named 'w'", error.Message);
        Assert.Equal(0, retries);
        Assert.Equal(-1, await store.LatestEpochAsync(trial));
    }

    [Fact]
    public async Task A_tensor_whose_bytes_do_not_match_its_shape_is_rejected_before_anything_is_written()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());

        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteEpochAsync(trial, Make.Epoch(0),
            [new TensorSnapshot("w", [2, 3], "float32", new byte[20])]));
        await Assert.ThrowsAsync<ArgumentException>(() => store.WriteEpochAsync(trial, Make.Epoch(0),
            [new TensorSnapshot("w", [2], "float16", new byte[4])]));

        Assert.Equal(-1, await store.LatestEpochAsync(trial));
    }

    [Fact]
    public async Task An_epoch_of_a_missing_trial_surfaces_the_foreign_key_violation()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);

        var error = await Assert.ThrowsAsync<PostgresException>(() => store.WriteEpochAsync(987_654, Make.Epoch(0), []));

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, error.SqlState);
    }

    [Fact]
    public async Task A_trial_moves_through_running_to_finished_counting_its_attempts()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        Assert.Equal(TrialStatus.Queued, (await store.GetTrialAsync(trial))!.Status);

        var first = await store.MarkRunningAsync(trial, "worker-a");
        await store.FinishTrialAsync(first, TrialStatus.Failed, "out of memory");
        var second = await store.MarkRunningAsync(trial, "worker-b");
        var running = (await store.GetTrialAsync(trial))!;
        await store.FinishTrialAsync(second, TrialStatus.StoppedEarly, null);
        var finished = (await store.GetTrialAsync(trial))!;

        Assert.Equal((TrialStatus.Running, 2, "worker-b", (string?)null), (running.Status, running.Attempts, running.Worker, running.Error));
        Assert.Null(running.FinishedAt);
        Assert.Equal(TrialStatus.StoppedEarly, finished.Status);
        Assert.NotNull(finished.StartedAt);
        Assert.True(finished.FinishedAt >= finished.StartedAt);
        Assert.Equal("stopped_early", await ScalarTextAsync($"SELECT status FROM trials WHERE id = {trial}"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => store.MarkRunningAsync(123_456_789, "worker-a"));
    }

    [Fact]
    public async Task Latest_epoch_is_minus_one_until_epochs_arrive_then_the_highest()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());

        Assert.Equal(-1, await store.LatestEpochAsync(trial));
        await store.WriteEpochAsync(trial, Make.Epoch(0), []);
        await store.WriteEpochAsync(trial, Make.Epoch(2), []);
        await store.WriteEpochAsync(trial, Make.Epoch(1), []);
        Assert.Equal(2, await store.LatestEpochAsync(trial));
    }

    [Fact]
    public async Task A_431080_parameter_snapshot_writes_fast_and_is_stored_without_overhead()
    {
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString);
        var trial = await store.CreateTrialAsync(Make.Trial());
        var random = new Random(7);
        // 431,080 float32 parameters in eight tensors, plus one int64 counter (shapes chosen for the total, not a real model).
        IReadOnlyList<TensorSnapshot> snapshot =
        [
            Make.GaussianFloat32("0.weight", random, 32, 3, 3, 3),      //    864
            Make.GaussianFloat32("0.bias", random, 32),                  //     32
            Make.GaussianFloat32("3.weight", random, 64, 32, 3, 3),     // 18,432
            Make.GaussianFloat32("3.bias", random, 64),                  //     64
            Make.GaussianFloat32("7.weight", random, 256, 1600),         // 409,600
            Make.GaussianFloat32("7.bias", random, 256),                 //    256
            Make.GaussianFloat32("9.weight", random, 7, 256),            //  1,792
            Make.GaussianFloat32("9.bias", random, 40),                  //     40
            Make.Int64("1.num_batches_tracked", 704),
        ];
        var raw = snapshot.Sum(t => (long)t.Data.Length);
        Assert.Equal(431_080, snapshot.Where(t => t.DType == "float32").Sum(t => t.Data.Length / 4));

        var times = new List<double>();
        for (var epoch = 0; epoch < 5; epoch++)
        {
            var clock = Stopwatch.StartNew();
            Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(epoch), snapshot));
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        var readClock = Stopwatch.StartNew();
        SnapshotAssert.BitExact(snapshot, await store.ReadSnapshotAsync(trial, 4));
        var readMs = readClock.Elapsed.TotalMilliseconds;

        var stored = await Make.ScalarAsync(database.ConnectionString,
            $"SELECT sum(pg_column_size(bytes)) FROM weight_tensors WHERE trial_id = {trial} AND epoch = 4");
        var table = await Make.ScalarAsync(database.ConnectionString, "SELECT pg_total_relation_size('weight_tensors')");
        times.Sort();
        output.WriteLine($"epoch write (metrics + {snapshot.Count} tensors, {raw:N0} raw bytes): median {times[2]:F1} ms, min {times[0]:F1} ms, max {times[4]:F1} ms (5 writes)");
        output.WriteLine($"snapshot read with SHA-256 check: {readMs:F1} ms");
        output.WriteLine($"bytes column stored {stored:N0} vs raw {raw:N0}: ratio {(double)stored / raw:F4}; weight_tensors on disk (all tests) {table:N0}");
        output.WriteLine($"shared cluster start (initdb + start + create database): {(await TestCluster.GetAsync()).StartTime.TotalMilliseconds:F0} ms");

        Assert.InRange((double)stored / raw, 0.99, 1.01);
        Assert.True(times[2] < 2_000, $"median epoch write {times[2]:F0} ms");
    }

    private async Task<string?> ScalarTextAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (string?)await command.ExecuteScalarAsync();
    }
}
