using Experiments.Architectures;
using Experiments.Contracts;
using Experiments.Contracts.Cluster;
using Experiments.Datasets;
using Experiments.Store;
using Experiments.Worker.Node;
using Experiments.Worker.Recording;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Experiments.Worker.Tests.Node;

/// <summary>
/// A worker whose trial was taken back while it ran (frozen past its lease, or its silo declared dead) has its writes
/// refused. It records nothing more for the trial, says so in one log line, and still tells the sweep's coordinator
/// that its slot is free, so the slot is filled at once rather than at the coordinator's next poll.
/// </summary>
public class Ending_an_attempt_that_lost_its_trial(LocalDatabase database) : IClassFixture<LocalDatabase>, IDisposable
{
    private const int Epochs = 2;
    private readonly string _home = Directory.CreateTempSubdirectory("experiments-lost-attempt-").FullName;

    [Fact]
    public async Task An_attempt_taken_back_before_its_first_epoch_records_nothing_logs_it_once_and_tells_the_coordinator_its_slot_is_free()
    {
        var (store, trial) = await RunUntilTakenBackAsync(atEpoch: null);
        await using var _ = store;

        Assert.Empty(await store.GetEpochsAsync(trial));
    }

    [Fact]
    public async Task An_attempt_taken_back_after_its_last_epoch_does_not_end_the_trial_and_still_tells_the_coordinator_its_slot_is_free()
    {
        var (store, trial) = await RunUntilTakenBackAsync(atEpoch: Epochs);
        await using var _ = store;

        // Its epochs were written while it still owned the trial; its "completed" was refused.
        Assert.Equal(Enumerable.Range(0, Epochs + 1), (await store.GetEpochsAsync(trial)).Select(e => e.Epoch));
    }

    /// <summary>
    /// Starts the trial on worker-a's executor, takes it back for worker-b when it starts training (<paramref name="atEpoch"/>
    /// null) or once it recorded that epoch, and checks what every lost attempt must do: tell the coordinator, with its slot
    /// already free; log one line; leave the trial to the new attempt.
    /// </summary>
    private async Task<(ResultsStore Store, long Trial)> RunUntilTakenBackAsync(int? atEpoch)
    {
        var (store, trial, sweep) = await QueuedTrialAsync();
        var coordinator = new ListeningCoordinator();
        var executor = Executor(store, coordinator, new TakeBack(store, trial, atEpoch), out var log);
        await using (executor)
        {
            Assert.Equal(TrialStartResult.Started, await executor.TryStartAsync(trial, 0, TimeSpan.Zero, CancellationToken.None));
            var ended = await coordinator.Ended.Task.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(new TrialEnded(sweep, trial, TrialEnded.TakenBack, "worker-a"), ended);
            Assert.Equal(1, coordinator.FreeSlotsWhenTold);
        }
        var row = (await store.GetTrialAsync(trial))!;
        Assert.Equal((TrialStatus.Running, 2, "worker-b"), (row.Status, row.Attempts, row.Worker));
        Assert.Equal([$"Trial {trial} attempt 1 was taken back from this worker (its lease ran out); stopped it without recording anything"], log.Lines);
        return (store, trial);
    }

    private async Task<(ResultsStore Store, long Trial, long Sweep)> QueuedTrialAsync()
    {
        var store = await database.OpenAsync();
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["ffnn-100"], DatasetCatalog.Synthetic.SampleShape);
        var settings = new TrainingSettings { Epochs = Epochs, BatchSize = 32, Seed = 3, Threads = 1 };
        var sweep = await store.CreateSweepAsync(new SweepDefinition("lost", "{}", "synthetic", "val_accuracy", true, null, 3, 0, null),
            [new QueuedTrial(RecordedTrial.Definition(plan, "synthetic", settings, 0.1, limit: 200), 0, "t0")]);
        return (store, (await store.GetSweepTrialsAsync(sweep)).Single().TrialId, sweep);
    }

    private TrialExecutor Executor(ResultsStore store, ListeningCoordinator coordinator, ITrialProgress progress, out LogLines log)
    {
        var options = new WorkerOptions { Name = "worker-a", Lease = TimeSpan.FromMinutes(5) };
        var slots = new SlotPlan(1, 1, 0);
        var runner = new SweepTrialRun(store, new DatasetCache(_home), slots, progress, coordinator);
        log = new LogLines();
        var executor = new TrialExecutor(store, options, slots, runner, log);
        coordinator.FreeSlots = () => executor.FreeSlots;
        return executor;
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);

    /// <summary>
    /// Takes the trial back from worker-a as a coordinator does when worker-a's silo is declared dead, and lets worker-b
    /// claim it: when the attempt starts training (<paramref name="atEpoch"/> null), or once it recorded that epoch.
    /// </summary>
    private sealed class TakeBack(ResultsStore store, long trial, int? atEpoch) : ITrialProgress
    {
        public void Started(TrialClaim claim, int epochs, int resumedAfterEpoch)
        {
            if (atEpoch is null) Now();
        }

        public void EpochCompleted(long trialId, EpochMetrics metrics)
        {
            if (metrics.Epoch == atEpoch) Now();
        }

        private void Now()
        {
            Assert.Equal([trial], store.ReclaimFromDeadWorkerAsync("worker-a").GetAwaiter().GetResult().Requeued);
            Assert.NotNull(store.ClaimTrialAsync(trial, "worker-b", TimeSpan.FromMinutes(5)).GetAwaiter().GetResult());
        }
    }

    /// <summary>The executor's warnings and errors, one formatted line each.</summary>
    private sealed class LogLines : ILogger<TrialExecutor>
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines) return [.. _lines];
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning) return;
            lock (_lines) _lines.Add(formatter(state, exception));
        }
    }
}
