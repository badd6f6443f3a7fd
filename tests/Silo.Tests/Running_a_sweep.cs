using System.Text.Json;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>`experiments sweep run|list|status|cancel|resume` end to end: the real CLI, in-process bus, private PostgreSQL.</summary>
public class Running_a_sweep : IDisposable
{
    private readonly CliProcess _cli = new();

    private const string EightTrials = """
        name: eight
        dataset: synthetic
        epochs: 2
        batch_size: 32
        grid:
          arch: [ffnn-100]
          lr: [1e-3, 3e-3]
          weight_decay: [0, 1e-4]
        repeats: 2
        """;

    [Fact]
    public void An_in_memory_sweep_of_eight_trials_runs_every_trial_to_completion_and_records_every_epoch_once()
    {
        var run = _cli.Run("sweep", "run", _cli.WriteFile("eight.yaml", EightTrials), "--slots", "2", "--threads", "1");
        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("Sweep 1 completed: 8 completed", run.Output);
        Assert.Contains("`experiments dashboard`, then http://127.0.0.1:5170/sweeps/1 ", run.Output.ReplaceLineEndings(" "));

        var status = Json(_cli.Run("sweep", "status", "1", "--json"));
        Assert.Equal("completed", status.GetProperty("sweep").GetProperty("status").GetString());
        var trials = status.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(8, trials.Count);
        Assert.All(trials, t =>
        {
            Assert.Equal("completed", t.GetProperty("status").GetString());
            Assert.Equal(1, t.GetProperty("attempts").GetInt32());
            Assert.Equal(2, t.GetProperty("epochsRecorded").GetInt32());
            Assert.False(string.IsNullOrEmpty(t.GetProperty("worker").GetString()));
            Assert.NotEqual(JsonValueKind.Null, t.GetProperty("heartbeatAt").ValueKind);
        });
        // The grid's lr × weight decay × repeat reached the stored hyperparameters, one trial each.
        var rows = Json(_cli.Run("results", "sql",
            "select hyperparameters->>'lr' as lr, hyperparameters->>'weight_decay' as wd, seed, " +
            "(select string_agg(epoch::text, ',' order by epoch) from epochs e where e.trial_id = t.id) as epochs " +
            "from trials t where sweep_id = 1", "--json"));
        Assert.Equal(8, rows.EnumerateArray().Select(r => (r.GetProperty("lr").GetString(), r.GetProperty("wd").GetString(), r.GetProperty("seed").GetString())).Distinct().Count());
        Assert.All(rows.EnumerateArray(), r => Assert.Equal("0,1,2", r.GetProperty("epochs").GetString()));

        var list = Json(_cli.Run("sweep", "list", "--json"));
        Assert.Equal(8, list[0].GetProperty("trials").GetProperty("completed").GetInt32());

        // A sweep trial records the input it was planned for, so its stored epochs can be rebuilt and looked into.
        var saliency = _cli.Run("viz", "saliency", "--trial", "3", "--image", "0");
        Assert.True(saliency.ExitCode == 0, saliency.All);
        Assert.True(File.Exists(saliency.Output.Trim().Split('\n')[^1].Trim()), saliency.All);
    }

    [Fact]
    public void A_malformed_sweep_file_is_rejected_with_its_key_path_and_nothing_is_written()
    {
        var bad = EightTrials.Replace("lr: [1e-3, 3e-3]", "lr: [1e-3, -3e-3]", StringComparison.Ordinal);
        var run = _cli.Run("sweep", "run", _cli.WriteFile("bad.yaml", bad));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("grid.lr[1]", run.All);

        var sweeps = Json(_cli.Run("sweep", "list", "--json"));
        Assert.Equal(0, sweeps.GetArrayLength());
        var trials = Json(_cli.Run("results", "sql", "select count(*) as n from trials", "--json"));
        Assert.Equal("0", trials[0].GetProperty("n").GetString());
    }

