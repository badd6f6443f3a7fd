using System.CommandLine;
using System.Globalization;
using Experiments.Contracts;
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

    /// <summary>For short commands: a database that cannot be reached fails the command within a few seconds.</summary>
    public static Task<ResultsStore> OpenAsync(string? connectionString, CancellationToken ct) =>
        OpenAsync(connectionString, new ResultsStoreOptions(), ct);

    /// <summary>
    /// For commands that run for minutes or more (sweep run and resume, demo, train, silo): an outage of the database is
    /// waited out (<see cref="ResultsStoreOptions.LongRunning"/>), saying once that it waits and once that it is back.
    /// </summary>
    public static Task<ResultsStore> OpenForLongRunAsync(string? connectionString, CancellationToken ct) =>
        OpenAsync(connectionString, ResultsStoreOptions.LongRunning(ReportAvailability), ct);

    /// <summary>
    /// For commands that only read and print (sweep status): read-only transactions and no migration check, which saves
    /// a transaction and an advisory lock on every call (bench orchestration's scale figures). A schema that is behind
    /// this build shows up as a missing table or column; <see cref="ResultsCommands.WithReadingStore"/> then runs the
    /// command again on a store opened the usual way, which applies the migrations.
    /// </summary>
    public static Task<ResultsStore> OpenForReadingAsync(string? connectionString, CancellationToken ct) =>
        OpenAsync(connectionString, new ResultsStoreOptions { ReadOnly = true }, ct);

    private static async Task<ResultsStore> OpenAsync(string? connectionString, ResultsStoreOptions options, CancellationToken ct)
    {
        var resolved = await StoreConnection.ResolveAsync(connectionString, ExperimentsHome.Resolve(),
            new SynchronousProgress<string>(message => Console.Error.WriteLine(message)), ct);
        return await ResultsStore.OpenAsync(resolved, options, ct);
    }

    private static void ReportAvailability(StoreAvailability change) => Console.Error.WriteLine(change.Reachable
        ? string.Create(CultureInfo.InvariantCulture, $"The results database is back after {change.DownFor.TotalSeconds:F0} s; carrying on.")
        : string.Create(CultureInfo.InvariantCulture,
            $"The results database is unreachable ({change.Reason}); waiting up to {change.Budget?.TotalSeconds ?? 0:F0} s for it to come back."));
}
