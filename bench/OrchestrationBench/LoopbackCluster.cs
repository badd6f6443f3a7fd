using System.Diagnostics;
using System.Globalization;
using System.Text;
using Experiments.Store;
using Npgsql;

namespace Experiments.Bench;

/// <summary>
/// A cluster on this machine as docs/cluster.md's walkthrough starts one: `experiments silo` processes (the CLI
/// built beside the bench) on loopback, whose only server is the bench's PostgreSQL. One coordinator silo and
/// worker silos of <c>slots</c> one-thread slots each, with the documented failure detection and lease.
/// </summary>
internal sealed class LoopbackCluster : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly string _home;
    private readonly List<SiloProcess> _silos = [];

    private LoopbackCluster(string connectionString, string home) => (_connectionString, _home) = (connectionString, home);

    /// <summary>The worker silos still alive, oldest first.</summary>
    public IEnumerable<SiloProcess> Workers => _silos.Where(s => s.Role == "worker" && !s.HasExited);

    /// <summary>
    /// Starts a coordinator silo and <paramref name="workers"/> worker silos and returns once every worker has
    /// registered its slots and every silo is an active member of the cluster.
    /// </summary>
    public static async Task<LoopbackCluster> StartAsync(ResultsStore store, string connectionString, string home, int workers, int slotsPerWorker)
    {
        var cluster = new LoopbackCluster(connectionString, home);
        try
        {
            cluster.Start("coordinator", []);
            for (var i = 0; i < workers; i++) cluster.StartWorker(slotsPerWorker);
            await cluster.WaitUntilReadyAsync(store, workers * slotsPerWorker);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public SiloProcess StartWorker(int slots) => Start("worker", ["--slots", slots.ToString(CultureInfo.InvariantCulture), "--threads", "1"]);

    /// <summary>Waits (at most 2 minutes) until live workers offer <paramref name="slots"/> slots and every running silo is active.</summary>
    public async Task WaitUntilReadyAsync(ResultsStore store, int slots)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_silos.FirstOrDefault(s => s.HasExited && !s.Killed) is { } died)
                throw new InvalidOperationException($"silo {died.Role} (pid {died.Pid}) exited while starting:\n{died.Output}");
            var live = (await store.CapacityAsync(TimeSpan.FromSeconds(3))).Slots;
            if (live >= slots && await ActiveSilosAsync() >= _silos.Count(s => !s.HasExited)) return;
            if (clock.Elapsed > TimeSpan.FromMinutes(2))
                throw new TimeoutException($"the loopback cluster did not come up in 2 minutes ({live} of {slots} slots live)");
            await Task.Delay(100);
        }
    }

    /// <summary>`experiments sweep submit` of a sweep file against the cluster's database; returns the sweep id it printed.</summary>
    public async Task<long> SubmitAsync(string sweepFile, params string[] extra)
    {
        var run = await CliRun.RunAsync(_home, ["sweep", "submit", sweepFile, "--db", _connectionString, .. extra]);
        if (run.ExitCode != 0) throw new InvalidOperationException($"sweep submit failed ({run.ExitCode}): {run.Output}");
        return long.Parse(run.FirstLine, CultureInfo.InvariantCulture);
    }

    private async Task<long> ActiveSilosAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM cluster_silos WHERE status = 'active'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private SiloProcess Start(string role, string[] arguments)
    {
        var silo = SiloProcess.Start(role, CliRun.StartInfo(_home, ["silo", "--role", role, "--db", _connectionString, .. arguments]));
        _silos.Add(silo);
        return silo;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_silos.Select(s => s.StopAsync()));
        foreach (var silo in _silos) silo.Dispose();
    }
}

/// <summary>One `experiments silo` process; its output is kept for when it fails.</summary>
internal sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SiloProcess(string role, Process process) => (Role, _process) = (role, process);

    public string Role { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public bool Killed { get; private set; }

    /// <summary>The worker's name in the database (WorkerOptions.Name: host/pid).</summary>
    public string WorkerName => $"{Environment.MachineName}/{Pid}";

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static SiloProcess Start(string role, ProcessStartInfo start)
    {
        var process = new Process { StartInfo = start };
        var silo = new SiloProcess(role, process);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>kill -9: no shutdown code runs, as when a machine dies.</summary>
    public void KillHard()
    {
        Killed = true;
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, a clean stop; kill -9 after 15 s.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Pid.ToString(CultureInfo.InvariantCulture) } })!)
            await term.WaitForExitAsync();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            KillHard();
        }
    }

    public void Dispose() => _process.Dispose();
}

/// <summary>A short CLI command run to the end: exit code, stdout, and when its first line came out.</summary>
internal sealed record CliRun(int ExitCode, string Output, string FirstLine, double FirstLineSeconds, double WallSeconds)
{
    /// <summary>
    /// The CLI a user runs: the launcher's ReadyToRun publish in artifacts/cli, which `./experiments bench orchestration`
    /// brings up to date before the bench starts. Its start-up is part of what the scale section measures.
    /// </summary>
    public static ProcessStartInfo StartInfo(string home, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = home };
        start.ArgumentList.Add(PublishedCli.Value);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["EXPERIMENTS_HOME"] = home;
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        start.Environment["NO_COLOR"] = "1";
        start.Environment.Remove("EXPERIMENTS_DB");
        return start;
    }

    private static readonly Lazy<string> PublishedCli = new(() =>
    {
        try
        {
            return RepositoryFile.Find("artifacts/cli/experiments.dll");
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"{e.Message}: run the bench as `./experiments bench orchestration`, which publishes the CLI there", e);
        }
    });

    /// <summary>
    /// How a user runs a command: through the launcher, `./experiments`, which checks the packages and the build
    /// before it runs the command (`sweep status` as the native program in artifacts/status, else the CLI).
    /// </summary>
    public static ProcessStartInfo LauncherStartInfo(string home, IEnumerable<string> arguments)
    {
        var start = StartInfo(home, arguments);
        // The launcher beside Experiments.sln: the build output has an `experiments` of its own, the CLI's executable.
        start.FileName = Path.Combine(Path.GetDirectoryName(RepositoryFile.Find("Experiments.sln"))!, "experiments");
        start.ArgumentList.RemoveAt(0); // the CLI's assembly, which `dotnet` would run
        return start;
    }

    /// <summary>Runs the CLI's publish itself, or, <paramref name="throughLauncher"/>, the command as a user types it.</summary>
    public static async Task<CliRun> RunAsync(string home, string[] arguments, bool throughLauncher = false)
    {
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(throughLauncher ? LauncherStartInfo(home, arguments) : StartInfo(home, arguments))!;
        var error = process.StandardError.ReadToEndAsync();
        var first = await process.StandardOutput.ReadLineAsync() ?? "";
        var firstSeconds = clock.Elapsed.TotalSeconds;
        var rest = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return new CliRun(process.ExitCode, first + "\n" + rest + await error, first.Trim(), firstSeconds, clock.Elapsed.TotalSeconds);
    }
}
