using System.Globalization;
using Experiments.Contracts;
using Experiments.Datasets;
using Experiments.Store;
using Npgsql;

namespace Experiments.Status.Native;

/// <summary>
/// <c>experiments sweep status</c> as a Native AOT program, which the launcher runs before the CLI: it prints in about
/// 70 ms, where the CLI spends some 300 ms loading and JIT-compiling its database client before it reads a row
/// (bench/README.md, "Scale"). It takes the usual forms only (<c>&lt;sweep&gt; [--db X] [--limit N] [--all] [--json]</c>)
/// and hands everything else to the CLI: help, --watch, a line it does not recognise, an unknown sweep, a database it
/// cannot reach or whose schema is behind. It hands over before it prints a result or an error (only the embedded
/// PostgreSQL's start-up lines may precede), so every help text and error message has one source, the CLI.
/// </summary>
public static class NativeSweepStatus
{
    /// <summary>The exit code that tells the launcher to run the CLI with the same arguments: one the CLI never uses (README, "Exit codes").</summary>
    public const int HandOver = 10;

    /// <summary>What it prints the report from: the sweep, and the listed trials (null lists every one).</summary>
    public sealed record Request(long SweepId, string? Db, int? Listed, bool Json);

    /// <param name="args">The arguments after <c>sweep status</c>.</param>
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (Parse(args) is not { } request)
            // Not the arguments themselves: --db may hold a password.
            return HandingOver("it takes only `sweep status <sweep> [--db X] [--limit N] [--all] [--json]`, each option once; help, --watch and other forms are the CLI's");
        SweepStatusReport? report;
        try
        {
            // The embedded PostgreSQL starts as it would for the CLI, with the same messages on stderr.
            var connection = await StoreConnection.ResolveAsync(request.Db, ExperimentsHome.Resolve(),
                new SynchronousProgress<string>(message => Console.Error.WriteLine(message)), ct);
            // One attempt, and a few seconds to connect: a database that does not answer at once is the CLI's to wait
            // for and to report (with the connection string's own timeouts).
            await using var store = await ResultsStore.OpenAsync(WithShortTimeouts(connection), new ResultsStoreOptions { ReadOnly = true, MaxAttempts = 1 }, ct);
            report = await SweepStatusReport.ReadAsync(store, request.SweepId, request.Listed, ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
        {
            return HandingOver($"the database's schema is older than this build, or not there yet, which the CLI brings up to date ({e.MessageText})");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HandingOver($"{e.GetType().Name}: {e.Message}");
        }
        if (report is null) return HandingOver($"there is no sweep {request.SweepId}");
        Terminal.UsePlainOutputWhereNoTerminalReads();
        if (request.Json) SweepStatusView.WriteJson(report);
        else SweepStatusView.WriteTable(report);
        return 0;
    }

    /// <summary>The connection string with at most 3 s to connect and 10 s per statement.</summary>
    private static string WithShortTimeouts(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Timeout = Math.Min(builder.Timeout, 3);
        builder.CommandTimeout = Math.Min(builder.CommandTimeout, 10);
        return builder.ConnectionString;
    }

    /// <summary>
    /// <see cref="HandOver"/>, saying why on standard error when EXPERIMENTS_VERBOSE is 1 (as the CLI then shows stack
    /// traces): a user who finds `sweep status` slow can see what sent it to the CLI.
    /// </summary>
    private static int HandingOver(string why)
    {
        if (Environment.GetEnvironmentVariable("EXPERIMENTS_VERBOSE") is "1" or "true") Console.Error.WriteLine($"sweep-status: handing over to the CLI: {why}");
        return HandOver;
    }

    /// <summary>The request, or null for anything but a well-formed usual form, each option at most once.</summary>
    public static Request? Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        long? sweepId = null;
        string? db = null;
        int? limit = null;
        bool all = false, json = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--db" when db is null && i + 1 < args.Count && !args[i + 1].StartsWith('-'):
                    db = args[++i];
                    break;
                case "--limit" when limit is null && i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1:
                    limit = n;
                    i++;
                    break;
                case "--all" when !all:
                    all = true;
                    break;
                case "--json" when !json:
                    json = true;
                    break;
                case var id when sweepId is null && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed):
                    sweepId = parsed;
                    break;
                default:
                    return null;
            }
        }
        return sweepId is { } sweep ? new Request(sweep, db, SweepStatusReport.Listed(json, all, limit ?? SweepStatusReport.DefaultListed), json) : null;
    }
}
