using Experiments.Store;
using Npgsql;

namespace Experiments.Bench;

/// <summary>
/// A PostgreSQL cluster of the bench's own (<see cref="LocalPostgres"/> in a temporary home), so the figures never
/// depend on, or leave rows in, the user's results. Disposing it stops the server and deletes the home.
/// </summary>
internal sealed class PrivateCluster : IAsyncDisposable
{
    private readonly LocalPostgres _postgres;

    private PrivateCluster(LocalPostgres postgres, string connectionString)
    {
        _postgres = postgres;
        ConnectionString = connectionString;
    }

    public string ConnectionString { get; }

    public string DataDirectory => _postgres.DataDirectory;

    /// <summary>The bootstrap superuser's connection string to <paramref name="database"/>, for a bench that creates databases of its own.</summary>
    public string? AdminConnectionStringFor(string database) => _postgres.ConnectionStringFor(database);

    public static async Task<PrivateCluster> StartAsync()
    {
        var home = LocalPostgres.CreateTemporaryHome("store-bench-");
        var postgres = new LocalPostgres(home);
        try
        {
            return new PrivateCluster(postgres, await postgres.EnsureStartedAsync());
        }
        catch
        {
            await postgres.StopAsync();
            Directory.Delete(home, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try
        {
            await _postgres.StopAsync();
        }
        finally
        {
            Directory.Delete(_postgres.Home, recursive: true);
        }
    }
}
