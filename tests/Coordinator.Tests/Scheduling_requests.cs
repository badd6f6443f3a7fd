using Experiments.Coordinator.Orchestration;
using Experiments.Store;

namespace Experiments.Coordinator.Tests;

/// <summary>"No request can wait forever": which GPU requests no live worker can ever satisfy.</summary>
public class Scheduling_requests
{
    private static SweepRow Asking(double gpus) => new(1, "s", SweepStatus.Running, "mnist", "val_accuracy", true, null, 3, gpus, null,
        DateTimeOffset.UnixEpoch, null, new Dictionary<TrialStatus, int> { [TrialStatus.Queued] = 4 });

    [Fact]
    public void A_cpu_trial_is_always_schedulable_and_no_live_worker_means_waiting_not_failing()
    {
        Assert.Null(SweepPlanning.Unschedulable(Asking(0), new ClusterCapacity(3, 6, 0, 0)));
        Assert.Null(SweepPlanning.Unschedulable(Asking(1), new ClusterCapacity(0, 0, 0, 0)));
    }

    [Fact]
    public void A_gpu_trial_on_a_cluster_without_gpus_is_unschedulable_and_the_reason_says_so()
    {
        var reason = SweepPlanning.Unschedulable(Asking(0.5), new ClusterCapacity(2, 4, 0, 0));
        Assert.NotNull(reason);
        Assert.Contains("0.5 GPU", reason);
        Assert.Contains("none of the 2 live worker(s) has a CUDA device", reason);
    }

    [Theory]
    [InlineData(0.25, true)]
    [InlineData(1.0, true)]
    [InlineData(2.0, false)] // a trial trains on one device
    public void A_gpu_cluster_takes_fractions_and_whole_devices_but_not_several_devices_per_trial(double gpus, bool schedulable) =>
        Assert.Equal(schedulable, SweepPlanning.Unschedulable(Asking(gpus), new ClusterCapacity(1, 4, 4, 0)) is null);
}
