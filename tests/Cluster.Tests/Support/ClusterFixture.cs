using System.Diagnostics;
using Experiments.Store;
using Npgsql;

// The cluster tests start several CLI processes that train on both cores; classes running side by side would make
// their timing (leases, heartbeats) meaningless.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Experiments.Cluster.Tests.Support;

/// <summary>
/// One private PostgreSQL for every cluster test (it takes seconds to start): the cluster's only server. Isolation per
/// test comes from a fresh database (<see cref="NewDatabaseAsync"/>), which holds the test's membership table too, so
/// a silo, a worker row or a trial left over from one test can never reach another.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly string _directory = LocalPostgres.CreateTemporaryHome("exp-cluster-tests-");
    private LocalPostgres? _postgres;
    private string _admin = "";

    /// <summary>How long the shared database took to start (reported by the tests).</summary>
    public TimeSpan StartDuration { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        _postgres = new LocalPostgres(Path.Combine(_directory, "postgres-home"));
        await _postgres.EnsureStartedAsync();
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

    /// <summary>
    /// Stops the shared PostgreSQL (a fast shutdown: every session is cut, as in a crash of the server's host) and,
    /// after <paramref name="down"/>, starts it again on the same data directory and port, so the nodes' connection
    /// strings stay valid. Returns when it accepts connections again.
    /// </summary>
    public async Task RestartPostgresAsync(TimeSpan down)
    {
        var postgres = _postgres ?? throw new InvalidOperationException("the shared PostgreSQL is not started");
        await postgres.StopAsync();
        await Task.Delay(down);
        await postgres.EnsureStartedAsync();
        // The test's own pooled connections died with the server; the nodes' store retries past that, a test's raw
        // query would not.
        NpgsqlConnection.ClearAllPools();
        if (postgres.ConnectionStringFor("postgres") != _admin)
            throw new InvalidOperationException("PostgreSQL came back on another port; the nodes could never reach it again");
    }

    /// <summary>A directory to use as one node's EXPERIMENTS_HOME.</summary>
    public string NewHome(string label) => Directory.CreateDirectory(Path.Combine(_directory, "homes", $"{label}-{Guid.NewGuid():N}")).FullName;

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
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
