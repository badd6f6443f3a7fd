using Experiments.ClusterTestSilo;
using Experiments.Contracts.Cluster;
using Experiments.Store;
using Orleans;
using Orleans.Runtime;

namespace Experiments.Cluster.Tests.Orleans;

/// <summary>
/// A coordinator-only, a worker-only and a coordinator-and-worker silo, each its own process, joined through our
/// PostgreSQL membership table; the test process calls them as an Orleans client that found them in the same table.
/// </summary>
public sealed class RoleCluster : IAsyncLifetime
{
    private readonly LocalDatabase _database = new();
    private ResultsStore? _store;

    public TestSilos Silos { get; private set; } = null!;

    public IClusterClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await ((IAsyncLifetime)_database).InitializeAsync();
        _store = await _database.OpenAsync(); // applies the migrations before the silos race to
        Silos = await TestSilos.StartAsync(_database.ConnectionString, ("coordinator", "coordinator"), ("worker", "worker"), ("all", "coordinator,worker"));
        Client = await Silos.ConnectAsync(_store);
    }

    public async Task DisposeAsync()
    {
        if (Silos is not null) await Silos.DisposeAsync();
        if (_store is not null) await _store.DisposeAsync();
        await _database.DisposeAsync();
    }
}

/// <summary>The test classes that share one <see cref="RoleCluster"/> (its three processes start once for all of them).</summary>
[CollectionDefinition(Name)]
public sealed class RoleClusterCollection : ICollectionFixture<RoleCluster>
{
    public const string Name = "role cluster";
}

[Collection(RoleClusterCollection.Name)]
public sealed class Placing_grains_by_silo_role(RoleCluster cluster)
{
    private const int Grains = 24;

    private static Task<SiloAddress[]> PlacesAsync<TProbe>(IClusterClient client, string prefix) where TProbe : IPlacementProbe =>
        Task.WhenAll(Enumerable.Range(0, Grains).Select(async i =>
            SiloAddress.FromParsableString(await client.GetGrain<TProbe>($"{prefix}-{Guid.NewGuid():N}-{i}").SiloAsync())));

    [Fact]
    public async Task A_coordinator_grain_never_activates_on_a_worker_only_silo()
    {
        var places = await PlacesAsync<ICoordinatorProbe>(cluster.Client, "coordinator");

        Assert.DoesNotContain(cluster.Silos["worker"].Address, places);
        // Both coordinator silos take some: the filter narrows the choice, it does not pin everything to one silo.
        Assert.Equal(new[] { cluster.Silos["all"].Address, cluster.Silos["coordinator"].Address }.Order(), places.Distinct().Order());
    }

    [Fact]
    public async Task A_grain_that_runs_trials_never_activates_on_a_coordinator_only_silo()
    {
        var places = await PlacesAsync<IWorkerProbe>(cluster.Client, "worker");

        Assert.DoesNotContain(cluster.Silos["coordinator"].Address, places);
        Assert.Equal(new[] { cluster.Silos["all"].Address, cluster.Silos["worker"].Address }.Order(), places.Distinct().Order());
    }

    [Fact]
    public async Task A_placement_hint_puts_a_trial_grain_on_the_worker_it_names()
    {
        foreach (var name in new[] { "worker", "all" })
        {
            SiloAddress[] places;
            using (WorkerPlacement.PlaceOn(cluster.Silos[name].Address))
                places = await PlacesAsync<IWorkerProbe>(cluster.Client, "pinned");
            Assert.All(places, place => Assert.Equal(cluster.Silos[name].Address, place));
        }
    }

    [Fact]
    public async Task A_placement_hint_naming_a_coordinator_only_silo_fails_the_call_instead_of_training_there()
    {
        var coordinator = cluster.Silos["coordinator"].Address;
        Exception refused;
        using (WorkerPlacement.PlaceOn(coordinator))
            refused = await Assert.ThrowsAnyAsync<Exception>(() => cluster.Client.GetGrain<IWorkerProbe>($"refused-{Guid.NewGuid():N}").SiloAsync());

        Assert.Contains("not a live worker silo", refused.ToString(), StringComparison.Ordinal);
        // Without the hint the same kind of grain is placed normally.
        Assert.NotEqual(coordinator, SiloAddress.FromParsableString(await cluster.Client.GetGrain<IWorkerProbe>($"free-{Guid.NewGuid():N}").SiloAsync()));
    }
}

/// <summary>Orleans's activity propagation, as AddExperimentsSilo and AddExperimentsClusterClient switch it on.</summary>
[Collection(RoleClusterCollection.Name)]
public sealed class Tracing_calls_into_the_cluster(RoleCluster cluster)
{
    private static readonly System.Diagnostics.ActivitySource Caller = new("Experiments.Tests.Caller");

    [Fact]
    public async Task A_grain_call_runs_in_another_process_under_the_callers_trace()
    {
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) =>
                System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        using var sweep = Caller.StartActivity("sweep")!;

        var onWorker = await cluster.Client.GetGrain<IWorkerProbe>($"traced-{Guid.NewGuid():N}").TraceIdAsync();
        var onCoordinator = await cluster.Client.GetGrain<ICoordinatorProbe>($"traced-{Guid.NewGuid():N}").TraceIdAsync();

        Assert.Equal(sweep.TraceId.ToHexString(), onWorker);
        Assert.Equal(sweep.TraceId.ToHexString(), onCoordinator);
    }
}
