using Experiments.Store;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;

namespace Experiments.Cluster.Membership;

/// <summary>
/// The gateways a client (e.g. <c>sweep submit</c>) may connect to: the gateway endpoints of the cluster's active silos,
/// read from the membership rows that <see cref="PostgresMembershipTable"/> keeps. Re-read every
/// <see cref="GatewayOptions.GatewayListRefreshPeriod"/>.
/// </summary>
public sealed class PostgresGatewayListProvider(
    ResultsStore store, IOptions<ClusterOptions> cluster, IOptions<GatewayOptions> gateway, IOptions<MembershipStorageOptions> storage)
    : IGatewayListProvider
{
    private readonly string _clusterId = cluster.Value.ClusterId;

    public TimeSpan MaxStaleness { get; } = gateway.Value.GatewayListRefreshPeriod;

    public bool IsUpdatable => true;

    public Task InitializeGatewayListProviderAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public async Task<IList<Uri>> GetGatewaysAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(storage.Value.CallTimeout);
        var gateways = await store.ActiveGatewaysAsync(_clusterId, timeout.Token);
        return [.. gateways.Select(MembershipMapping.GatewayUri)];
    }

    // The interface's older, token-less members (obsolete in Orleans 10).
    public Task InitializeGatewayListProvider() => InitializeGatewayListProviderAsync(default);
    public Task<IList<Uri>> GetGateways() => GetGatewaysAsync(default);
}
