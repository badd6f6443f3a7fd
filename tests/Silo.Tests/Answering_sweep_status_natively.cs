using System.Diagnostics;
using System.Text.RegularExpressions;
using Experiments.Testing;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// `sweep status` as the launcher runs it: first the Native AOT program (src/Status.Native, published by the launcher's
/// build into artifacts/status), which must print exactly what the CLI prints, and must hand everything else over to
/// the CLI (exit 10) without printing a thing, so the CLI's help and errors are the only ones. Run after the launcher's
/// build (`./experiments test`), which publishes the program.
/// </summary>
public sealed partial class Answering_sweep_status_natively : IClassFixture<Answering_sweep_status_natively.SweepsInEveryState>
{
    private readonly SweepsInEveryState _sweeps;

    public Answering_sweep_status_natively(SweepsInEveryState sweeps) => _sweeps = sweeps;

    /// <summary>
    /// A trained sweep (two completed trials) and a queued one whose trials are put, as a cluster would leave them, in
    /// every state the table words differently: running with a heartbeat and a best value, failed after a resume with
    /// an attempt a worker's fault ended, cancelled; and a live worker that quarantined itself.
    /// </summary>
    public sealed class SweepsInEveryState : IDisposable
    {
        public CliProcess Cli { get; } = new();

        public SweepsInEveryState()
        {
            var run = Cli.Run("sweep", "run", Cli.WriteFile("trained.yaml",
                """
                name: trained
                dataset: synthetic
                epochs: 1
                batch_size: 32
                grid:
                  arch: [ffnn-100]
                  lr: [1e-3, 1e-2]
                """), "--slots", "1", "--threads", "1");
            Assert.True(run.ExitCode == 0, run.All);
            var submit = Cli.Run("sweep", "submit", Cli.WriteFile("queued.yaml",
                """
                name: queued
                dataset: synthetic
                epochs: 2
                metric: val_loss
                grid:
                  arch: [ffnn-100]
                  lr: [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
                """));
            Assert.True(submit.ExitCode == 0, submit.All);
            Cli.ExecuteSql(
                """
                UPDATE trials SET status = 'running', attempts = 1, worker = 'node-a/41', heartbeat_at = now() - interval '75 seconds',
                                  epochs_trained = 1, best_metric_value = 0.4375, best_metric_epoch = 1
                WHERE sweep_id = 2 AND trial_index = 1;
                UPDATE trials SET status = 'failed', attempts = 4, attempts_before_resume = 2, environment_faults = 1,
                                  error = 'diverged: the loss is NaN at epoch 1', finished_at = now()
                WHERE sweep_id = 2 AND trial_index = 3;
                UPDATE trials SET status = 'cancelled', finished_at = now() WHERE sweep_id = 2 AND trial_index = 4;
                INSERT INTO workers (name, host, slots, last_heartbeat, quarantined)
                VALUES ('node-b/7', 'node-b', 1, now() + interval '1 hour', 'the dataset cache is missing: /data/synthetic');
                """);
        }

        public void Dispose() => Cli.Dispose();
    }

    [Theory]
    [InlineData("1")]
    [InlineData("1", "--json")]
    [InlineData("2")]
    [InlineData("2", "--json")]
    [InlineData("2", "--all")]
    [InlineData("2", "--limit", "2")]
    [InlineData("--limit", "3", "2", "--all")]
    public void It_prints_what_the_cli_prints(params string[] arguments)
    {
        var cli = _sweeps.Cli.Run(["sweep", "status", .. arguments]);
        var native = RunNative(arguments);

        Assert.True(cli.ExitCode == 0, cli.All);
        Assert.True(native.ExitCode == 0, native.All);
        Assert.Equal("", native.Error);
        // The two ran a moment apart: a heartbeat's age may have gained a second.
        Assert.Equal(WithoutAges(cli.Output), WithoutAges(native.Output));
    }

