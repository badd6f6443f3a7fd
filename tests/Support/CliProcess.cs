using System.Diagnostics;

namespace Experiments.Testing;

/// <summary>The outcome of one run of the real <c>experiments</c> executable.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error)
{
    public string All => Output + Error;
    public IReadOnlyList<string> Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Runs the built CLI as a separate process, as a user would, with its own empty EXPERIMENTS_HOME unless given one.
/// </summary>
public sealed class CliProcess : IDisposable
{
    public CliProcess(string? home = null)
    {
        // Commands that record start a local PostgreSQL in this home; a temporary home keeps the cluster inside it.
        Home = home ?? Experiments.Store.LocalPostgres.CreateTemporaryHome("experiments-cli-");
        _ownsHome = home is null;
    }

    private readonly bool _ownsHome;

    public string Home { get; }

    public CliRun Run(params string[] arguments) => RunWith(new Dictionary<string, string>(), arguments);

    /// <summary>Runs with extra environment variables, e.g. OTEL_EXPORTER_OTLP_ENDPOINT.</summary>
    public CliRun RunWith(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        RunWith(environment, [], arguments);

    /// <summary>Runs with extra environment variables and without some that <see cref="StartInfo"/> sets, e.g. NO_COLOR.</summary>
    public CliRun RunWith(IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> unset, params string[] arguments)
    {
        var start = StartInfo(Home, arguments);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        foreach (var name in unset) start.Environment.Remove(name);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("experiments " + string.Join(' ', arguments) + " did not finish in 5 minutes");
        }
        return new CliRun(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>
    /// How the built CLI (copied beside the test assembly) is started, as a user would run it: its own EXPERIMENTS_HOME
    /// and working folder, one OpenBLAS thread, no colour, output captured.
    /// </summary>
    public static ProcessStartInfo StartInfo(string home, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = home,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "experiments.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["EXPERIMENTS_HOME"] = home;
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        start.Environment["NO_COLOR"] = "1";
        // Hints then name the installed executable, `experiments`, even when the tests run under the ./experiments launcher.
        start.Environment.Remove("EXPERIMENTS_COMMAND");
        return start;
    }

    /// <summary>Writes a file into the CLI's home and returns its path.</summary>
    public string WriteFile(string name, string text)
    {
        var path = Path.Combine(Home, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose()
    {
        // Commands that record start a private PostgreSQL in this home; it must not outlive the test.
        if (Directory.Exists(Path.Combine(Home, "postgres"))) Run("db", "stop");
        if (_ownsHome) Directory.Delete(Home, recursive: true);
    }

    /// <summary>
    /// Runs a writing SQL statement on this home's results database (`results sql` is read-only): how a test
    /// simulates a crash or corruption that the product must then cope with. Returns the rows affected.
    /// </summary>
    public int ExecuteSql(string sql)
    {
        var url = Run("db", "url");
        if (url.ExitCode != 0) throw new InvalidOperationException("experiments db url failed: " + url.All);
        using var connection = new Npgsql.NpgsqlConnection(Experiments.Store.ConnectionStrings.ToNpgsql(url.Output.Trim()));
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return command.ExecuteNonQuery();
    }

    /// <summary>Runs the CLI once in an existing home, which the caller owns (nothing is stopped or deleted).</summary>
    public static CliRun RunIn(string home, params string[] arguments) => new CliProcess(home).Run(arguments);
}
