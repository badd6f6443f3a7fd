using Experiments.Architectures;
using Experiments.Contracts;
using Experiments.Contracts.Cluster;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Worker.Node;
using Experiments.Worker.Recording;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Experiments.Worker.Tests.Node;

/// <summary>
/// When a trial ends, its worker claims the sweep's next queued trial for the freed slot from PostgreSQL itself, before
/// it tells the coordinator, so the slot does not wait for a round trip through the coordinator (on a cluster, two
/// calls between processes; bench/README.md, "Orchestration"). The coordinator here starts nothing. A worker that
/// quarantined itself fills nothing, and records its quarantine in the database before it gives its trial back.
/// </summary>
public class Filling_a_freed_slot_from_the_queue(LocalDatabase database) : IClassFixture<LocalDatabase>, IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("experiments-freed-slot-").FullName;

    [Fact]
    public async Task A_freed_slot_runs_the_sweeps_next_queued_trials_with_no_coordinator_starting_them_and_the_coordinator_finds_the_slot_taken()
    {
        await using var store = await database.OpenAsync();
        var (sweep, trials) = await QueuedSweepAsync(store, "queue", "synthetic", 3);
        var coordinator = new ListeningCoordinator { ExpectEnds = 3 };
        await using (var executor = Executor(store, coordinator, new WorkerOptions { Name = "worker-a", Lease = TimeSpan.FromMinutes(5) }))
        {
            Assert.Equal(TrialStartResult.Started, await executor.TryStartAsync(trials[0], 0, TimeSpan.Zero, CancellationToken.None));
            await coordinator.AllEnded.Task.WaitAsync(TimeSpan.FromSeconds(120));
        }

        var rows = await store.GetSweepTrialsAsync(sweep);
        Assert.All(rows, t => Assert.Equal((TrialStatus.Completed, 1, "worker-a"), (t.Status, t.Attempts, t.Worker!)));
        Assert.Equal(trials, coordinator.Told.Select(t => t.Ended.TrialId));
        // Told of the first two ends, the coordinator found the slot already running the next trial; the last end freed it.
        Assert.Equal([0, 0, 1], coordinator.Told.Select(t => t.FreeSlots));
        Assert.All(coordinator.Told, t => Assert.Equal(new TrialEnded(sweep, t.Ended.TrialId, "completed", "worker-a"), t.Ended));
    }

    [Fact]
    public async Task A_worker_that_quarantines_itself_records_it_in_the_database_before_it_gives_the_trial_back()
    {
        await using var store = await database.OpenAsync();
        // CIFAR-10 cannot be fetched, and this worker's home has none: a fault of the worker's environment, not the trial's.
        var (sweep, trials) = await QueuedSweepAsync(store, "data-missing", "cifar10", 2);
        var coordinator = new ListeningCoordinator();
        var name = $"worker-q-{Guid.NewGuid():N}";
        await using (var executor = Executor(store, coordinator, new WorkerOptions { Name = name, Lease = TimeSpan.FromMinutes(5) }))
        {
            Assert.Equal(TrialStartResult.Started, await executor.TryStartAsync(trials[0], 0, TimeSpan.Zero, CancellationToken.None));
            Assert.Equal(new TrialEnded(sweep, trials[0], "queued", name), await coordinator.Ended.Task.WaitAsync(TimeSpan.FromSeconds(60)));
            Assert.Equal(0, coordinator.FreeSlotsWhenTold);
        }

        // No heartbeat service runs here: only the quarantine's own write can have put it there.
        var quarantined = Assert.Single(await store.QuarantinedWorkersAsync(TimeSpan.FromMinutes(1)), w => w.Worker == name);
        Assert.Equal(BuildInfo.Host, quarantined.Host);
        Assert.StartsWith($"the cifar10 data could not be loaded on {BuildInfo.Host}", quarantined.Fault, StringComparison.Ordinal);
        // The trial went back to the queue without using an attempt, and the quarantined worker claimed nothing more.
        var rows = await store.GetSweepTrialsAsync(sweep);
        Assert.Equal([(TrialStatus.Queued, 1, 1), (TrialStatus.Queued, 0, 0)], rows.Select(t => (t.Status, t.Attempts, t.EnvironmentFaults)));
    }

    private async Task<(long Sweep, long[] Trials)> QueuedSweepAsync(ResultsStore store, string name, string dataset, int count)
    {
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["ffnn-100"], DatasetCatalog.Get(dataset).SampleShape);
        var settings = new TrainingSettings { Epochs = 1, BatchSize = 32, Seed = 5, Threads = 1 };
        var sweep = await store.CreateSweepAsync(new SweepDefinition(name, "{}", dataset, "val_accuracy", true, null, 3, 0, null),
            [.. Enumerable.Range(0, count).Select(i => new QueuedTrial(RecordedTrial.Definition(plan, dataset, settings, 0.1, limit: 200), i, $"t{i}"))]);
        return (sweep, [.. (await store.GetSweepTrialsAsync(sweep)).Select(t => t.TrialId)]);
    }

    private TrialExecutor Executor(ResultsStore store, ListeningCoordinator coordinator, WorkerOptions options)
    {
        var slots = new SlotPlan(1, 1, 0);
        var runner = new SweepTrialRun(store, new DatasetCache(_home), slots, NoTrialProgress.Instance, coordinator);
        var executor = new TrialExecutor(store, options, slots, runner, NullLogger<TrialExecutor>.Instance);
        coordinator.FreeSlots = () => executor.FreeSlots;
        return executor;
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);
}
