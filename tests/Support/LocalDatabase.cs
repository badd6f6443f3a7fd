using Experiments.Store;

namespace Experiments.Testing;

/// <summary>
/// A real, private PostgreSQL for tests that record into or read from the results store: started in a temporary home
/// (or EXPERIMENTS_TEST_DB, when set), stopped and deleted afterwards.
/// </summary>
public sealed class LocalDatabase : IAsyncDisposable, Xunit.IAsyncLifetime
{
    private LocalPostgres? _server;
    private string? _home;

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("EXPERIMENTS_TEST_DB") is { Length: > 0 } configured)
        {
            ConnectionString = ConnectionStrings.ToNpgsql(configured);
            return;
        }
        _home = LocalPostgres.CreateTemporaryHome("experiments-test-db-");
        _server = new LocalPostgres(_home);
        ConnectionString = await _server.EnsureStartedAsync();
    }

    public Task<ResultsStore> OpenAsync() => ResultsStore.OpenAsync(ConnectionString);

    async Task Xunit.IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.StopAsync();
        if (_home is not null) Directory.Delete(_home, recursive: true);
    }
}
