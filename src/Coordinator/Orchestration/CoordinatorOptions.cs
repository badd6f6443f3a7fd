using Experiments.Store;

namespace Experiments.Coordinator.Orchestration;

/// <summary>How a coordinator drives sweeps. The defaults suit a cluster; tests shorten them.</summary>
public sealed record CoordinatorOptions
{
    /// <summary>How often the database is re-read even when no message arrives: the safety net for lost messages.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A worker counts as live when it heartbeated within this.</summary>
    public TimeSpan WorkerLiveWithin { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How often a cluster's coordinator silo re-reads which sweeps are running and wakes their coordinator grains
    /// (<see cref="WaitingSweepsScan"/>): the longest a sweep waits after its coordinator silo died, when no worker's
    /// message reactivates the grain sooner.
    /// </summary>
    public TimeSpan ScanInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The longest a coordinator waits on one call to another silo (a wake, a worker's free slots, a start). Each of
    /// these is one short turn (a start is one conditional UPDATE), so a silo that takes longer is frozen or dying.
    /// </summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The sweeps this coordinator drives (<see cref="SweepDrivers"/>): the cluster's, or its own process's.</summary>
    public string Driver { get; init; } = SweepDrivers.Cluster;

    /// <summary>After start, how long to let workers register before declaring a request unschedulable.</summary>
    public TimeSpan SchedulingGrace { get; init; } = TimeSpan.FromSeconds(10);
}
