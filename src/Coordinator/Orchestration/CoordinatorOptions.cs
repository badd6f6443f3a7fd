namespace Experiments.Coordinator.Orchestration;

/// <summary>How a coordinator drives sweeps. The defaults suit a cluster; tests shorten them.</summary>
public sealed record CoordinatorOptions
{
    /// <summary>How often the database is re-read even when no message arrives: the safety net for lost messages.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A published trial not claimed within this is published again (its message was lost).</summary>
    public TimeSpan RedispatchAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A worker counts as live when it heartbeated within this.</summary>
    public TimeSpan WorkerLiveWithin { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>After start, how long to let workers register before declaring a request unschedulable.</summary>
    public TimeSpan SchedulingGrace { get; init; } = TimeSpan.FromSeconds(10);
}
