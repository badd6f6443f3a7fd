using System.Diagnostics;
using System.Globalization;
using System.Text;
using Experiments.Store;
using Npgsql;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests.Support;

/// <summary>
/// One test's cluster: its own database on the shared PostgreSQL (with its own membership table), and the
/// `experiments silo` processes it starts on loopback (all stopped at the end). Helpers submit sweeps through the CLI
/// and read the outcome from PostgreSQL.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly ClusterFixture _fixture;
    private readonly ITestOutputHelper _output;
    private readonly List<NodeProcess> _nodes = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private TestCluster(ClusterFixture fixture, ITestOutputHelper output, string database, ResultsStore store)
    {
        (_fixture, _output, Database, Store) = (fixture, output, database, store);
        Home = fixture.NewHome("cli");
    }

    public string Database { get; }
    public ResultsStore Store { get; }

    /// <summary>The EXPERIMENTS_HOME of the short CLI commands (submit, status, cancel, resume).</summary>
    public string Home { get; }

    public static async Task<TestCluster> CreateAsync(ClusterFixture fixture, ITestOutputHelper output)
    {
        var database = await fixture.NewDatabaseAsync();
        var store = await ResultsStore.OpenAsync(database);
        return new TestCluster(fixture, output, database, store);
    }

    /// <summary>Short beats and passes, and by default a short lease, so that a dead worker is noticed within seconds even by its lease.</summary>
    private static string[] Timing(int leaseSeconds) =>
        ["--lease", leaseSeconds.ToString(CultureInfo.InvariantCulture), "--heartbeat", "1", "--poll", "1"];

    public NodeProcess StartCoordinator(string name = "coordinator", int leaseSeconds = 4) =>
        StartNode(name, ["silo", "--role", "coordinator", "--db", Database, .. Timing(leaseSeconds)]);

    /// <summary>A worker with one single-threaded slot: it runs one trial at a time.</summary>
    public NodeProcess StartWorker(string name, int leaseSeconds = 4) =>
        StartNode(name, WorkerArguments(leaseSeconds));

    private string[] WorkerArguments(int leaseSeconds) =>
        ["silo", "--role", "worker", "--db", Database, "--slots", "1", "--threads", "1", .. Timing(leaseSeconds)];

    /// <summary>
    /// A worker as <see cref="StartWorker(string, int)"/>, in the EXPERIMENTS_HOME given (to put its datasets in, or take
    /// them away) and with extra environment variables.
    /// </summary>
    public NodeProcess StartWorker(string name, string home, IReadOnlyDictionary<string, string> environment, int leaseSeconds = 4)
    {
        var start = NodeProcess.StartInfo(home, WorkerArguments(leaseSeconds));
        foreach (var (variable, value) in environment) start.Environment[variable] = value;
        return StartNode(name, start);
    }

    private NodeProcess StartNode(string name, string[] arguments) => StartNode(name, NodeProcess.StartInfo(_fixture.NewHome(name), arguments));

    /// <summary>Any node this test starts, e.g. a command exactly as a document spells it; stopped with the others at the end.</summary>
    public NodeProcess StartNode(string name, ProcessStartInfo start)
    {
        var node = NodeProcess.Start(name, start);
        _nodes.Add(node);
        Log($"started {node.Name} (pid {node.Pid})");
        return node;
    }

    /// <summary>
    /// Waits until <paramref name="count"/> workers heartbeat into the database and every silo process this test
    /// started and has not killed is an active member of the cluster, so the first pass already sees all of them.
    /// </summary>
    public async Task WaitForWorkersAsync(int count)
    {
        await WaitUntilAsync($"{count} live workers", TimeSpan.FromSeconds(60), async () =>
            await ScalarAsync("SELECT count(*) FROM workers WHERE stopped_at IS NULL AND last_heartbeat > now() - interval '3 seconds'") >= count);
        var silos = _nodes.Count(n => !n.HasExited);
        await WaitUntilAsync($"{silos} active silos", TimeSpan.FromSeconds(60), async () =>
            await ScalarAsync("SELECT count(*) FROM cluster_silos WHERE status = 'active'") >= silos);
    }

    /// <summary>`experiments sweep submit` of the given YAML; returns the id it printed.</summary>
    public async Task<long> SubmitAsync(string yaml)
    {
        var file = Path.Combine(Home, $"sweep-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml);
        var run = await CliAsync("sweep", "submit", file, "--db", Database);
        Assert.True(run.ExitCode == 0, "sweep submit failed: " + run.All);
        var id = long.Parse(run.Output.Trim(), CultureInfo.InvariantCulture);
        Log($"submitted sweep {id}");
        return id;
    }

    public async Task<CliRun> CliAsync(params string[] arguments) => await NodeProcess.RunAsync(Home, arguments);

    public async Task WaitForSweepAsync(long sweepId, SweepStatus status, TimeSpan timeout) =>
        await WaitUntilAsync($"sweep {sweepId} {status}", timeout, async () => (await Store.GetSweepAsync(sweepId))?.Status == status);

    /// <summary>Polls <paramref name="condition"/> every 100 ms; on timeout fails with the nodes' output and the trials.</summary>
    public async Task WaitUntilAsync(string what, TimeSpan timeout, Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"Not reached within {timeout.TotalSeconds:0} s: {what}.\n{await DiagnosticsAsync()}");
            await Task.Delay(100);
        }
        Log($"reached: {what}");
    }

    public async Task<long> ScalarAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>The epoch numbers recorded for a trial, in order.</summary>
    public async Task<int[]> EpochNumbersAsync(long trialId) => [.. (await Store.GetEpochsAsync(trialId)).Select(e => e.Epoch)];

    /// <summary>
    /// Asserts that every trial of the sweep completed with epochs 0 (the untrained model) to <paramref name="epochs"/>
    /// recorded, each exactly once: none lost to a fault, none written twice by a retry. Returns the trials.
    /// </summary>
    public async Task<IReadOnlyList<SweepTrialRow>> AssertCompletedWithEveryEpochOnceAsync(long sweepId, int epochs)
    {
        var trials = await Store.GetSweepTrialsAsync(sweepId);
        foreach (var trial in trials)
        {
            Assert.Equal(TrialStatus.Completed, trial.Status);
            Assert.Equal(Enumerable.Range(0, epochs + 1), await EpochNumbersAsync(trial.TrialId)); // contiguous and unique
        }
        Assert.Equal(trials.Count * (epochs + 1L), await ScalarAsync(
            "SELECT count(*) FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = @id", ("id", sweepId)));
        return trials;
    }

    public void Log(string message) => _output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:0.0} s  {message}");

    public async Task<string> DiagnosticsAsync()
    {
        var text = new StringBuilder();
        try
        {
            await using var connection = new NpgsqlConnection(Database);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT id, status, attempts, worker, (SELECT count(*) FROM epochs e WHERE e.trial_id = t.id), error FROM trials t ORDER BY id", connection);
            await using var reader = await command.ExecuteReaderAsync();
            text.AppendLine("trials (id, status, attempts, worker, epoch rows, error):");
            while (await reader.ReadAsync())
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"  {reader.GetInt64(0)} {reader.GetString(1)} {reader.GetInt32(2)} {(reader.IsDBNull(3) ? "-" : reader.GetString(3))} {reader.GetInt64(4)} {(reader.IsDBNull(5) ? "" : reader.GetString(5))}");
        }
        catch (NpgsqlException e)
        {
            text.AppendLine("(could not read the trials: " + e.Message + ")");
        }
        foreach (var node in _nodes)
            text.AppendLine($"--- {node.Name} (pid {node.Pid}{(node.HasExited ? ", exited" : "")}) ---").AppendLine(Tail(node.Output, 40));
        return text.ToString();
    }

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask()));
        foreach (var node in _nodes) _output.WriteLine($"--- {node.Name} ---\n{Tail(node.Output, 25)}");
        await Store.DisposeAsync();
    }
}
