using Experiments.Contracts.Cluster;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Experiments.Cluster.Placement;

/// <summary>
/// <see cref="IWorkerSilos"/> from this silo's view of membership: active silos whose metadata includes the worker role.
/// A silo declared dead leaves the list as soon as this silo learns of it.
/// </summary>
internal sealed class MembershipWorkerSilos(IClusterMembershipService membership, ISiloMetadataCache metadata) : IWorkerSilos
{
    public IReadOnlyList<WorkerSilo> Live() =>
    [
        .. membership.CurrentSnapshot.Members.Values
            .Where(member => member.Status == SiloStatus.Active)
            .Select(member => new WorkerSilo(member.SiloAddress, SiloResources.FromMetadata(metadata.GetSiloMetadata(member.SiloAddress).Metadata)))
            .Where(silo => silo.Resources.Roles.HasFlag(SiloRoles.Worker)),
    ];
}