    [Fact]
    public void Resume_re_queues_only_failed_trials_which_carry_on_from_their_last_epoch()
    {
        var file = _cli.WriteFile("four.yaml", EightTrials.Replace("repeats: 2", "repeats: 1", StringComparison.Ordinal));
        var run = _cli.Run("sweep", "run", file, "--slots", "1", "--threads", "1");
        Assert.True(run.ExitCode == 0, run.All);
        var cancel = _cli.Run("sweep", "cancel", "1");
        Assert.Equal(2, cancel.ExitCode);
        Assert.Contains("already completed", cancel.All);

        // Make two trials look like they crashed after epoch 1: resume must re-queue exactly those and keep the others.
        _cli.ExecuteSql("update trials set status = 'failed', error = 'test: simulated crash' where id in (1, 2); " +
                        "delete from epochs where trial_id in (1, 2) and epoch = 2");
        var before = EpochTimes();
        var resume = _cli.Run("sweep", "resume", "1", "--slots", "1", "--threads", "1");
        Assert.True(resume.ExitCode == 0, resume.All);
        Assert.Contains("2 trial(s) re-queued", resume.All);

        var final = Json(_cli.Run("sweep", "status", "1", "--json"));
        Assert.Equal("completed", final.GetProperty("sweep").GetProperty("status").GetString());
        var trials = final.GetProperty("trials").EnumerateArray().ToList();
        Assert.All(trials, t => Assert.Equal("completed", t.GetProperty("status").GetString()));
        Assert.All(trials, t => Assert.Equal(2, t.GetProperty("epochsRecorded").GetInt32()));
        // Every epoch that existed before the resume is untouched (same row, same time): only epoch 2 of trials 1 and 2 is new.
        var after = EpochTimes();
        Assert.All(before, row => Assert.Equal(row.Value, after[row.Key]));
        Assert.Equal([(1L, 2), (2L, 2)], after.Keys.Except(before.Keys).Order());
    }

