using System.Globalization;
using System.Text.Json;
using Experiments.Architectures;
using Experiments.Store;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// A lenet-matconvnet trial (3 epochs on synthetic digits) recorded by the real CLI, then pruned with
/// <c>results prune --keep every:2</c>, so epoch 1 has metrics but no weights; shared by <see cref="Keeping_fewer_snapshots"/>.
/// </summary>
public sealed class PrunedTrialFixture : IDisposable
{
    public PrunedTrialFixture()
    {
        var train = Cli.Run("train", "--arch", "lenet-matconvnet", "--dataset", "synthetic", "--epochs", "3", "--limit", "500", "--json");
        Assert.True(train.ExitCode == 0, train.All);
        using var json = JsonDocument.Parse(train.Output);
        Trial = json.RootElement.GetProperty("trial").GetInt64();
        Prune = Cli.Run("results", "prune", "--trial", Trial.ToString(CultureInfo.InvariantCulture), "--keep", "every:2");
        var url = Cli.Run("db", "url");
        Assert.True(url.ExitCode == 0, url.All);
        Database = ConnectionStrings.ToNpgsql(url.Output.Trim());
    }

    public CliProcess Cli { get; } = new();
    public long Trial { get; }
    public CliRun Prune { get; }
    public string Database { get; }

    public void Dispose() => Cli.Dispose();
}

public class Keeping_fewer_snapshots(PrunedTrialFixture fixture) : IClassFixture<PrunedTrialFixture>
{
    private readonly CliProcess _cli = fixture.Cli;
    private readonly string _trial = fixture.Trial.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Results_prune_keeps_epoch_0_the_cadence_and_the_latest_and_reports_the_bytes_of_the_weights_it_deleted()
    {
        Assert.True(fixture.Prune.ExitCode == 0, fixture.Prune.All);
        await using var store = await ResultsStore.OpenAsync(fixture.Database);
        Assert.Equal([0, 2, 3], await store.SnapshotEpochsAsync(fixture.Trial));
        Assert.Equal([3], await store.OptimizerStateEpochsAsync(fixture.Trial));
        Assert.Equal(4, (await store.GetEpochsAsync(fixture.Trial)).Count);
        // Epoch 1's weights went: every parameter of lenet-matconvnet on 1×28×28, 4 bytes each (it has no buffers).
        var parameters = ShapeInference.Plan(ArchitectureCatalog.Resolve("lenet-matconvnet"), new TensorShape(1, 28, 28)).Parameters;
        Assert.Contains($"the weights of 1 epoch and the optimizer state of 0 epochs", fixture.Prune.Output);
        Assert.Contains($"{(4 * parameters).ToString("N0", CultureInfo.InvariantCulture)} bytes", fixture.Prune.Output);
        Assert.Contains("of tensor data", fixture.Prune.Output);
        Assert.Contains("weight_tensors on disk:", fixture.Prune.Output);
    }

