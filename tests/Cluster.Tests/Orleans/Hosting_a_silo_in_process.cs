using System.Diagnostics;
using Experiments.Cluster.Hosting;
using Experiments.Cluster.Membership;
using Experiments.ClusterTestSilo;
using Experiments.Contracts.Cluster;
using Experiments.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests.Orleans;

/// <summary>
/// <c>AddExperimentsSilo</c> in one process: the single-machine silo (localhost clustering on free loopback ports) that
/// `sweep run`, `demo` and `train` will host, and a cluster silo whose membership row lives in PostgreSQL.
/// </summary>
public sealed class Hosting_a_silo_in_process(LocalDatabase database, ITestOutputHelper output) : IClassFixture<LocalDatabase>
{
    private static readonly SiloResources OneMachine = new(SiloRoles.Coordinator | SiloRoles.Worker, 0, 2);

    private static IHost Build(SiloSettings settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddExperimentsSilo(settings);
        return builder.Build();
    }

    [Fact]
    public async Task A_single_machine_silo_starts_and_stops_within_a_second_or_two_and_hosts_coordinator_and_trial_grains()
    {
        var starts = new List<TimeSpan>();
        var stops = new List<TimeSpan>();
        for (var run = 0; run < 2; run++) // the first run pays for JIT compilation; the second is what a later command sees
        {
            using var host = Build(new SiloSettings(OneMachine));
            var clock = Stopwatch.StartNew();
            await host.StartAsync();
            starts.Add(clock.Elapsed);

            var self = host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
            var grains = host.Services.GetRequiredService<IGrainFactory>();
            Assert.Equal(self.ToParsableString(), await grains.GetGrain<ICoordinatorProbe>("c").SiloAsync());
            Assert.Equal(self.ToParsableString(), await grains.GetGrain<IWorkerProbe>("w").SiloAsync());
            Assert.True(self.Endpoint.Address.Equals(System.Net.IPAddress.Loopback));

            clock.Restart();
            await host.StopAsync();
            stops.Add(clock.Elapsed);
        }
        output.WriteLine($"in-process silo, localhost clustering: start {string.Join(" / ", starts.Select(s => $"{s.TotalSeconds:0.00} s"))}, " +
                         $"stop {string.Join(" / ", stops.Select(s => $"{s.TotalSeconds:0.00} s"))} (first / second run)");
        Assert.True(starts[1] < TimeSpan.FromSeconds(3), $"a warm start took {starts[1].TotalSeconds:0.0} s");
        Assert.True(stops[1] < TimeSpan.FromSeconds(2), $"a stop took {stops[1].TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_cluster_silo_is_an_active_member_in_postgres_while_it_runs_and_a_dead_one_once_it_has_stopped()
    {
        await using var store = await database.OpenAsync();
        var clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
        using var host = Build(new SiloSettings(new SiloResources(SiloRoles.Worker, 0, 1)) { ClusterId = clusterId, MembershipStore = store });
        var clock = Stopwatch.StartNew();
        await host.StartAsync();
        var started = clock.Elapsed;
        var self = MembershipMapping.KeyOf(host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress);

        var running = Assert.Single((await store.ReadMembershipAsync(clusterId)).Members).Member;
        Assert.Equal((self, SiloState.Active), (running.Silo, running.State));
        Assert.Single(await store.ActiveGatewaysAsync(clusterId));

        clock.Restart();
        await host.StopAsync();
        output.WriteLine($"in-process silo, PostgreSQL membership: start {started.TotalSeconds:0.00} s, stop {clock.Elapsed.TotalSeconds:0.00} s");
        Assert.Equal(SiloState.Dead, Assert.Single((await store.ReadMembershipAsync(clusterId)).Members).Member.State);
        Assert.Empty(await store.ActiveGatewaysAsync(clusterId));
    }
}
