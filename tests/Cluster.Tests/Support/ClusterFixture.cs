using System.Diagnostics;
using Experiments.Store;
using Npgsql;

// The cluster tests start several CLI processes that train on both cores; classes running side by side would make
// their timing (leases, heartbeats) meaningless.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Experiments.Cluster.Tests.Support;

/// <summary>
/// One private RabbitMQ and one private PostgreSQL for every cluster test (each takes seconds to start). Isolation per
/// test comes from a fresh database (<see cref="NewDatabaseAsync"/>) and a fresh RabbitMQ virtual host
/// (<see cref="NewVirtualHostAsync"/>), so a message or a worker row left over from one test can never reach another.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly string _directory = LocalPostgres.CreateTemporaryHome("exp-cluster-tests-");
    private LocalPostgres? _postgres;
    private string _admin = "";
    private int _virtualHosts;

    public LocalRabbitMq Broker { get; private set; } = null!;

    /// <summary>How long the shared broker and database took to start (reported by the tests).</summary>
    public TimeSpan StartDuration { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        _postgres = new LocalPostgres(Path.Combine(_directory, "postgres-home"));
        var postgres = _postgres.EnsureStartedAsync();
        var broker = LocalRabbitMq.StartAsync(Path.Combine(_directory, "rabbitmq"));
        await Task.WhenAll(postgres, broker);
        Broker = await broker;
        _admin = _postgres.ConnectionStringFor("postgres")!;
        StartDuration = clock.Elapsed;
    }

    /// <summary>An empty database on the shared server, migrated (so concurrently starting nodes find the schema ready).</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = "cluster_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(_admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(_admin) { Database = name }.ConnectionString;
        await using (await ResultsStore.OpenAsync(connectionString)) { }
        return connectionString;
    }

    /// <summary>A fresh virtual host on the shared broker, open to guest; returns the AMQP URI that selects it.</summary>
    public async Task<string> NewVirtualHostAsync()
    {
        var name = $"test{Interlocked.Increment(ref _virtualHosts)}";
        await Broker.RabbitMqCtlAsync(["add_vhost", name]);
        await Broker.RabbitMqCtlAsync(["set_permissions", "-p", name, "guest", ".*", ".*", ".*"]);
        return new Uri(Broker.AmqpUri, name).ToString();
    }

    /// <summary>A directory to use as one node's EXPERIMENTS_HOME.</summary>
    public string NewHome(string label) => Directory.CreateDirectory(Path.Combine(_directory, "homes", $"{label}-{Guid.NewGuid():N}")).FullName;

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            if (Broker is not null) await Broker.DisposeAsync();
            if (_postgres is not null) await _postgres.StopAsync();
        }
        finally
        {
            try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