    [Fact]
    public void Status_lists_the_running_and_failed_trials_of_a_big_sweep_first_and_all_of_them_only_when_asked()
    {
        // 40 queued trials, nothing to run them: two made running and failed by hand, as a cluster would leave them.
        var file = _cli.WriteFile("forty.yaml", EightTrials
            .Replace("lr: [1e-3, 3e-3]", "lr: [1e-4, 2e-4, 3e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2]", StringComparison.Ordinal)
            .Replace("weight_decay: [0, 1e-4]", "weight_decay: [0, 1e-5, 1e-4, 1e-3]", StringComparison.Ordinal)
            .Replace("repeats: 2", "repeats: 1", StringComparison.Ordinal));
        var submit = _cli.Run("sweep", "submit", file);
        Assert.True(submit.ExitCode == 0, submit.All);
        _cli.ExecuteSql("update trials set status = 'running', worker = 'node-x/1', heartbeat_at = now() where id = 37; " +
                        "update trials set status = 'failed', error = 'test: simulated crash' where id = 38");

        var status = _cli.Run("sweep", "status", "1", "--limit", "5");
        Assert.True(status.ExitCode == 0, status.All);
        Assert.Equal([37L, 38, 1, 2, 3], TrialIdsListed(status));
        Assert.Contains("5 of 40 trials listed, running and failed ones first", status.Output);

        var all = _cli.Run("sweep", "status", "1", "--all");
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), TrialIdsListed(all));
        Assert.DoesNotContain("trials listed", all.Output);
        Assert.Equal(40, Json(_cli.Run("sweep", "status", "1", "--json")).GetProperty("trials").GetArrayLength());

        var zero = _cli.Run("sweep", "status", "1", "--limit", "0");
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--limit must be at least 1, got 0", zero.All);
        var word = _cli.Run("sweep", "status", "1", "--limit", "abc");
        Assert.Equal(2, word.ExitCode);
        Assert.Contains("--limit must be a whole number, got 'abc'", word.All);
        Assert.DoesNotContain("unexpected failure", word.All);
    }

    /// <summary>The trial ids in the first column of <c>sweep status</c>'s table, in the order listed.</summary>
    private static List<long> TrialIdsListed(CliRun status) =>
        status.Lines.Where(l => l.StartsWith('│'))
            .Select(l => l.Trim('│').Split('│')[0].Trim())
            .Where(cell => cell.Length > 0 && cell.All(char.IsAsciiDigit))
            .Select(cell => long.Parse(cell, System.Globalization.CultureInfo.InvariantCulture)).ToList();

    private Dictionary<(long Trial, int Epoch), string> EpochTimes() =>
        Json(_cli.Run("results", "sql", "select trial_id, epoch, recorded_at::text as at from epochs", "--json")).EnumerateArray()
            .ToDictionary(r => (long.Parse(r.GetProperty("trial_id").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
                                int.Parse(r.GetProperty("epoch").GetString()!, System.Globalization.CultureInfo.InvariantCulture)),
                          r => r.GetProperty("at").GetString()!);

    [Fact]
    public void Asha_stops_the_trial_that_learns_nothing_at_its_first_rung_and_keeps_its_epochs()
    {
        // One slot, so trials run in index order: lr 1e-3 first (it learns the synthetic classes within an epoch), then
        // lr 1e-7 (it stays near chance). At rung 1 the second trial's value is in the bottom half of {trial 1, trial 2}.
        var file = _cli.WriteFile("asha.yaml", """
            name: asha
            dataset: synthetic
            epochs: 3
            batch_size: 32
            grid:
              arch: [ffnn-100]
              lr: [1e-3, 1e-7]
            early_stopping: {type: asha, grace_epochs: 1, reduction_factor: 2, max_epochs: 3}
            """);
        var run = _cli.Run("sweep", "run", file, "--slots", "1", "--threads", "1");
        Assert.True(run.ExitCode == 0, run.All);

        var trials = Json(_cli.Run("sweep", "status", "1", "--json")).GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(("completed", 3), (trials[0].GetProperty("status").GetString(), trials[0].GetProperty("epochsRecorded").GetInt32()));
        Assert.Equal(("stopped_early", 1), (trials[1].GetProperty("status").GetString(), trials[1].GetProperty("epochsRecorded").GetInt32()));
        Assert.Contains("rung", trials[1].GetProperty("error").GetString());
    }

    [Fact]
    public void A_sweep_asking_for_gpus_on_a_cpu_only_machine_is_reported_unschedulable_instead_of_waiting_forever()
    {
        var file = _cli.WriteFile("gpu.yaml", EightTrials.Replace("repeats: 2", "repeats: 1\nresources: {gpus_per_trial: 1}", StringComparison.Ordinal));
        var run = _cli.Run("sweep", "run", file);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("unschedulable", run.All);
        var status = Json(_cli.Run("sweep", "status", "1", "--json"));
        Assert.Equal("completed", status.GetProperty("sweep").GetProperty("status").GetString());
        Assert.All(status.GetProperty("trials").EnumerateArray(), t =>
        {
            Assert.Equal("failed", t.GetProperty("status").GetString());
            Assert.Equal(0, t.GetProperty("attempts").GetInt32());
            Assert.Contains("has a CUDA device", t.GetProperty("error").GetString());
        });
    }

    [Fact]
    public void A_sweep_cancelled_from_another_terminal_ends_its_running_trial_as_cancelled_and_the_summary_counts_none_running()
    {
        var file = _cli.WriteFile("cancel.yaml", """
            name: cancel-me
            dataset: synthetic
            epochs: 3
            batch_size: 32
            max_concurrent: 1
            grid:
              arch: [lenet-matconvnet]
              lr: [1e-3, 2e-3, 3e-3]
            """);
        using var sweep = StartCli("sweep", "run", file, "--slots", "1", "--threads", "1");
        var database = DatabaseUrl();
        // The second trial has trained its first epoch and is training its second.
        WaitUntil(database, "select count(*) from epochs e join trials t on t.id = e.trial_id where t.trial_index = 1 and e.epoch >= 1", TimeSpan.FromMinutes(3));
        var cancel = _cli.Run("sweep", "cancel", "1");
        Assert.True(cancel.ExitCode == 0, cancel.All);
        var run = sweep.WaitForExit(TimeSpan.FromMinutes(2));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("Sweep 1 cancelled: 1 completed, 2 cancelled.", run.Output);
        Assert.DoesNotContain("running", run.Output.Split('\n').Single(l => l.StartsWith("Sweep 1 cancelled", StringComparison.Ordinal)));
        var trials = Json(_cli.Run("sweep", "status", "1", "--json")).GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(["completed", "cancelled", "cancelled"], trials.Select(t => t.GetProperty("status").GetString()));
        Assert.StartsWith("cancelled by the user", trials[1].GetProperty("error").GetString());
        Assert.InRange(trials[1].GetProperty("epochsRecorded").GetInt32(), 1, 2); // the epochs it trained are kept
        var list = Json(_cli.Run("sweep", "list", "--json"))[0].GetProperty("trials");
        Assert.False(list.TryGetProperty("failed", out _), list.ToString());
        Assert.Equal(2, list.GetProperty("cancelled").GetInt32());
    }

    [Fact]
    public async Task A_sweep_waits_out_a_ten_second_database_outage_and_completes_with_every_epoch_recorded_once()
    {
        var file = _cli.WriteFile("outage.yaml", """
            name: outage
            dataset: synthetic
            epochs: 3
            batch_size: 32
            grid:
              arch: [lenet-matconvnet]
              lr: [1e-3, 2e-3]
            """);
        using var sweep = StartCli("sweep", "run", file, "--slots", "2", "--threads", "1");
        var database = DatabaseUrl();
        WaitUntil(database, "select count(*) from epochs where epoch >= 1", TimeSpan.FromMinutes(3));

        var postgres = new Experiments.Store.LocalPostgres(_cli.Home);
        await postgres.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(10));
        await postgres.EnsureStartedAsync();
        var run = sweep.WaitForExit(TimeSpan.FromMinutes(3));

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("Sweep 1 completed: 2 completed.", run.Output);
        Assert.True(Occurrences(run.Error, "The results database is unreachable") == 1, run.Error);
        Assert.True(Occurrences(run.Error, "The results database is back after") == 1, run.Error);
        var longest = run.All.Split('\n').MaxBy(line => line.Length)!;
        Assert.True(longest.Length < 400, $"a line of {longest.Length} characters: {longest}");
        // No restart: each trial ran in one attempt, and recorded epochs 0..3 exactly once each.
        var rows = Json(_cli.Run("results", "sql",
            "select t.attempts, (select string_agg(epoch::text, ',' order by epoch) from epochs e where e.trial_id = t.id) as epochs " +
            "from trials t order by t.id", "--json"));
        Assert.All(rows.EnumerateArray(), r => Assert.Equal(("1", "0,1,2,3"), (r.GetProperty("attempts").GetString(), r.GetProperty("epochs").GetString())));
    }

    [Fact]
    public void Resume_says_when_trials_that_still_hold_a_lease_are_re_queued()
    {
        var file = _cli.WriteFile("four.yaml", EightTrials.Replace("repeats: 2", "repeats: 1", StringComparison.Ordinal));
        Assert.Equal(0, _cli.Run("sweep", "run", file, "--slots", "1", "--threads", "1").ExitCode);
        // Trial 1 looks like it is still running on a worker whose lease has 3 s to go; trial 2 failed.
        _cli.ExecuteSql("update trials set status = 'running', worker = 'elsewhere', lease_expires_at = now() + interval '3 seconds' where id = 1; " +
                        "update trials set status = 'failed', error = 'test: simulated crash' where id = 2; " +
                        "delete from epochs where trial_id in (1, 2) and epoch = 2; update sweeps set status = 'completed'");

        var resume = _cli.Run("sweep", "resume", "1", "--slots", "1", "--threads", "1");

        Assert.True(resume.ExitCode == 0, resume.All);
        Assert.Contains("1 trial(s) re-queued", resume.All);
        Assert.Matches(@"1 trial\(s\) still hold a worker's lease until \d\d:\d\d:\d\d: .*re-queued when the lease runs out", resume.All);
        var trials = Json(_cli.Run("sweep", "status", "1", "--json")).GetProperty("trials").EnumerateArray().ToList();
        Assert.All(trials, t => Assert.Equal(("completed", 2), (t.GetProperty("status").GetString(), t.GetProperty("epochsRecorded").GetInt32())));
    }

    [Fact]
    public void A_silo_refuses_a_heartbeat_of_zero_seconds_because_it_must_beat_not_because_of_the_lease()
    {
        var run = _cli.Run("silo", "--heartbeat", "0");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--heartbeat must be a number of seconds above 0, got 0", run.All);
        Assert.DoesNotContain("--lease", run.All);
        Assert.DoesNotContain("   at ", run.All);
    }

    [Theory]
    [InlineData("--missed-probes", "0", "--missed-probes must be at least 1, got 0")]
    [InlineData("--probe-timeout", "0", "--probe-timeout must be a number of seconds above 0, got 0")]
    [InlineData("--address", "head.example", "--address must be an IP address such as 10.0.0.2, got 'head.example'")]
    [InlineData("--port", "70000", "--port must be a TCP port from 1 to 65535, or 0 for a free one, got 70000")]
    public void A_silo_refuses_failure_detection_and_endpoint_settings_it_cannot_run_with_naming_the_option(string option, string value, string message)
    {
        var run = _cli.Run("silo", "--role", "worker", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.All);
    }

    [Fact]
    public void The_removed_bus_option_is_refused_in_one_line_saying_the_broker_is_gone()
    {
        foreach (var command in new[] { new[] { "silo", "--role", "worker" }, ["sweep", "submit", "examples/demo.yaml"], ["sweep", "resume", "1"] })
        {
            var run = _cli.Run([.. command, "--bus", "amqp://guest:guest@127.0.0.1:5672/"]);

            Assert.Equal(2, run.ExitCode);
            Assert.Contains("--bus is gone: the cluster has no message broker any more", run.Error, StringComparison.Ordinal);
            Assert.Single(run.Error.Trim().Split('\n'));
            Assert.Equal("", run.Output);
        }
    }

    private static int Occurrences(string text, string fragment) => text.Split(fragment).Length - 1;

    private RunningCli StartCli(params string[] arguments) => new(System.Diagnostics.Process.Start(CliProcess.StartInfo(_cli.Home, arguments))!);

    /// <summary>The sweep's database, once the CLI under test has created it (`db url` waits on the same lock).</summary>
    private string DatabaseUrl()
    {
        var url = _cli.Run("db", "url");
        Assert.True(url.ExitCode == 0, url.All);
        return Experiments.Store.ConnectionStrings.ToNpgsql(url.Output.Trim());
    }

    private static void WaitUntil(string database, string countSql, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using (var connection = new Npgsql.NpgsqlConnection(database))
            {
                connection.Open();
                using var command = new Npgsql.NpgsqlCommand(countSql, connection);
                if (Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0) return;
            }
            if (clock.Elapsed > timeout) throw new TimeoutException("waited " + timeout + " for: " + countSql);
            Thread.Sleep(200);
        }
    }

    /// <summary>A CLI process started in the background, its output collected as it runs.</summary>
    private sealed class RunningCli(System.Diagnostics.Process process) : IDisposable
    {
        private readonly Task<string> _output = process.StandardOutput.ReadToEndAsync();
        private readonly Task<string> _error = process.StandardError.ReadToEndAsync();

        public CliRun WaitForExit(TimeSpan timeout)
        {
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"the CLI did not finish in {timeout}: {_error.Result}");
            }
            return new CliRun(process.ExitCode, _output.Result, _error.Result);
        }

        public void Dispose()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
        }
    }

    private static JsonElement Json(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.All);
        return JsonDocument.Parse(run.Output).RootElement.Clone();
    }

    public void Dispose() => _cli.Dispose();
}
