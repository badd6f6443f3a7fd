using Experiments.Store;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>`snapshots: {every: 3}` in a sweep file, end to end through `sweep run`.</summary>
public class Keeping_snapshots_by_a_sweeps_cadence : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public async Task With_snapshots_every_3_a_7_epoch_trial_stores_the_weights_of_epochs_0_3_6_7_and_its_best()
    {
        var file = _cli.WriteFile("cadence.yaml", """
            name: cadence
            dataset: synthetic
            arch: ffnn-100
            epochs: 7
            batch_size: 32
            limit: 300
            grid:
              lr: [3e-3]
            snapshots: {every: 3}
            """);
        var run = _cli.Run("sweep", "run", file, "--slots", "1", "--threads", "1");
        Assert.True(run.ExitCode == 0, run.All);

        await using var store = await ResultsStore.OpenAsync(ConnectionStrings.ToNpgsql(_cli.Run("db", "url").Output.Trim()));
        var trial = Assert.Single(await store.ListTrialsAsync(sweepId: 1));
        // The sweep ranks by val_accuracy (the default metric): the best trained epoch, ties to the earlier one.
        var best = (await store.GetEpochsAsync(trial.Id)).Where(e => e.Epoch > 0)
            .OrderByDescending(e => e.Validation!.Accuracy).ThenBy(e => e.Epoch).First().Epoch;
        Assert.Equal(new SortedSet<int> { 0, 3, 6, 7, best }, new SortedSet<int>(await store.SnapshotEpochsAsync(trial.Id)));
        Assert.Equal([7], await store.OptimizerStateEpochsAsync(trial.Id));
    }

    [Fact]
    public async Task Train_with_snapshot_every_3_stores_the_weights_of_epochs_0_3_4_and_its_best()
    {
        var train = _cli.Run("train", "--arch", "ffnn-100", "--dataset", "synthetic", "--epochs", "4", "--limit", "300",
            "--threads", "1", "--snapshot-every", "3", "--json");
        Assert.True(train.ExitCode == 0, train.All);
        using var json = System.Text.Json.JsonDocument.Parse(train.Output);
        var trial = json.RootElement.GetProperty("trial").GetInt64();

        await using var store = await ResultsStore.OpenAsync(ConnectionStrings.ToNpgsql(_cli.Run("db", "url").Output.Trim()));
        var best = (await store.GetEpochsAsync(trial)).Where(e => e.Epoch > 0)
            .OrderByDescending(e => e.Validation!.Accuracy).ThenBy(e => e.Epoch).First().Epoch;
        Assert.Equal(new SortedSet<int> { 0, 3, 4, best }, new SortedSet<int>(await store.SnapshotEpochsAsync(trial)));
    }

    [Fact]
    public void Train_refuses_a_snapshot_cadence_below_1_as_bad_input()
    {
        var run = _cli.Run("train", "--dataset", "synthetic", "--snapshot-every", "0");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--snapshot-every must be 1 (every epoch) or more, got 0", run.Error);
    }

    public void Dispose() => _cli.Dispose();
}
