using System.Diagnostics;
using Experiments.Coordinator;
using Experiments.Coordinator.Orchestration;
using Experiments.Silo.Hosting;
using Experiments.Store;
using Experiments.Worker.Node;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// A cancel on the in-process Orleans silo (the `sweep run` path) reaches the running trial through the sweep's
/// coordinator grain and the worker grain, not through the worker's heartbeat: here the heartbeat and the coordinator's
/// poll are ten minutes apart, so only the wake-up that `sweep run` sends can stop the trial in time.
/// </summary>
public sealed class Cancelling_on_the_in_process_silo(LocalDatabase database) : IClassFixture<LocalDatabase>
{
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
        await using var store = await database.OpenAsync();
        var sweepId = await SweepSubmission.SubmitAsync(store, SweepReader.Parse(file, "long.yaml"), file, "long.yaml", null, default);
        var never = TimeSpan.FromMinutes(10);
        var settings = NodeSettings.InProcess(new WorkerOptions { Slots = 1, ThreadsPerSlot = 1, HeartbeatInterval = never, Lease = 2 * never },
            new CoordinatorOptions { PollInterval = never });
        using var host = ExperimentsNode.Build(store, settings, consoleLogLevel: LogLevel.None);
        await host.StartAsync();
        try
        {
            await ExperimentsNode.AnnounceAsync(host, sweepId, default);
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
