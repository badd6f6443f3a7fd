using Experiments.Store;
using Npgsql;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// `sweep status` reads on a read-only store that skips the migration check (it runs on every call, and a status is
/// asked for often); a database whose schema is behind the build must still get an answer, not "relation does not exist".
/// </summary>
public sealed class Reading_a_sweeps_status_on_an_older_schema : IAsyncLifetime, IDisposable
{
    private readonly CliProcess _cli = new();
    private readonly string _home = LocalPostgres.CreateTemporaryHome("status-schema-");
    private readonly LocalPostgres _server;

    public Reading_a_sweeps_status_on_an_older_schema() => _server = new LocalPostgres(_home);
    private string _emptyDatabase = "";

    public async Task InitializeAsync()
    {
        await _server.EnsureStartedAsync();
        await using var admin = new NpgsqlConnection(_server.ConnectionStringFor("postgres"));
        await admin.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE DATABASE no_schema_yet", admin)) await create.ExecuteNonQueryAsync();
        _emptyDatabase = _server.ConnectionStringFor("no_schema_yet")!;
    }

    [Fact]
    public async Task A_database_without_the_tables_is_migrated_and_the_missing_sweep_named()
    {
        var status = _cli.Run("sweep", "status", "7", "--db", _emptyDatabase);

        Assert.True(status.ExitCode == 2, status.All);
        Assert.Contains("there is no sweep 7", status.Error);
        Assert.DoesNotContain("does not exist", status.All);
        await using var connection = new NpgsqlConnection(_emptyDatabase);
        await connection.OpenAsync();
        await using var tables = new NpgsqlCommand("SELECT to_regclass('sweeps') IS NOT NULL AND to_regclass('trials') IS NOT NULL", connection);
        Assert.True((bool)(await tables.ExecuteScalarAsync())!, "sweep status left the database without the results schema");
    }

    public async Task DisposeAsync()
    {
        await _server.StopAsync();
        Directory.Delete(_home, recursive: true);
    }

    public void Dispose() => _cli.Dispose();
}
