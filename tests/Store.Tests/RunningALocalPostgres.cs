using System.Diagnostics;
using Npgsql;
using Xunit.Abstractions;

namespace Experiments.Store.Tests;

public sealed class RunningALocalPostgres(ITestOutputHelper output) : IDisposable
{
    private readonly string _home = LocalPostgres.CreateTemporaryHome("local-postgres-tests-");

    [Fact]
    public async Task It_starts_reports_a_connection_string_stops_and_restarts_on_the_same_data()
    {
        var local = new LocalPostgres(_home);
        Assert.False(local.IsRunning);
        Assert.Null(local.ConnectionString);
        var progress = new List<string>();

        var clock = Stopwatch.StartNew();
        var connectionString = await local.EnsureStartedAsync(new Progress(progress));
        var firstStart = clock.Elapsed;

        Assert.True(local.IsRunning);
        Assert.Equal(connectionString, local.ConnectionString);
        Assert.Contains(progress, p => p.StartsWith("Creating a PostgreSQL cluster", StringComparison.Ordinal));
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Assert.Equal(("127.0.0.1", "experiments"), (builder.Host, builder.Database));
        await using (var store = await ResultsStore.OpenAsync(connectionString))
            await store.CreateTrialAsync(Make.Trial());
        Assert.Equal(connectionString, await local.EnsureStartedAsync()); // already running: same answer, no restart

        await local.StopAsync();
        NpgsqlConnection.ClearAllPools();
        Assert.False(local.IsRunning);
        Assert.Null(local.ConnectionString);

        clock.Restart();
        var again = await local.EnsureStartedAsync();
        var restart = clock.Elapsed;
        try
        {
            await using var reopened = await ResultsStore.OpenAsync(again);
            Assert.Empty(reopened.MigrationsApplied);
            Assert.Single(await reopened.ListTrialsAsync());
            Assert.Equal(-1, await reopened.LatestEpochAsync(1));
        }
        finally
        {
            await local.StopAsync();
            NpgsqlConnection.ClearAllPools();
        }
        output.WriteLine($"first start (initdb + start + create database): {firstStart.TotalMilliseconds:F0} ms; restart: {restart.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task A_cluster_made_before_the_roles_existed_hands_its_objects_to_the_application_role_on_the_next_start()
    {
        var local = new LocalPostgres(_home);
        await using (var store = await ResultsStore.OpenAsync(await local.EnsureStartedAsync()))
            await store.CreateTrialAsync(Make.Trial());
        try
        {
            // What an older version left: the superuser owns the database and every object, and no query role exists.
            await using (var admin = new NpgsqlConnection(local.ConnectionStringFor(LocalPostgres.DatabaseName)))
            {
                await admin.OpenAsync();
                await using var downgrade = new NpgsqlCommand(
                    $"REASSIGN OWNED BY {DatabaseRoles.Application} TO {LocalPostgres.SuperUser}; DROP OWNED BY {DatabaseRoles.Reader}; DROP ROLE {DatabaseRoles.Reader}",
                    admin);
                await downgrade.ExecuteNonQueryAsync();
            }
            NpgsqlConnection.ClearAllPools();

            var application = await local.EnsureStartedAsync();

            await using var connection = new NpgsqlConnection(application);
            await connection.OpenAsync();
            await using var owners = new NpgsqlCommand(
                "SELECT count(*) FILTER (WHERE tableowner <> current_user), (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()) " +
                "FROM pg_tables WHERE schemaname = 'public'", connection);
            await using (var reader = await owners.ExecuteReaderAsync())
            {
                await reader.ReadAsync();
                Assert.Equal((0L, DatabaseRoles.Application), (reader.GetInt64(0), reader.GetString(1)));
            }
            await using var store = await ResultsStore.OpenAsync(application);
            Assert.Single(await store.ListTrialsAsync());
            var rows = await ReadOnlySql.RunAsync(local.ReaderConnectionString!, "select count(*) from trials", new QueryLimits(TimeSpan.FromSeconds(10), 10, 1 << 20));
            Assert.Equal("1", rows.Rows.Single()[0]);
        }
        finally
        {
            await local.StopAsync();
            NpgsqlConnection.ClearAllPools();
        }
    }

    [Fact]
    public async Task A_home_the_server_user_cannot_reach_still_gets_a_working_cluster()
    {
        // Root's own home is 0700, so ~/.experiments is out of reach of the "postgres" user the server runs as.
        var privateHome = Path.Combine(_home, "private");
        Directory.CreateDirectory(privateHome);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(privateHome, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var local = new LocalPostgres(Path.Combine(privateHome, ".experiments"));
        var runningAsRoot = Environment.UserName == "root";
        Assert.Equal(runningAsRoot, local.DataDirectory.StartsWith(LocalPostgres.RootFallbackDirectory, StringComparison.Ordinal));
        try
        {
            await using var store = await ResultsStore.OpenAsync(await local.EnsureStartedAsync());
            await store.CreateTrialAsync(Make.Trial());
            Assert.Single(await store.ListTrialsAsync());
            // Another process with the same home finds the same cluster.
            Assert.Equal(local.ConnectionString, new LocalPostgres(Path.Combine(privateHome, ".experiments")).ConnectionString);
        }
        finally
        {
            await local.StopAsync();
            NpgsqlConnection.ClearAllPools();
            if (runningAsRoot) Directory.Delete(Path.GetDirectoryName(local.DataDirectory)!, recursive: true);
        }
    }

    [Fact]
    public async Task Missing_binaries_give_an_error_that_says_how_to_install_them()
    {
        var emptyBin = Directory.CreateDirectory(Path.Combine(_home, "bin")).FullName;
        var local = new LocalPostgres(_home, emptyBin);

        var error = await Assert.ThrowsAsync<PostgresNotInstalledException>(() => local.EnsureStartedAsync());

        Assert.Contains("apt-get install postgresql", error.Message, StringComparison.Ordinal);
        Assert.Contains(emptyBin, error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(local.DataDirectory));
    }

    [Fact]
    public async Task An_explicit_connection_string_wins_over_the_environment_and_the_local_cluster()
    {
        var resolved = await StoreConnection.ResolveAsync("Host=db.example;Database=x", _home, null, CancellationToken.None);

        Assert.Equal("Host=db.example;Database=x", resolved);
        Assert.False(Directory.Exists(Path.Combine(_home, "postgres")));
    }

    public void Dispose()
    {
        if (Directory.Exists(_home)) Directory.Delete(_home, recursive: true);
    }

    private sealed class Progress(List<string> messages) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (messages) messages.Add(value);
        }
    }
}
