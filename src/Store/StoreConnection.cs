namespace Experiments.Store;

/// <summary>Which PostgreSQL the tool uses.</summary>
public static class StoreConnection
{
    public const string EnvironmentVariable = "EXPERIMENTS_DB";
    public const string ReaderEnvironmentVariable = "EXPERIMENTS_READ_DB";

    /// <summary>
    /// An explicit connection string (--db) wins, then EXPERIMENTS_DB, else the embedded cluster under
    /// <paramref name="home"/>, started if needed (as its application role).
    /// </summary>
    public static async Task<string> ResolveAsync(string? explicitConnectionString, string home, IProgress<string>? progress, CancellationToken ct)
    {
        // Both psql-style URIs and Npgsql's key=value form are accepted.
        if (Configured(explicitConnectionString, EnvironmentVariable) is { } configured) return configured;
        return await new LocalPostgres(home).EnsureStartedAsync(progress, ct);
    }

    /// <summary>
    /// The connection for ad-hoc queries: --read-db, then EXPERIMENTS_READ_DB, then --db or EXPERIMENTS_DB (whose role
    /// <see cref="ReadOnlySql"/> then checks), else the embedded cluster's read-only query role. The embedded cluster's
    /// schema is brought up to date first, as its owner, so a fresh home has tables to query.
    /// </summary>
    public static async Task<string> ResolveReaderAsync(string? explicitReader, string? explicitConnectionString, string home,
        IProgress<string>? progress, CancellationToken ct)
    {
        if (Configured(explicitReader, ReaderEnvironmentVariable) is { } reader) return reader;
        if (Configured(explicitConnectionString, EnvironmentVariable) is { } configured) return configured;
        var local = new LocalPostgres(home);
        await using (await ResultsStore.OpenAsync(await local.EnsureStartedAsync(progress, ct), ct)) { }
        return local.ReaderConnectionString ?? throw new LocalPostgresException("the local PostgreSQL stopped while starting; run the command again");
    }

    private static string? Configured(string? explicitConnectionString, string environmentVariable) =>
        !string.IsNullOrWhiteSpace(explicitConnectionString) ? ConnectionStrings.ToNpgsql(explicitConnectionString)
        : Environment.GetEnvironmentVariable(environmentVariable) is { } fromEnvironment && !string.IsNullOrWhiteSpace(fromEnvironment)
            ? ConnectionStrings.ToNpgsql(fromEnvironment)
            : null;
}
