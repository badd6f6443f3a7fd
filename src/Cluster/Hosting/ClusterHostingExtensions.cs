using Experiments.Cluster.Membership;
using Experiments.Cluster.Placement;
using Experiments.Contracts.Cluster;
using Experiments.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Experiments.Cluster.Hosting;

/// <summary>The Experiments cluster on Orleans: one call configures a silo, one a client.</summary>
public static class ClusterHostingExtensions
{
    /// <summary>
    /// Makes the host an Orleans silo of the Experiments cluster: membership in our PostgreSQL (or localhost clustering
    /// when <see cref="SiloSettings.MembershipStore"/> is null), role placement over the silo metadata it advertises
    /// (<see cref="SiloResources"/>), the failure detection of <see cref="SiloSettings.FailureDetection"/>, free loopback
    /// ports where none are given, Orleans's activity propagation, so grain calls join the caller's trace, and
    /// <see cref="IWorkerSilos"/> for coordinators.
    /// Orleans's own log lines below Warning are filtered out. Returns the ports chosen.
    /// </summary>
    public static SiloEndpoints AddExperimentsSilo(this IHostApplicationBuilder builder, SiloSettings settings)
    {
        var endpoints = new SiloEndpoints(
            settings.SiloPort == 0 ? LoopbackPort.Free() : settings.SiloPort,
            settings.GatewayPort == 0 ? LoopbackPort.Free() : settings.GatewayPort);
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        // Orleans places grains through a Polly pipeline whose telemetry logs every attempt at Information.
        builder.Logging.AddFilter("Polly", LogLevel.Warning);
        builder.UseOrleans(silo =>
        {
            if (settings.MembershipStore is { } store)
            {
                silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (settings.ClusterId, settings.ServiceId));
                silo.ConfigureEndpoints(settings.AdvertisedAddress, endpoints.SiloPort, endpoints.GatewayPort);
                silo.Services.AddOptions<MembershipStorageOptions>();
                silo.Services.AddSingleton<IMembershipTable>(services => ActivatorUtilities.CreateInstance<PostgresMembershipTable>(services, store));
            }
            else
            {
                silo.UseLocalhostClustering(endpoints.SiloPort, endpoints.GatewayPort, serviceId: settings.ServiceId, clusterId: settings.ClusterId);
            }
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = settings.FailureDetection.ProbeTimeout;
                o.NumMissedProbesLimit = settings.FailureDetection.MissedProbesLimit;
                o.NumVotesForDeathDeclaration = settings.FailureDetection.VotesForDeath;
                o.IAmAliveTablePublishTimeout = settings.FailureDetection.IAmAlivePeriod;
                o.TableRefreshTimeout = settings.FailureDetection.TableRefreshPeriod;
            });
            silo.UseSiloMetadata(settings.Resources.ToMetadata());
            silo.AddPlacementDirector<CoordinatorPlacement, RolePlacementDirector>();
            silo.AddPlacementDirector<WorkerPlacement, RolePlacementDirector>();
            silo.AddActivityPropagation();
            silo.Services.AddSingleton<IWorkerSilos, MembershipWorkerSilos>();
        });
        return endpoints;
    }

    /// <summary>
    /// Makes the host an Orleans client of the cluster <paramref name="clusterId"/>, finding its gateways in the
    /// membership table of <paramref name="store"/>'s PostgreSQL, with activity propagation.
    /// </summary>
    public static IHostApplicationBuilder AddExperimentsClusterClient(this IHostApplicationBuilder builder, ResultsStore store,
        string clusterId = "experiments", string serviceId = "experiments")
    {
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, serviceId));
            client.Services.AddOptions<MembershipStorageOptions>();
            client.Services.AddSingleton<IGatewayListProvider>(services => ActivatorUtilities.CreateInstance<PostgresGatewayListProvider>(services, store));
            client.AddActivityPropagation();
        });
        return builder;
    }
}

/// <summary>The ports a silo listens on: silo-to-silo and gateway (clients).</summary>
public sealed record SiloEndpoints(int SiloPort, int GatewayPort);
