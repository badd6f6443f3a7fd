using Experiments.Contracts.Cluster;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Experiments.Cluster.Placement;

/// <summary>
/// Places a grain of a <see cref="RolePlacement"/> strategy on a compatible silo whose advertised
/// <see cref="SiloResources"/> include the strategy's role: the silo a placement hint names
/// (<see cref="WorkerPlacement.PlaceOn"/>), else one at random. A hint naming a silo without the role, or one that is not
/// a live member, fails the call rather than putting the grain elsewhere: the caller chose that silo for a reason (a free
/// slot) and must choose again. So does a cluster with no silo of the role.
/// </summary>
internal sealed class RolePlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var role = ((RolePlacement)strategy).Role;
        var eligible = context.GetCompatibleSilos(target)
            .Where(silo => SiloResources.FromMetadata(metadata.GetSiloMetadata(silo).Metadata).Roles.HasFlag(role))
            .ToArray();
        var roleName = SiloResources.RolesText(role);
        if (target.RequestContextData?.ContainsKey(IPlacementDirector.PlacementHintKey) == true)
            return Task.FromResult(IPlacementDirector.GetPlacementHint(target.RequestContextData, eligible)
                ?? throw new SiloUnavailableException(
                    $"cannot place {target.GrainIdentity} on {target.RequestContextData[IPlacementDirector.PlacementHintKey]}: it is not a live {roleName} silo"));
        if (eligible.Length == 0)
            throw new SiloUnavailableException($"cannot place {target.GrainIdentity}: no live silo has the {roleName} role");
        return Task.FromResult(eligible[Random.Shared.Next(eligible.Length)]);
    }
}
