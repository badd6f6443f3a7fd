using Experiments.Architectures;
using Experiments.Contracts;
using Experiments.Contracts.Cluster;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Worker.Node;
using Experiments.Worker.Recording;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Node;

/// <summary>
/// PostgreSQL is the source of truth for a sweep's rules: a worker reads the snapshot cadence and whether the sweep
/// stops trials early from the sweep's row when it claims a trial, so a coordinator it cannot reach changes nothing the
/// user asked for; the coordinator only gives per-epoch verdicts, and an epoch without one trains on.
/// </summary>
public class Training_by_the_rules_recorded_with_the_sweep(LocalDatabase database) : IClassFixture<LocalDatabase>, IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("experiments-sweep-rules-").FullName;

    [Fact]
    public async Task A_trial_whose_coordinator_cannot_be_reached_keeps_the_weights_of_the_sweeps_cadence_and_still_asks_for_each_epochs_verdict()
    {
        const int epochs = 4;
        await using var store = await database.OpenAsync();
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["ffnn-100"], DatasetCatalog.Synthetic.SampleShape);
        var settings = new TrainingSettings { Epochs = epochs, BatchSize = 32, Seed = 11, Threads = 1 };
        var definition = RecordedTrial.Definition(plan, "synthetic", settings, 0.1, limit: 200);
        var sweep = await store.CreateSweepAsync(
            new SweepDefinition("cadence-3", "{}", "synthetic", "val_accuracy", true, null, 3, 0, null, new SweepRules(3, EarlyStopping: true)),
            [new QueuedTrial(definition, 0, "t0")]);
        var trial = (await store.GetSweepTrialsAsync(sweep)).Single().TrialId;
        var claim = (await store.ClaimTrialAsync(trial, "worker-a", TimeSpan.FromMinutes(5)))!;
        Assert.Equal(new SweepRules(3, EarlyStopping: true), claim.Rules);

        var coordinator = new UnreachableCoordinator();
        var run = new SweepTrialRun(store, new DatasetCache(_home), new SlotPlan(1, 1, 0), NoTrialProgress.Instance, coordinator);
        var outcome = run.Run(claim, "worker-a", 0, () => StopReason.None, CancellationToken.None);

        Assert.Equal(TrialStatus.Completed, outcome.Status);
        Assert.Equal(Enumerable.Range(0, epochs + 1), (await store.GetEpochsAsync(trial)).Select(e => e.Epoch));
        // Every 3rd epoch, epoch 0, the last and the best trained one (by val_accuracy, ties to the earlier): what
        // `snapshots: {every: 3}` promises, not every epoch.
        var best = (await store.GetEpochsAsync(trial)).Where(e => e.Epoch > 0)
            .OrderByDescending(e => e.Validation!.Accuracy).ThenBy(e => e.Epoch).First().Epoch;
        Assert.Equal(new SortedSet<int> { 0, 3, epochs, best }, new SortedSet<int>(await store.SnapshotEpochsAsync(trial)));
        // The sweep stops trials early, so the worker asked after every trained epoch; no answer came, so it trained on.
        Assert.Equal([1, 2, 3, 4], coordinator.AskedAbout);
    }

    [Fact]
    public async Task A_trial_of_a_sweep_whose_rules_are_not_recorded_is_not_claimed_until_they_are()
    {
        await using var store = await database.OpenAsync();
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["ffnn-100"], DatasetCatalog.Synthetic.SampleShape);
        var definition = RecordedTrial.Definition(plan, "synthetic", new TrainingSettings { Epochs = 1 }, 0.1);
        var sweep = await store.CreateSweepAsync(new SweepDefinition("recorded-before-0009", "{}", "synthetic", "val_accuracy", true, null, 3, 0, null),
            [new QueuedTrial(definition, 0, "t0")]);
        var trial = (await store.GetSweepTrialsAsync(sweep)).Single().TrialId;
        // As a sweep stored before migration 0009 reads: no rules in its row.
        await using (var connection = new Npgsql.NpgsqlConnection(store.ConnectionString))
        {
            await connection.OpenAsync();
            await using var forget = new Npgsql.NpgsqlCommand("UPDATE sweeps SET snapshot_every = NULL, early_stopping = NULL WHERE id = @id", connection);
            forget.Parameters.AddWithValue("id", sweep);
            await forget.ExecuteNonQueryAsync();
        }

        Assert.Null(await store.ClaimTrialAsync(trial, "worker-a", TimeSpan.FromMinutes(5)));

        await store.RecordSweepRulesAsync(sweep, new SweepRules(2, EarlyStopping: false));
        await store.RecordSweepRulesAsync(sweep, new SweepRules(5, EarlyStopping: true)); // recorded once: kept
        Assert.Equal(new SweepRules(2, EarlyStopping: false), (await store.ClaimTrialAsync(trial, "worker-a", TimeSpan.FromMinutes(5)))!.Rules);
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);

    /// <summary>A coordinator whose silo is gone: every call fails, as a grain call to a dead silo does after its retries.</summary>
    private sealed class UnreachableCoordinator : ISweepCoordination
    {
        public List<int> AskedAbout { get; } = [];

        public Task<EpochVerdict> EpochRecordedAsync(EpochReport report, CancellationToken ct)
        {
            AskedAbout.Add(report.Epoch);
            throw new TimeoutException("the coordinator's silo did not answer");
        }

        public Task TrialEndedAsync(TrialEnded ended, CancellationToken ct) => throw new TimeoutException("the coordinator's silo did not answer");
    }
}
