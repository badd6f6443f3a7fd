using System.Diagnostics;
using System.Globalization;
using Experiments.Store;
using Npgsql;

namespace Experiments.Bench;

/// <summary>What a kill -9 of a worker cost: from the kill to its trial running again on another worker, as PostgreSQL shows it.</summary>
internal sealed record Recovery(long TrialId, int EpochsAtKill, double Seconds, string TakenBackBecause);

/// <summary>The scale figures: a large sweep submitted through the CLI, and `sweep status` on it.</summary>
/// <param name="StatusWallSeconds">`./experiments sweep status`, as a user runs it (the launcher, then the native program).</param>
/// <param name="StatusCliWallSeconds">The same command run by the CLI itself, which the native program saves a user from waiting for.</param>
internal sealed record ScaleResult(int Trials, double SubmitToIdSeconds, double SubmitWallSeconds, double StoreSeconds, IReadOnlyList<double> StatusWallSeconds,
    IReadOnlyList<double> StatusCliWallSeconds, IReadOnlyList<double> StatusQuerySeconds);

/// <summary>The sweep measurements that need `experiments silo` processes: overhead on a loopback cluster, recovery from kill -9.</summary>
internal static class ClusterRuns
{
    /// <summary>
    /// The sweep on a 3-silo loopback cluster (a coordinator and two workers of slots/2 slots each). The silos are
    /// started, and warmed by a two-trial sweep, before the clock; the wall time is the sweep's own, from its row's
    /// created_at (written by `sweep submit`) to its finished_at (written by the coordinator that closes it), so
    /// neither the CLI's start-up nor the bench's polling is in it.
    /// </summary>
    public static async Task<RunResult> ThroughClusterAsync(string label, ResultsStore store, string connectionString, BenchSweep sweep, BenchSweep warmup,
        int slots, string home, CancellationToken ct)
    {
        var startup = Stopwatch.StartNew();
        await using var cluster = await LoopbackCluster.StartAsync(store, connectionString, home, workers: 2, slotsPerWorker: Math.Max(1, slots / 2));
        await RunToEndAsync(store, cluster, warmup, home, ct);
        var startupSeconds = startup.Elapsed.TotalSeconds;
        var sweepId = await RunToEndAsync(store, cluster, sweep, home, ct);
        var (created, finished) = await SweepTimesAsync(connectionString, sweepId, ct);
        var trials = await SweepRuns.TimesAsync(connectionString, "t.sweep_id = @id", new NpgsqlParameter("id", sweepId), ct);
        return new RunResult(label, (finished - created).TotalSeconds, startupSeconds, trials);
    }

