using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace Experiments.Store.Tests;

/// <summary>
/// One PostgreSQL server for the whole test run: EXPERIMENTS_TEST_DB if set, else a private LocalPostgres cluster in a
/// temporary home, stopped and deleted after the last database test.
/// </summary>
internal static class TestCluster
{
    private static readonly Lazy<Task<Server>> Shared = new(StartAsync);
    private static LocalPostgres? _local;
    private static string? _home;

    internal sealed record Server(string AdminConnectionString, TimeSpan StartTime, bool Private);

    public static Task<Server> GetAsync() => Shared.Value;

    private static async Task<Server> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable("EXPERIMENTS_TEST_DB");
        if (!string.IsNullOrWhiteSpace(external)) return new Server(external, TimeSpan.Zero, Private: false);

        _home = LocalPostgres.CreateTemporaryHome("store-tests-");
        // Throw-away data: no fsync, so the suite's many small commits and CREATE DATABASEs stay fast.
        _local = new LocalPostgres(_home) { Durable = false };
        var clock = Stopwatch.StartNew();
        await _local.EnsureStartedAsync();
        return new Server(_local.ConnectionStringFor("postgres")!, clock.Elapsed, Private: true);
    }

    /// <summary>Stops the private cluster and deletes its home (called once, when the last database test is done).</summary>
    public static async Task StopAsync()
    {
        if (!Shared.IsValueCreated || _local is null) return;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await _local.StopAsync();
        }
        finally
        {
            if (_home is not null && Directory.Exists(_home)) Directory.Delete(_home, recursive: true);
        }
    }
}

/// <summary>
/// Every test class that uses the shared server belongs to this collection, so the server is stopped (under xunit's
/// control, not at process exit, when the test host may be killed first) after the last of them.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<SharedServer>
{
    public const string Name = "postgres";
}

public sealed class SharedServer : IAsyncLifetime
{
    public Task InitializeAsync() => TestCluster.GetAsync();

    public Task DisposeAsync() => TestCluster.StopAsync();
}

/// <summary>A class fixture: a fresh, empty database on the shared server per test class, dropped afterwards.</summary>
public sealed class FreshDatabase : IAsyncLifetime
{
    private readonly List<string> _created = [];
    private string _admin = "";

    /// <summary>The class's own database.</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _admin = (await TestCluster.GetAsync()).AdminConnectionString;
        ConnectionString = await NewDatabaseAsync();
    }

    /// <summary>
    /// Another database, holding the schema as the migrations before <paramref name="version"/> left it (recorded as
    /// applied), for a test of what migration <paramref name="version"/> does to the rows it finds.
    /// </summary>
    public async Task<string> NewDatabaseBeforeMigrationAsync(int version)
    {
        var connectionString = await NewDatabaseAsync();
        await Make.ExecuteAsync(connectionString, "CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
        foreach (var migration in SchemaMigrator.Embedded.Where(m => m.Version < version))
        {
            await Make.ExecuteAsync(connectionString, migration.Sql);
            await Make.ExecuteAsync(connectionString, $"INSERT INTO schema_migrations (version, name) VALUES ({migration.Version}, '{migration.Name}')");
        }
        return connectionString;
    }

    /// <summary>Another empty database, for a test that needs one to itself.</summary>
    public async Task<string> NewDatabaseAsync()
    {
        var name = "test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(_admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        lock (_created) _created.Add(name);
        return new NpgsqlConnectionStringBuilder(_admin) { Database = name }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        foreach (var name in _created)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}

internal static class Make
{
    public static TrialDefinition Trial(long? sweepId = null, string architecture = "lenet-cifar", long seed = 1) => new(
        sweepId, architecture,
        """{"name":"lenet-cifar","layers":[{"type":"conv2d","out":6,"kernel":5},{"type":"relu"},{"type":"linear","out":10}]}""",
        "cifar10",
        """{"lr":0.001,"weight_decay":0.0,"optimizer":"adam","batch_size":64,"epochs":10,"val_split":0.1}""",
        seed);

    public static EpochRecord Epoch(int epoch, double valAccuracy = 0.5, double valLoss = 1.0, double testAccuracy = 0.4) => new(
        epoch, 0.001,
        new SplitFigures(1.5 - epoch * 0.1, 0.3 + epoch * 0.05, 45_000),
        new SplitFigures(valLoss, valAccuracy, 5_000),
        new SplitFigures(valLoss + 0.1, testAccuracy, 10_000),
        24.5, 2_037.0);

    /// <summary>A float32 tensor of random bit patterns (NaN payloads, -0, subnormals and all).</summary>
    public static TensorSnapshot RandomFloat32(string name, params int[] shape)
    {
        var count = shape.Aggregate(1, (a, b) => a * b);
        return new TensorSnapshot(name, shape, "float32", RandomNumberGenerator.GetBytes(count * 4));
    }

    /// <summary>Gaussian float32 values of trained-weight scale (σ = 0.05): what a real snapshot holds.</summary>
    public static TensorSnapshot GaussianFloat32(string name, Random random, params int[] shape)
    {
        var count = shape.Aggregate(1, (a, b) => a * b);
        var values = new float[count];
        for (var i = 0; i < count; i++)
            values[i] = (float)(0.05 * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        var bytes = new byte[count * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new TensorSnapshot(name, shape, "float32", bytes);
    }

    public static TensorSnapshot Int64(string name, params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new TensorSnapshot(name, [values.Length], "int64", bytes);
    }

    /// <summary>
    /// Five tensors in three rows: the two 64 KiB weights get a row each, the three small tensors share one packed row
    /// (the second row written), so a hook after row 1 or 2 interrupts a copy in its middle.
    /// </summary>
    public static IReadOnlyList<TensorSnapshot> SmallSnapshot() =>
    [
        RandomFloat32("0.weight", 16, 32, 32),
        RandomFloat32("0.bias", 16),
        RandomFloat32("3.weight", 16, 1024),
        RandomFloat32("3.bias", 10),
        Int64("1.num_batches_tracked", 781),
    ];

    /// <summary>How many tensors a trial's weight_tensors rows hold, a packed row counting each of its members.</summary>
    public static string CountTensorsSql(long trial) =>
        $"SELECT coalesce(sum(coalesce(jsonb_array_length(members), 1)), 0) FROM weight_tensors WHERE trial_id = {trial}";

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

internal static class SnapshotAssert
{
    public static void BitExact(IReadOnlyList<TensorSnapshot> expected, IReadOnlyList<TensorSnapshot> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Name, actual[i].Name);
            Assert.Equal(expected[i].Shape, actual[i].Shape);
            Assert.Equal(expected[i].DType, actual[i].DType);
            Assert.True(expected[i].Data.AsSpan().SequenceEqual(actual[i].Data), $"tensor {expected[i].Name} differs");
        }
    }
}
