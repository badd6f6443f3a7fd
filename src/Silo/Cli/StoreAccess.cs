using System.CommandLine;
using Experiments.Datasets;
using Experiments.Store;

namespace Experiments.Silo.Cli;

/// <summary>
/// The <c>--db</c> option and how a command reaches the results store: <c>--db</c>, else <c>EXPERIMENTS_DB</c>, else the
/// embedded PostgreSQL under <c>EXPERIMENTS_HOME</c>, started on first use.
/// </summary>
internal static class StoreAccess
{
    public static Option<string?> DbOption() => new("--db")
    {
        Description = "PostgreSQL connection string. Default: EXPERIMENTS_DB, else a private local PostgreSQL under EXPERIMENTS_HOME, started automatically.",
    };

    public static async Task<ResultsStore> OpenAsync(string? connectionString, CancellationToken ct)
    {
        var resolved = await StoreConnection.ResolveAsync(connectionString, ExperimentsHome.Resolve(),
            new SynchronousProgress<string>(message => Console.Error.WriteLine(message)), ct);
        return await ResultsStore.OpenAsync(resolved, ct);
    }
}
