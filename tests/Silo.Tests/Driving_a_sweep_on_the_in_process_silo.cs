using System.Diagnostics;
using Experiments.Coordinator;
using Experiments.Coordinator.Orchestration;
using Experiments.Silo.Hosting;
using Experiments.Store;
using Experiments.Worker.Node;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// The sweep's coordinator grain and the worker grain on the in-process Orleans silo (the `sweep run` path), driven by
/// their calls alone: here the worker's heartbeat and the coordinator's poll are ten minutes apart, so nothing else
/// can start or stop a trial within the test's time.
/// </summary>
[Collection(SweepsInTheTestProcess.Name)]
public sealed class Driving_a_sweep_on_the_in_process_silo(LocalDatabase database) : IClassFixture<LocalDatabase>
{
    private static readonly TimeSpan Never = TimeSpan.FromMinutes(10);

    private static NodeSettings OneSlotWithoutPolling() => NodeSettings.InProcess(
        new WorkerOptions { Slots = 1, ThreadsPerSlot = 1, HeartbeatInterval = Never, Lease = 2 * Never }, new CoordinatorOptions { PollInterval = Never });

    [Fact]
    public async Task A_trial_that_ends_hands_its_slot_to_the_next_queued_trial_at_once_not_at_the_next_poll()
    {
        const string file = """
            name: two
            dataset: synthetic
            epochs: 1
            batch_size: 64
            grid:
              arch: [ffnn-100]
              lr: [1e-3, 3e-3]
            """;
        await RunOnTheSiloAsync(file, async (store, sweepId, _) =>
        {
            var clock = Stopwatch.StartNew();
            while ((await store.GetSweepAsync(sweepId))!.Status == SweepStatus.Running && clock.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(100);

            // One slot and no poll: the second trial starts as the first ends (its worker claims it), and the last end,
            // told to the coordinator grain, closes the sweep.
            var trials = await store.GetSweepTrialsAsync(sweepId);
            Assert.Equal([TrialStatus.Completed, TrialStatus.Completed], trials.Select(t => t.Status));
            Assert.Equal(SweepStatus.Completed, (await store.GetSweepAsync(sweepId))!.Status);
        });
    }

    [Fact]
    public async Task A_cancelled_sweeps_running_trial_stops_as_cancelled_through_its_worker_grain_long_before_the_next_heartbeat()
    {
        const string file = """
            name: long
            dataset: synthetic
            epochs: 50
            batch_size: 32
            grid:
              arch: [lenet-matconvnet]
            """;
        await RunOnTheSiloAsync(file, async (store, sweepId, host) =>
        {
            var trial = await WaitForAsync(store, sweepId, t => t.EpochsRecorded >= 1, TimeSpan.FromMinutes(3));
            Assert.Equal(TrialStatus.Running, trial.Status);

            Assert.Equal(SweepStatus.Cancelled, await store.CancelSweepAsync(sweepId));
            var clock = Stopwatch.StartNew();
            await ExperimentsNode.AnnounceAsync(host, sweepId, default);
            var ended = await WaitForAsync(store, sweepId, t => t.Status != TrialStatus.Running, TimeSpan.FromSeconds(60));

            Assert.Equal(TrialStatus.Cancelled, ended.Status);
            Assert.StartsWith("cancelled by the user", ended.Error);
            Assert.InRange(ended.EpochsRecorded, 1, 49); // it stopped early, keeping what it had recorded
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the trial took {clock.Elapsed.TotalSeconds:0.0} s to stop");
        });
    }

    /// <summary>Records the sweep, starts a one-slot silo that never polls, wakes the sweep's coordinator, runs <paramref name="test"/>.</summary>
    private async Task RunOnTheSiloAsync(string sweepFile, Func<ResultsStore, long, IHost, Task> test)
    {
        await using var store = await database.OpenAsync();
        var sweepId = await SweepSubmission.SubmitAsync(store, SweepReader.Parse(sweepFile, "test.yaml"), sweepFile, "test.yaml", null, default);
        using var host = ExperimentsNode.Build(store, OneSlotWithoutPolling(), consoleLogLevel: LogLevel.None);
        await host.StartAsync();
        try
        {
            await ExperimentsNode.AnnounceAsync(host, sweepId, default);
            await test(store, sweepId, host);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private static async Task<SweepTrialRow> WaitForAsync(ResultsStore store, long sweepId, Func<SweepTrialRow, bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var trial = Assert.Single(await store.GetSweepTrialsAsync(sweepId));
            if (condition(trial)) return trial;
            if (clock.Elapsed > timeout) throw new TimeoutException($"trial {trial.TrialId} is {trial.Status} with {trial.EpochsRecorded} epochs after {timeout}");
            await Task.Delay(100);
        }
    }
}

/// <summary>
/// Test classes that train a sweep inside the test process. Its spans go to every listener of the process, so these run
/// one after another: a span-capturing test must see its own sweep's trials only.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SweepsInTheTestProcess
{
    public const string Name = "sweeps inside the test process";
}
