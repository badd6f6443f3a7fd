using System.Diagnostics;
using System.Text.Json;
using Experiments.Store;
using Npgsql;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// `experiments results sql` and the database roles (docs/schema.md, "Roles"): ad-hoc SQL runs as a read-only role that
/// can neither run programs, read server files, signal other sessions nor change anything, while the application role
/// records a whole sweep without being a superuser. The real CLI against its private PostgreSQL.
/// </summary>
public class Querying_results_safely : IDisposable
{
    private readonly CliProcess _cli = new();

    private const string LongSweep = """
        name: long
        dataset: synthetic
        epochs: 10
        batch_size: 32
        grid:
          arch: [lenet-matconvnet]
          lr: [1e-3, 3e-3]
        """;

    [Fact]
    public async Task Escaping_or_writing_statements_are_refused_with_exit_2_while_a_running_sweep_keeps_its_connections()
    {
        using var sweep = Process.Start(CliProcess.StartInfo(_cli.Home, ["sweep", "run", _cli.WriteFile("long.yaml", LongSweep), "--slots", "1", "--threads", "1"]))!;
        var sweepOutput = sweep.StandardOutput.ReadToEndAsync();
        var sweepError = sweep.StandardError.ReadToEndAsync();
        WaitUntil(() => Count("select count(*) from epochs where epoch >= 1") > 0, TimeSpan.FromMinutes(3), "the sweep recording its first trained epoch");

        var marker = Path.Combine(_cli.Home, "copy-to-program-ran");
        var refused = new Dictionary<string, string>
        {
            [$"COPY (SELECT 1) TO PROGRAM 'touch {marker}'"] = "pg_execute_server_program",
            ["select length(pg_read_file('/etc/passwd'))"] = "permission denied",
            ["select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"] = "pg_signal_backend",
            ["delete from epochs"] = "read-only",
            ["update trials set status = 'failed'"] = "read-only",
            ["create table stolen (x int)"] = "read-only",
            ["select 1; delete from epochs"] = "exactly one statement",
        };
        foreach (var (sql, reason) in refused)
        {
            var run = _cli.Run("results", "sql", sql);
            Assert.True(run.ExitCode == 2, $"{sql}: {run.All}");
            Assert.Contains(reason, run.All, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
        }

        Assert.False(sweep.HasExited, "the sweep ended before the refused statements were tried; the test needs a longer sweep");
        Assert.False(File.Exists(marker), "COPY … TO PROGRAM ran a shell command");
        Assert.Equal(0, Count("select count(*) from pg_tables where tablename = 'stolen'"));
        Assert.True(sweep.WaitForExit(TimeSpan.FromMinutes(8)), "the sweep did not finish");
        var sweepLog = await sweepOutput + await sweepError;
        Assert.True(sweep.ExitCode == 0, sweepLog);
        Assert.Contains("Sweep 1 completed: 2 completed", sweepLog);
        // Nothing was deleted: both trials have all 11 epochs (0 … 10).
        Assert.Equal(22, Count("select count(*) from epochs"));
        Assert.Equal(2, Count("select count(*) from trials where status = 'completed'"));
    }

    [Fact]
    public void A_superuser_connection_is_refused_with_the_role_named_and_the_fix()
    {
        Assert.Equal(0, _cli.Run("db", "url").ExitCode);

        var run = _cli.Run("results", "sql", "select 1 as one", "--db", AdminUri());

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("refuses to run as role \"experiments\" (superuser", run.All, StringComparison.Ordinal);
        Assert.Contains("--read-db", run.All, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(run.All, "error:"));
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
    }

    [Fact]
    public void The_statement_timeout_and_the_row_and_byte_caps_are_honoured_with_a_notice()
    {
        var clock = Stopwatch.StartNew();
        var slow = _cli.Run("results", "sql", "select pg_sleep(20)", "--timeout", "1");
        Assert.Equal(2, slow.ExitCode);
        Assert.Contains("statement timeout of 1 s", slow.All, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the 1 s timeout took {clock.Elapsed}");

        var rows = _cli.Run("results", "sql", "select g from generate_series(1, 50) g", "--limit", "10", "--json");
        Assert.Equal(0, rows.ExitCode);
        Assert.Equal(10, JsonDocument.Parse(rows.Output).RootElement.GetArrayLength());
        Assert.Contains("stopped at --limit 10 rows", rows.Error, StringComparison.Ordinal);

        // 40 characters are 80 bytes a row: 100 bytes hold one row, not two.
        var bytes = _cli.Run("results", "sql", "select repeat('x', 40) as s from generate_series(1, 10)", "--max-bytes", "100", "--json");
        Assert.Equal(0, bytes.ExitCode);
        Assert.Equal(1, JsonDocument.Parse(bytes.Output).RootElement.GetArrayLength());
        Assert.Contains("stopped at --max-bytes 100", bytes.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Booleans_and_timestamps_are_written_as_psql_writes_them()
    {
        var run = _cli.Run("results", "sql", "select true as yes, false as no, timestamptz '2026-11-30 11:14:34.5+00' as at", "--json");

        Assert.True(run.ExitCode == 0, run.All);
        var row = JsonDocument.Parse(run.Output).RootElement[0];
        Assert.Equal(("true", "false", "2026-11-30 11:14:34.5+00"),
            (row.GetProperty("yes").GetString(), row.GetProperty("no").GetString(), row.GetProperty("at").GetString()));
    }

    [Fact]
    public void The_application_role_owns_the_schema_but_is_no_superuser_and_cannot_run_programs()
    {
        using var application = Open(_cli.Run("db", "url").Output.Trim());
        Assert.Equal(DatabaseRoles.Application, Scalar(application, "select current_user"));
        Assert.Equal(false, Scalar(application, "select rolsuper from pg_roles where rolname = current_user"));
        Assert.Equal(0L, Scalar(application, "select count(*) from pg_tables where schemaname = 'public' and tableowner <> current_user"));
        var copy = Assert.Throws<PostgresException>(() => Scalar(application, "COPY (SELECT 1) TO PROGRAM 'true'"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, copy.SqlState);

        // The query role reads every table, but may not write even when it turns read-only off for itself.
        using var reader = Open(_cli.Run("db", "url", "--read-only").Output.Trim());
        Assert.Equal(0L, Scalar(reader, "select count(*) from trials"));
        Scalar(reader, "set default_transaction_read_only = off");
        var insert = Assert.Throws<PostgresException>(() => Scalar(reader, "insert into sweeps (name) values ('x') returning id"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, insert.SqlState);
        var create = Assert.Throws<PostgresException>(() => Scalar(reader, "create table t (x int)"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, create.SqlState);
    }

    [Fact]
    public void Db_roles_sets_up_a_database_you_bring_and_its_read_only_role_answers_queries()
    {
        Assert.Equal(0, _cli.Run("db", "url").ExitCode);
        using (var admin = Open(AdminUri()))
            Scalar(admin, "create database brought");
        var brought = ConnectionStrings.ToUri(new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(AdminUri())) { Database = "brought" }.ConnectionString);

        var printed = _cli.Run("db", "roles", "--db", brought);
        Assert.Equal(0, printed.ExitCode);
        Assert.Contains("ALTER DATABASE \"brought\" OWNER TO experiments_app", printed.Output, StringComparison.Ordinal);

        var applied = _cli.Run("db", "roles", "--apply", "--db", brought);
        Assert.True(applied.ExitCode == 0, applied.All);
        var settings = applied.Lines.Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        var query = _cli.Run("results", "sql", "select count(*) as n from trial_summary", "--read-db", settings[StoreConnection.ReaderEnvironmentVariable], "--json");
        Assert.True(query.ExitCode == 0, query.All);
        Assert.Equal("0", JsonDocument.Parse(query.Output).RootElement[0].GetProperty("n").GetString());
        using var owner = Open(settings[StoreConnection.EnvironmentVariable]);
        Assert.Equal("experiments_app", Scalar(owner, "select pg_get_userbyid(datdba) from pg_database where datname = 'brought'"));
    }

    private string AdminUri()
    {
        // The bootstrap superuser's password is in the local state file beside the data directory.
        var state = Directory.GetFiles(_cli.Home, "experiments-local.json", SearchOption.AllDirectories).Single();
        var json = JsonDocument.Parse(File.ReadAllText(state)).RootElement;
        var port = json.GetProperty("Port").GetInt32();
        return $"postgresql://experiments:{json.GetProperty("Password").GetString()}@127.0.0.1:{port}/experiments";
    }

    private static NpgsqlConnection Open(string uri)
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionStrings.ToNpgsql(uri)) { Pooling = false }.ConnectionString);
        connection.Open();
        return connection;
    }

    private static object? Scalar(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    private long Count(string sql)
    {
        var run = _cli.Run("results", "sql", sql.Replace("count(*)", "count(*) as n", StringComparison.Ordinal), "--json");
        Assert.True(run.ExitCode == 0, run.All);
        return long.Parse(JsonDocument.Parse(run.Output).RootElement[0].GetProperty("n").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void WaitUntil(Func<bool> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit) throw new TimeoutException($"waited {limit} for {what}");
            Thread.Sleep(500);
        }
    }

    public void Dispose() => _cli.Dispose();
}
