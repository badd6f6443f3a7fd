using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Experiments.Contracts.Cluster;

/// <summary>
/// Placement by silo role: a grain class marked <see cref="CoordinatorPlacementAttribute"/> activates only on a silo that
/// advertises <see cref="SiloRoles.Coordinator"/>, one marked <see cref="WorkerPlacementAttribute"/> only on a worker. The
/// director that enforces it is registered by the cluster's hosting extension (src/Cluster). Orleans's own options do not
/// fit: its metadata placement filters (experimental, ORLEANSEXP004) match the caller's metadata, and
/// SiloRoleBasedPlacement keys on the executable's name.
/// </summary>
public abstract class RolePlacement : PlacementStrategy
{
    /// <summary>The role a silo needs to host the grain.</summary>
    public abstract SiloRoles Role { get; }
}

/// <summary>Coordinator grains: only on silos with the coordinator role.</summary>
[GenerateSerializer, Immutable, Alias("experiments.coordinator-placement")]
public sealed class CoordinatorPlacement : RolePlacement
{
    public static CoordinatorPlacement Instance { get; } = new();

    public override SiloRoles Role => SiloRoles.Coordinator;
}

/// <summary>Trial-running grains: only on silos with the worker role, on the silo a placement hint names when there is one.</summary>
[GenerateSerializer, Immutable, Alias("experiments.worker-placement")]
public sealed class WorkerPlacement : RolePlacement
{
    public static WorkerPlacement Instance { get; } = new();

    public override SiloRoles Role => SiloRoles.Worker;

    /// <summary>
    /// Until disposed, a grain this call chain activates goes to <paramref name="silo"/> (which must be a live silo of the
    /// grain's role, else the call fails with a SiloUnavailableException). The hint travels in Orleans's request context;
    /// it decides only where a grain is first activated, never moves an existing activation.
    /// </summary>
    public static IDisposable PlaceOn(SiloAddress silo)
    {
        var previous = RequestContext.Get(IPlacementDirector.PlacementHintKey);
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        return new HintScope(previous);
    }

    private sealed class HintScope(object? previous) : IDisposable
    {
        public void Dispose()
        {
            if (previous is null) RequestContext.Remove(IPlacementDirector.PlacementHintKey);
            else RequestContext.Set(IPlacementDirector.PlacementHintKey, previous);
        }
    }
}

/// <summary>Marks a grain class as a coordinator grain (see <see cref="CoordinatorPlacement"/>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class CoordinatorPlacementAttribute() : PlacementAttribute(CoordinatorPlacement.Instance);

/// <summary>Marks a grain class as one that runs trials (see <see cref="WorkerPlacement"/>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class WorkerPlacementAttribute() : PlacementAttribute(WorkerPlacement.Instance);
