using System.CommandLine;
using Experiments.Datasets;
using Experiments.Store;
using Spectre.Console;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments db url|stop</c>: the embedded results database.</summary>
public static class DbCommands
{
    public static Command Create()
    {
        var db = new Command("db", "The results database: by default a private PostgreSQL under EXPERIMENTS_HOME (see docs/schema.md).");

        var dbOption = StoreAccess.DbOption();
        var url = new Command("url", "Print the connection string (starting the local PostgreSQL if needed), for psql, a notebook or Grafana.\n" +
                                     $"Example: psql \"$({ExperimentsCommand.Name} db url)\"");
        url.Options.Add(dbOption);
        url.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            var connection = await StoreConnection.ResolveAsync(parse.GetValue(dbOption), ExperimentsHome.Resolve(), progress: null, ct);
            await using (await ResultsStore.OpenAsync(connection, ct)) { } // applies migrations, so the schema is there to query
            Console.WriteLine(ConnectionStrings.ToUri(connection));
            return CommandErrors.Ok;
        }));

        var stop = new Command("stop", "Stop the local PostgreSQL. Its data stays; the next command that needs it starts it again.");
        stop.SetAction((_, ct) => CommandErrors.RunAsync(async () =>
        {
            var local = new LocalPostgres(ExperimentsHome.Resolve());
            if (!local.IsRunning)
            {
                AnsiConsole.MarkupLine("the local PostgreSQL is not running");
                return CommandErrors.Ok;
            }
            await local.StopAsync(ct);
            AnsiConsole.MarkupLine("stopped the local PostgreSQL");
            return CommandErrors.Ok;
        }));

        db.Subcommands.Add(url);
        db.Subcommands.Add(stop);
        return db;
    }
}
