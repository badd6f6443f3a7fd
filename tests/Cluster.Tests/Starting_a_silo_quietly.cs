using Experiments.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// What a new user sees when `experiments silo` starts: no Orleans notes that the silo runs without server GC, and no
/// watchdog warning of a stall as long as the machine's uptime (docs/cluster.md, "Orleans cluster").
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class Starting_a_silo_quietly(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_coordinator_and_a_worker_silo_start_without_server_gc_notes_or_a_stalled_watchdog_warning()
    {
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        var coordinator = cluster.StartCoordinator();
        var worker = cluster.StartWorker("worker-a");
        await cluster.WaitForWorkersAsync(1);
        // The watchdog first checks within a second of the silo's start, and every second after.
        await Task.Delay(TimeSpan.FromSeconds(3));

        foreach (var silo in new[] { coordinator, worker })
        {
            output.WriteLine($"{silo.Name}:\n{silo.Output}");
            Assert.Contains("experiments silo: role", silo.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("ServerGC", silo.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Participant check thread has not completed", silo.Output, StringComparison.Ordinal);
        }
    }
}
