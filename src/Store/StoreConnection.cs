namespace Experiments.Store;

/// <summary>Which PostgreSQL the tool uses.</summary>
public static class StoreConnection
{
    public const string EnvironmentVariable = "EXPERIMENTS_DB";

    /// <summary>
    /// An explicit connection string (--db) wins, then EXPERIMENTS_DB, else the embedded cluster under
    /// <paramref name="home"/>, started if needed.
    /// </summary>
    public static async Task<string> ResolveAsync(string? explicitConnectionString, string home, IProgress<string>? progress, CancellationToken ct)
    {
        // Both psql-style URIs and Npgsql's key=value form are accepted.
        if (!string.IsNullOrWhiteSpace(explicitConnectionString)) return ConnectionStrings.ToNpgsql(explicitConnectionString);
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return ConnectionStrings.ToNpgsql(fromEnvironment);
        return await new LocalPostgres(home).EnsureStartedAsync(progress, ct);
    }
}