    private static async Task<long> RunToEndAsync(ResultsStore store, LoopbackCluster cluster, BenchSweep sweep, string home, CancellationToken ct)
    {
        var file = Path.Combine(home, $"{sweep.Name}-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, sweep.Text, ct);
        var sweepId = await cluster.SubmitAsync(file, "--force");
        while ((await store.GetSweepAsync(sweepId, ct))?.Status == SweepStatus.Running) await Task.Delay(100, ct);
        return sweepId;
    }

    private static async Task<(DateTimeOffset Created, DateTimeOffset Finished)> SweepTimesAsync(string connectionString, long sweepId, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SELECT created_at, finished_at FROM sweeps WHERE id = @id", connection);
        command.Parameters.AddWithValue("id", sweepId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetFieldValue<DateTimeOffset>(0), reader.GetFieldValue<DateTimeOffset>(1));
    }

    /// <summary>
    /// <paramref name="kills"/> times: a one-trial sweep of a slow model starts on one of two one-slot workers; once
    /// it has recorded a trained epoch, that worker is killed with -9, and the clock runs until PostgreSQL shows the
    /// trial running again (attempt 2) on the other worker. The sweep is then cancelled and a fresh worker started,
    /// so each kill starts from the same two idle workers. Silos run with the documented defaults (docs/cluster.md).
    /// </summary>
    public static async Task<IReadOnlyList<Recovery>> RecoveryAsync(ResultsStore store, string connectionString, int kills, string home, CancellationToken ct)
    {
        await using var cluster = await LoopbackCluster.StartAsync(store, connectionString, home, workers: 2, slotsPerWorker: 1);
        var recoveries = new List<Recovery>();
        for (var kill = 0; kill < kills; kill++)
        {
            var file = Path.Combine(home, $"recovery-{kill}.yaml");
            await File.WriteAllTextAsync(file, $$"""
                name: recovery-{{kill}}
                dataset: synthetic
                epochs: 20
                batch_size: 16
                arch:
                  name: slow
                  layers: [{type: conv2d, out: 16, kernel: 5}, relu, {type: maxpool, kernel: 2}, flatten, {type: linear, out: 10}]
                seed: {{kill}}
                max_attempts: 3
                """, ct);
            var sweepId = await cluster.SubmitAsync(file);
            SweepTrialRow trial;
            while ((trial = (await store.GetSweepTrialsAsync(sweepId, ct)).Single()) is not { Status: TrialStatus.Running, EpochsRecorded: >= 1 })
                await Task.Delay(50, ct);
            var victim = cluster.Workers.Single(w => w.WorkerName == trial.Worker);
            var clock = Stopwatch.StartNew();
            victim.KillHard();
            SweepTrialRow again;
            while ((again = (await store.GetSweepTrialsAsync(sweepId, ct)).Single()) is not { Status: TrialStatus.Running, Attempts: >= 2 } || again.Worker == victim.WorkerName)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"trial {trial.TrialId} did not train again within 2 minutes of the kill");
                await Task.Delay(50, ct);
            }
            var seconds = clock.Elapsed.TotalSeconds;
            recoveries.Add(new Recovery(trial.TrialId, trial.EpochsRecorded, seconds, again.Error ?? ""));
            Console.WriteLine($"  kill {kill + 1}: trial {trial.TrialId} (epoch {trial.EpochsRecorded} recorded) training again after {SweepRuns.Seconds(seconds)}: {again.Error}; " +
                              $"load average {MachineLoad.Average()}");
            await store.CancelSweepAsync(sweepId, ct);
            while ((await store.GetSweepTrialsAsync(sweepId, ct)).Any(t => t.Status == TrialStatus.Running)) await Task.Delay(100, ct);
            cluster.StartWorker(1);
            await cluster.WaitUntilReadyAsync(store, 2);
        }
        return recoveries;
    }

    /// <summary>
    /// A sweep of <paramref name="trials"/> trials submitted through the CLI to an empty database (no silo up, so
    /// nothing starts training): the time until it printed the id (validated, written, queued), then `sweep status`
    /// on it five times: as a user runs it (`./experiments`, the launcher's checks and the native program included),
    /// as the CLI alone runs it (a .NET process start included; its output must be the same), and as the store
    /// queries the command makes.
    /// </summary>
    public static async Task<ScaleResult> ScaleAsync(PrivateCluster server, int trials, string home, CancellationToken ct)
    {
        var database = "scale_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = new NpgsqlConnection(server.AdminConnectionStringFor("postgres")))
        {
            await admin.OpenAsync(ct);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync(ct);
        }
        var connectionString = new NpgsqlConnectionStringBuilder(server.AdminConnectionStringFor("postgres")) { Database = database }.ConnectionString;
        await using var store = await ResultsStore.OpenAsync(connectionString, ct);

        var sweep = BenchSweep.Create("scale", "ffnn-100", trials, epochs: 1, batchSize: 64, seed: 7);
        var file = Path.Combine(home, "scale.yaml");
        await File.WriteAllTextAsync(file, sweep.Text, ct);
        var submit = await CliRun.RunAsync(home, ["sweep", "submit", file, "--force", "--db", connectionString], throughLauncher: true);
        if (submit.ExitCode != 0) throw new InvalidOperationException($"sweep submit of {trials} trials failed: {submit.Output}");
        var sweepId = long.Parse(submit.FirstLine, CultureInfo.InvariantCulture);
        var stored = (await store.GetSweepAsync(sweepId, ct))!;
        if (stored.Count(TrialStatus.Queued) != trials) throw new InvalidOperationException($"sweep {sweepId} holds {stored.Count(TrialStatus.Queued)} queued trials, not {trials}");
        var storeSeconds = await SubmitInStoreSecondsAsync(store, sweep, ct);

        var walls = new List<double>();
        var cliWalls = new List<double>();
        var queries = new List<double>();
        string[] statusCommand = ["sweep", "status", sweepId.ToString(CultureInfo.InvariantCulture), "--db", connectionString];
        for (var i = 0; i < 5; i++)
        {
            var status = await CliRun.RunAsync(home, statusCommand, throughLauncher: true);
            if (status.ExitCode != 0) throw new InvalidOperationException($"sweep status failed: {status.Output}");
            walls.Add(status.WallSeconds);
            var cli = await CliRun.RunAsync(home, statusCommand);
            if (cli.ExitCode != 0 || cli.Output != status.Output)
                throw new InvalidOperationException($"the CLI's sweep status printed something else (exit {cli.ExitCode}):\n{cli.Output}\nthe launcher's:\n{status.Output}");
            cliWalls.Add(cli.WallSeconds);
            var clock = Stopwatch.StartNew();
            await store.GetSweepAsync(sweepId, ct);
            await store.GetSweepTrialsAsync(sweepId, ct);
            queries.Add(clock.Elapsed.TotalSeconds);
        }
        return new ScaleResult(trials, submit.FirstLineSeconds, submit.WallSeconds, storeSeconds, walls, cliWalls, queries);
    }

    /// <summary>The same sweep validated, expanded and written by the store in this process: the submit without the CLI's start-up.</summary>
    private static async Task<double> SubmitInStoreSecondsAsync(ResultsStore store, BenchSweep sweep, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var again = BenchSweep.Create(sweep.Name + "-in-store", "ffnn-100", sweep.Trials.Count, epochs: 1, batchSize: 64, seed: 8);
        var id = await Experiments.Coordinator.Orchestration.SweepSubmission.SubmitAsync(store, again.Spec, again.Text, again.Name + ".yaml", sweepSpan: null, ct);
        var seconds = clock.Elapsed.TotalSeconds;
        await store.CancelSweepAsync(id, ct);
        return seconds;
    }
}
