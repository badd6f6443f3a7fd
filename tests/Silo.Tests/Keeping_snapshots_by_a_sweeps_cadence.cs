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

    public void Dispose() => _cli.Dispose();
}
