using System.Diagnostics;
using Experiments.Contracts.Cluster;
using Orleans;
using Orleans.Runtime;

namespace Experiments.ClusterTestSilo;

/// <summary>A grain that says which silo it was activated on (Orleans's parsable silo address).</summary>
public interface IPlacementProbe : IGrainWithStringKey
{
    Task<string> SiloAsync();

    /// <summary>The trace id of the activity the call runs under (W3C hex), or null when there is none.</summary>
    Task<string?> TraceIdAsync();
}

public interface ICoordinatorProbe : IPlacementProbe;

public interface IWorkerProbe : IPlacementProbe;

/// <summary>Placed like a coordinator grain.</summary>
[CoordinatorPlacement]
public sealed class CoordinatorProbe(ILocalSiloDetails silo) : Grain, ICoordinatorProbe
{
    public Task<string> SiloAsync() => Task.FromResult(silo.SiloAddress.ToParsableString());

    public Task<string?> TraceIdAsync() => Task.FromResult(Activity.Current?.TraceId.ToHexString());
}

/// <summary>Placed like a grain that runs trials.</summary>
[WorkerPlacement]
public sealed class WorkerProbe(ILocalSiloDetails silo) : Grain, IWorkerProbe
{
    public Task<string> SiloAsync() => Task.FromResult(silo.SiloAddress.ToParsableString());

    public Task<string?> TraceIdAsync() => Task.FromResult(Activity.Current?.TraceId.ToHexString());
}