    [Fact]
    public void Results_show_marks_the_epoch_whose_weights_were_pruned_and_lists_the_epochs_that_kept_them()
    {
        var table = _cli.Run("results", "show", _trial);
        var json = _cli.Run("results", "show", _trial, "--json");

        Assert.True(table.ExitCode == 0, table.All);
        Assert.Contains("weights", table.Output);
        // The epoch table's rows are those with its 11 cells (epoch … img/s, weights); the weights column is the last.
        var weights = table.Output.Split('\n')
            .Select(line => line.Split('│', StringSplitOptions.TrimEntries))
            .Where(cells => cells.Length == 13 && cells[1].Length > 0 && char.IsDigit(cells[1][0]))
            .Select(cells => (Epoch: cells[1].Split(' ')[0], Weights: cells[11]))
            .ToList();
        Assert.Equal([("0", "✓"), ("1", "—"), ("2", "✓"), ("3", "✓")], weights);
        using var shown = JsonDocument.Parse(json.Output);
        Assert.Equal([0, 2, 3], shown.RootElement.GetProperty("weightEpochs").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void Train_with_snapshot_every_3_reports_epoch_0_the_cadence_the_best_and_the_last_as_keeping_weights()
    {
        var train = _cli.Run("train", "--arch", "ffnn-100", "--dataset", "synthetic", "--epochs", "4", "--limit", "300",
            "--snapshot-every", "3", "--json");

        Assert.True(train.ExitCode == 0, train.All);
        using var json = JsonDocument.Parse(train.Output);
        var trial = json.RootElement.GetProperty("trial").GetInt64().ToString(CultureInfo.InvariantCulture);
        using var shown = JsonDocument.Parse(_cli.Run("results", "show", trial, "--json").Output);
        var best = shown.RootElement.GetProperty("trial").GetProperty("bestEpoch").GetInt32();
        Assert.Equal(new SortedSet<int> { 0, 3, 4, best }, json.RootElement.GetProperty("weightEpochs").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void Viz_kernels_on_an_epoch_without_a_snapshot_exits_2_naming_the_nearest_stored_epochs()
    {
        var run = _cli.Run("viz", "kernels", "--trial", _trial, "--layer", "0", "--epoch", "1");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"trial {_trial} has no weight snapshot at epoch 1; the nearest stored are epochs 0 and 2 (stored: 0, 2, 3)", run.Error);
        Assert.DoesNotContain("   at ", run.All);
    }

    [Fact]
    public void Viz_kernels_over_all_epochs_draws_the_stored_ones_and_says_which_have_no_snapshot()
    {
        var run = _cli.Run("viz", "kernels", "--trial", _trial, "--layer", "0");

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("0.weight: all 20 filters; epochs 0, 2, 3;", run.Error);
        Assert.Contains("epoch 1 has no weight snapshot", run.Error);
    }

    [Fact]
    public void Saliency_and_export_weights_on_an_epoch_without_a_snapshot_exit_2_naming_the_nearest_stored_epochs()
    {
        var saliency = _cli.Run("viz", "saliency", "--trial", _trial, "--image", "0", "--epoch", "1");
        var export = _cli.Run("results", "export-weights", "--trial", _trial, "--epoch", "1", "--out", Path.Combine(_cli.Home, "w.safetensors"));

        foreach (var run in new[] { saliency, export })
        {
            Assert.Equal(2, run.ExitCode);
            Assert.Contains("has no weight snapshot at epoch 1; the nearest stored are epochs 0 and 2", run.Error);
        }
    }

    [Fact]
    public async Task Results_prune_on_a_running_trial_is_refused_and_nothing_is_deleted()
    {
        await using var store = await ResultsStore.OpenAsync(fixture.Database);
        var running = await store.CreateTrialAsync(new TrialDefinition(null, "lenet-matconvnet", "{}", "synthetic", "{}", 1));
        for (var epoch = 0; epoch <= 2; epoch++)
            await store.WriteEpochAsync(running, new EpochRecord(epoch, 1e-3, null, new SplitFigures(1, 0.5, 10), null, 1, 1),
                [new TensorSnapshot("0.weight", [4], "float32", new byte[16])]);
        var attempt = await store.MarkRunningAsync(running, "worker-1");

        var run = _cli.Run("results", "prune", "--trial", running.ToString(CultureInfo.InvariantCulture), "--keep", "best,last");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"trial {running} is running", run.Error);
        Assert.Contains("nothing was deleted", run.Error);
        Assert.Equal([0, 1, 2], await store.SnapshotEpochsAsync(running));
        await store.FinishTrialAsync(attempt, TrialStatus.Failed, "ended by the test, so other tests may prune every trial");
    }

    [Fact]
    public async Task Results_prune_all_without_keep_frees_only_the_optimizer_state_an_old_database_kept_for_older_epochs()
    {
        // A database recorded before retention also kept epoch 2's optimizer state: put one such tensor back.
        var url = _cli.Run("db", "url").Output.Trim();
        await using (var connection = new Npgsql.NpgsqlConnection(ConnectionStrings.ToNpgsql(url)))
        {
            await connection.OpenAsync();
            await using var insert = new Npgsql.NpgsqlCommand(
                $"INSERT INTO weight_tensors (trial_id, epoch, ordinal, name, shape, dtype, bytes, checksum) " +
                $"VALUES ({_trial}, 2, 1000, 'optimizer/0.weight.exp_avg', '{{4}}', 'float32', '\\x00000000000000000000000000000000', sha256('\\x00000000000000000000000000000000'))",
                connection);
            await insert.ExecuteNonQueryAsync();
        }

        var run = _cli.Run("results", "prune", "--all");

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("the weights of 0 epochs and the optimizer state of 1 epoch; 1 tensor, 17 bytes as stored (16 bytes of tensor data)", run.Output);
        await using var store = await ResultsStore.OpenAsync(fixture.Database);
        Assert.Equal([0, 2, 3], await store.SnapshotEpochsAsync(fixture.Trial));
        Assert.Equal([3], await store.OptimizerStateEpochsAsync(fixture.Trial));
    }

    [Fact]
    public void Results_prune_rejects_an_unknown_keep_item_two_cadences_and_a_missing_target_as_bad_input()
    {
        var unknown = _cli.Run("results", "prune", "--trial", _trial, "--keep", "best,every:0");
        var untargeted = _cli.Run("results", "prune", "--keep", "best");
        var twoCadences = _cli.Run("results", "prune", "--trial", _trial, "--keep", "every:2,every:3");

        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("'every:0' is not best, last, first, all or every:N (N >= 1)", unknown.Error);
        Assert.Equal(2, untargeted.ExitCode);
        Assert.Contains("exactly one of --trial T, --sweep S or --all", untargeted.Error);
        Assert.Equal(2, twoCadences.ExitCode);
        Assert.Contains("name one cadence (all or every:N), not two", twoCadences.Error);
    }
}