    [Fact]
    public void Its_table_words_every_state_as_the_cli_does()
    {
        var output = RunNative(["2"]).Output;

        Assert.Matches(@"running\s*│ 1/3\s*│ node-a/41\s*│ \d+ min \d+ s ago", output);
        Assert.Contains("4 (1/3 since resume, 1 ended by a worker's fault)", output, StringComparison.Ordinal);
        Assert.Contains("diverged: the loss is NaN at epoch 1", output, StringComparison.Ordinal);
        Assert.Contains("node-b/7 on node-b: the dataset cache is missing: /data/synthetic", output, StringComparison.Ordinal);
        Assert.Contains("sweep 2 queued: running, 0/6 completed", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("2", "--watch")]
    [InlineData("two")]
    [InlineData("99")]
    [InlineData("2", "--limit", "0")]
    [InlineData("2", "--limit")]
    [InlineData("2", "--bogus")]
    [InlineData("2", "3")]
    [InlineData("2", "--json", "--json")]
    [InlineData("2", "--db=Host=127.0.0.1")]
    public void It_hands_anything_else_to_the_cli_having_printed_nothing(params string[] arguments)
    {
        var native = RunNative(arguments);

        Assert.Equal((HandsOver, "", ""), (native.ExitCode, native.Output, native.Error));
    }

    [Fact]
    public void It_hands_over_a_database_that_does_not_answer_at_once()
    {
        // A port nobody listens on: the CLI waits for it and reports it; the native program tries once and hands over.
        var clock = Stopwatch.StartNew();
        var native = RunNative(["2", "--db", "Host=127.0.0.1;Port=1;Username=nobody;Database=none;Timeout=2"]);

        Assert.Equal((HandsOver, ""), (native.ExitCode, native.Output));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"it took {clock.Elapsed} to hand over");
    }

    [Fact]
    public void The_launcher_prints_the_native_answer_and_hands_the_rest_to_the_cli()
    {
        var answered = RunLauncher("sweep", "status", "2", "--json");
        var unknown = RunLauncher("sweep", "status", "99");
        var help = RunLauncher("sweep", "status", "--help");

        Assert.Equal((0, _sweeps.Cli.Run("sweep", "status", "2", "--json").Output), (answered.ExitCode, answered.Output));
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("there is no sweep 99", unknown.Error, StringComparison.Ordinal);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--limit", help.Output, StringComparison.Ordinal);
    }

    /// <summary>The exit code by which the native program hands a command over (the launcher's SWEEP_STATUS_HANDS_OVER).</summary>
    private static int HandsOver => int.Parse(LauncherSetting("SWEEP_STATUS_HANDS_OVER"), System.Globalization.CultureInfo.InvariantCulture);

    private static string NativeProgram
    {
        get
        {
            var path = LauncherSetting("SWEEP_STATUS").Replace("$ROOT", Repository.Root(), StringComparison.Ordinal);
            Assert.True(File.Exists(path), $"{path} is missing: run the tests through ./experiments test, which publishes it");
            return path;
        }
    }

    private CliRun RunNative(IEnumerable<string> arguments)
    {
        var start = CliProcess.StartInfo(_sweeps.Cli.Home, arguments);
        start.FileName = NativeProgram;
        start.ArgumentList.RemoveAt(0); // the CLI's assembly, which `dotnet` would run
        return Run(start);
    }

    /// <summary>The launcher's run_cli, as the launcher defines it, with its own settings (the build and package checks left out).</summary>
    private CliRun RunLauncher(params string[] arguments)
    {
        var launcher = Path.Combine(Repository.Root(), "experiments");
        var start = CliProcess.StartInfo(_sweeps.Cli.Home, []);
        start.FileName = "bash";
        start.ArgumentList.Clear();
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(
            $$"""
            set -euo pipefail
            ROOT='{{Repository.Root()}}'
            source <(grep -E '^(CLI_DLL|SWEEP_STATUS|SWEEP_STATUS_HANDS_OVER)=' '{{launcher}}')
            source <(sed -n '/^run_cli() {/,/^}/p' '{{launcher}}')
            run_cli "$@"
            """);
        start.ArgumentList.Add("launcher");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        return Run(start);
    }

    private static CliRun Run(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} did not finish in 2 minutes");
        }
        return new CliRun(process.ExitCode, output.Result, error.Result);
    }

    private static string LauncherSetting(string name)
    {
        var line = File.ReadLines(Path.Combine(Repository.Root(), "experiments")).Single(l => l.StartsWith(name + "=", StringComparison.Ordinal));
        return line[(name.Length + 1)..].Trim('"');
    }

    private static string WithoutAges(string output) => Age().Replace(output, "(age)");

    [GeneratedRegex(@"(\d+ min )?\d+ s ago")]
    private static partial Regex Age();
}
