using Xunit;
using Experiments.Worker.Engine;
using Experiments.Worker.Node;

namespace Experiments.Worker.Tests.Node;

public class Planning_slots
{
    [Theory]
    [InlineData(2, 2, 1)] // the default on this project's 2-core machines: two 1-thread trials
    [InlineData(8, 8, 1)]
    [InlineData(1, 1, 1)]
    public void A_cpu_only_node_runs_one_single_threaded_trial_per_core(int cores, int slots, int threads) =>
        Assert.Equal(new SlotPlan(slots, threads, 0), SlotPlan.Discover(0, 0, cores, cudaDevices: 0));

    [Fact]
    public void Explicit_slots_share_the_cores_and_explicit_threads_win()
    {
        Assert.Equal(new SlotPlan(1, 8, 0), SlotPlan.Discover(1, 0, cores: 8, cudaDevices: 0));
        Assert.Equal(new SlotPlan(3, 2, 0), SlotPlan.Discover(3, 0, cores: 8, cudaDevices: 0));
        Assert.Equal(new SlotPlan(2, 3, 0), SlotPlan.Discover(2, 3, cores: 2, cudaDevices: 0));
    }

    [Fact]
    public void A_gpu_node_has_one_slot_per_device_or_several_for_fractional_requests_each_on_its_own_device()
    {
        var whole = SlotPlan.Discover(0, 0, cores: 16, cudaDevices: 2);
        Assert.Equal((2, 8), (whole.Slots, whole.ThreadsPerSlot));
        Assert.Equal([Device.Cuda(0), Device.Cuda(1)], Enumerable.Range(0, 2).Select(whole.DeviceFor));

        var halves = SlotPlan.Discover(0, 0, cores: 16, cudaDevices: 2, slotsPerGpu: 2);
        Assert.Equal(4, halves.Slots);
        Assert.Equal([Device.Cuda(0), Device.Cuda(0), Device.Cuda(1), Device.Cuda(1)], Enumerable.Range(0, 4).Select(halves.DeviceFor));
    }

    [Fact]
    public void A_cpu_node_trains_every_slot_on_the_cpu_and_nonsense_is_refused()
    {
        Assert.All(Enumerable.Range(0, 4), slot => Assert.Equal(Device.Cpu, SlotPlan.Discover(4, 1, 4, 0).DeviceFor(slot)));
        Assert.Throws<ArgumentException>(() => SlotPlan.Discover(-1, 0, 2, 0));
        Assert.Throws<ArgumentException>(() => SlotPlan.Discover(0, 0, 2, 1, slotsPerGpu: 0));
    }
}
