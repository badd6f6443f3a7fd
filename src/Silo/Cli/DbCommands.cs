using System.CommandLine;
using Experiments.Datasets;
using Experiments.Store;
using Spectre.Console;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments db url|roles|stop</c>: the results database and its roles.</summary>
public static class DbCommands
{
    public static Command Create()
    {
        var db = new Command("db", "The results database: by default a private PostgreSQL under EXPERIMENTS_HOME (see docs/schema.md).");

        var dbOption = StoreAccess.DbOption();
        var readOnly = new Option<bool>("--read-only") { Description = $"Print the read-only query role's ({DatabaseRoles.Reader}) connection instead of the application role's." };
        var url = new Command("url", "Print the connection string (starting the local PostgreSQL if needed), for psql, a notebook or Grafana.\n" +
                                     $"Example: psql \"$({ExperimentsCommand.Name} db url --read-only)\"") { dbOption, readOnly };
        url.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            var home = ExperimentsHome.Resolve();
            var connection = parse.GetValue(readOnly)
                ? await StoreConnection.ResolveReaderAsync(null, parse.GetValue(dbOption), home, progress: null, ct)
                : await StoreConnection.ResolveAsync(parse.GetValue(dbOption), home, progress: null, ct);
            if (!parse.GetValue(readOnly))
                await using (await ResultsStore.OpenAsync(connection, ct)) { } // applies migrations, so the schema is there to query
            Console.WriteLine(ConnectionStrings.ToUri(connection));
            return CommandErrors.Ok;
        }));

        db.Subcommands.Add(url);
        db.Subcommands.Add(Roles());

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

        db.Subcommands.Add(stop);
        return db;
    }

    private static Command Roles()
    {
        var admin = new Option<string?>("--db")
        {
            Description = "A superuser's (or the database owner's with CREATEROLE) connection string to the results database; needed with --apply.",
        };
        var apply = new Option<bool>("--apply") { Description = "Run the script over --db, give both roles new random passwords, create the schema as the owner, and print their connection strings." };
        var roles = new Command("roles",
            $"Print the SQL that creates the application role ({DatabaseRoles.Application}, owner of the schema) and the read-only query role\n" +
            $"({DatabaseRoles.Reader}) for a PostgreSQL you bring, or apply it with --apply. The local PostgreSQL does this by itself.\n" +
            "Example: experiments db roles --apply --db postgresql://postgres@dbhost/experiments") { admin, apply };
        roles.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            var target = parse.GetValue(admin) is { Length: > 0 } given ? ConnectionStrings.ToNpgsql(given) : null;
            if (!parse.GetValue(apply))
            {
                var database = target is null ? LocalPostgres.DatabaseName : new Npgsql.NpgsqlConnectionStringBuilder(target).Database ?? LocalPostgres.DatabaseName;
                Console.WriteLine(DatabaseRoles.Script(database));
                return CommandErrors.Ok;
            }
            if (target is null) throw new ArgumentException("--apply needs --db: a superuser's connection string to the results database");
            var passwords = (Application: DatabaseRoles.NewPassword(), Reader: DatabaseRoles.NewPassword());
            await DatabaseRoles.ApplyAsync(target, passwords.Application, passwords.Reader, ct);
            string As(string role, string password) =>
                ConnectionStrings.ToUri(new Npgsql.NpgsqlConnectionStringBuilder(target) { Username = role, Password = password }.ConnectionString);
            var application = As(DatabaseRoles.Application, passwords.Application);
            await using (await ResultsStore.OpenAsync(ConnectionStrings.ToNpgsql(application), ct)) { } // the schema, created by its owner
            Console.WriteLine($"{StoreConnection.EnvironmentVariable}={application}");
            Console.WriteLine($"{StoreConnection.ReaderEnvironmentVariable}={As(DatabaseRoles.Reader, passwords.Reader)}");
            Console.Error.WriteLine("Give the first to the coordinator and workers, the second to readers (results sql, the dashboard).");
            return CommandErrors.Ok;
        }));
        return roles;
    }
}
