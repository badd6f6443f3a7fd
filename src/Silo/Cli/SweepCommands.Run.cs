using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Experiments.Cluster.Hosting;
using Experiments.Contracts;
using Experiments.Contracts.Cluster;
using Experiments.Coordinator;
using Experiments.Coordinator.Orchestration;
using Experiments.Datasets;
using Experiments.Silo.Hosting;
using Experiments.Silo.Rendering;
using Experiments.Status;
using Experiments.Store;
using Experiments.Worker.Node;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Experiments.Silo.Cli;

// sweep run | submit | list | status | cancel | resume: the sweep life cycle, with PostgreSQL as the record of it.
public static partial class SweepCommands
{
    private static void AddRunCommands(Command sweep)
    {
        sweep.Subcommands.Add(Run());
        sweep.Subcommands.Add(Submit());
        sweep.Subcommands.Add(List());
        sweep.Subcommands.Add(Status());
        sweep.Subcommands.Add(Cancel());
        sweep.Subcommands.Add(Resume());
    }

    /// <summary>
    /// The RabbitMQ broker's option, kept hidden so that a script or a habit that still passes it is told why it is
    /// refused instead of "unrecognized option" (<see cref="RejectBus"/>).
    /// </summary>
    internal static Option<string?> RemovedBusOption() => new("--bus") { Hidden = true };

    /// <summary>Refuses a given --bus as bad input: the cluster no longer has a broker.</summary>
    internal static void RejectBus(ParseResult parse, Option<string?> bus)
    {
        if (parse.GetResult(bus) is { Implicit: false })
            throw new ArgumentException("--bus is gone: the cluster has no message broker any more; its silos find each other, and commands find " +
                                        "them, through the PostgreSQL they share, so give only --db (docs/cluster.md)");
    }

    /// <summary>
    /// How long `sweep submit`, `cancel` and `resume --cluster` wait for a silo to take their prompt: connecting a client
    /// and one coordinator pass, which took over 5 s on a loaded 2-core machine. The sweep is recorded before, so a
    /// prompt that times out costs only the wait.
    /// </summary>
    private static readonly TimeSpan PromptTimeout = TimeSpan.FromSeconds(10);

    internal static Option<int> SlotsOption() => new("--slots")
    {
        Description = "Trials at once on this node (0 = one per CUDA device, else one per CPU core).", DefaultValueFactory = _ => 0,
    };

    internal static Option<int> ThreadsOption() => new("--threads")
    {
        Description = "libtorch threads per trial (0 = cores / slots).", DefaultValueFactory = _ => 0,
    };

    private static Command Run()
    {
        var (file, force, db, slots, threads) = (FileArgument(), ForceOption(), StoreAccess.DbOption(), SlotsOption(), ThreadsOption());
        var command = new Command("run",
            "Run a sweep on this machine: validate it, record it in PostgreSQL, and train its trials in this process\n" +
            "(coordinator and worker on an in-process Orleans silo), with progress bars and a leaderboard at the end.\n" +
            $"Ctrl+C stops it; `{ExperimentsCommand.Name} sweep resume <id>` carries on from the last recorded epochs.")
        { file, force, db, slots, threads };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            var (spec, text, path) = ReadSweep(parse.GetValue(file)!, parse.GetValue(force));
            DataCommands.FetchOnFirstUse(spec.Dataset, ct);
            await using var store = await StoreAccess.OpenForLongRunAsync(parse.GetValue(db), ct);
            using var sweepSpan = ExperimentsTelemetry.Source.StartActivity("sweep");
            // Driven by this process alone: a cluster sharing the database leaves its trials to this process's worker.
            var worker = new WorkerOptions { Slots = parse.GetValue(slots), ThreadsPerSlot = parse.GetValue(threads) }.InProcess();
            var sweepId = await SweepSubmission.SubmitAsync(store, spec, text, path, sweepSpan, worker.Driver, ct);
            return await RunInProcessAsync(store, sweepId, worker, ct);
        }));
        return command;
    }

    /// <summary>The `demo`, `run` and `resume` path: one process is coordinator and worker; returns when the sweep ends.</summary>
    internal static async Task<int> RunInProcessAsync(ResultsStore store, long sweepId, WorkerOptions worker, CancellationToken ct)
    {
        var sweep = await store.GetSweepAsync(sweepId, ct) ?? throw new TrialNotFoundException($"there is no sweep {sweepId}");
        var trials = await store.GetSweepTrialsAsync(sweepId, ct);
        var remaining = trials.Where(t => t.Status is TrialStatus.Queued or TrialStatus.Running).ToList();
        var slots = SlotPlan.For(worker);
        AnsiConsole.MarkupLine(Markup.Escape(
            $"Sweep {sweepId} ({sweep.Name}): {remaining.Count} of {trials.Count} trials to run on {sweep.Dataset}, ranked by {sweep.Metric}; " +
            $"{slots.Slots} slot(s) × {slots.ThreadsPerSlot} thread(s){(slots.Gpus > 0 ? $", {slots.Gpus} GPU(s)" : "")}."));
        var logLevel = AnsiConsole.Profile.Capabilities.Interactive ? LogLevel.None : LogLevel.Warning;
        try
        {
            sweep = await SweepProgress.WatchAsync(sweep.Name, remaining.Count, remaining.Sum(t => t.PlannedEpochs - t.EpochsRecorded), async progress =>
            {
                using var host = ExperimentsNode.Build(store, NodeSettings.InProcess(worker), progress, logLevel);
                await host.StartAsync(ct);
                try
                {
                    await ExperimentsNode.AnnounceAsync(host, sweepId, ct);
                    while ((await store.GetSweepAsync(sweepId, ct))?.Status == SweepStatus.Running) await Task.Delay(300, ct);
                    await LetRunningTrialsEndAsync(host, store, sweepId, ct);
                }
                finally
                {
                    await host.StopAsync(CancellationToken.None);
                }
                // Read after the last trial has ended, so the summary counts how each one ended.
                return await store.GetSweepAsync(sweepId, ct) ?? throw new TrialNotFoundException($"sweep {sweepId} was deleted while it ran");
            });
        }
        catch (OperationCanceledException)
        {
            CommandErrors.Error($"sweep {sweepId} interrupted; its recorded epochs are kept. Carry on with `{ExperimentsCommand.Name} sweep resume {sweepId}`.");
            return 130;
        }
        catch (StoreUnreachableException e)
        {
            CommandErrors.Error($"{e.Message}; sweep {sweepId}'s recorded epochs are kept. Once it is back, carry on with `{ExperimentsCommand.Name} sweep resume {sweepId}`.");
            return CommandErrors.Failure;
        }
        await PrintOutcomeAsync(store, sweep, ct);
        return sweep.Count(TrialStatus.Failed) > 0 ? CommandErrors.Failure : CommandErrors.Ok;
    }

    /// <summary>
    /// A sweep that stopped running with trials still in flight was cancelled by a user (from another terminal). Waking
    /// its coordinator grain stops them at once, through the worker grain, as cancelled (rather than at the worker's next
    /// heartbeat), and shutting the worker down only after they have ended keeps a user's cancel from being recorded as
    /// an interrupted (failed) attempt.
    /// </summary>
    private static async Task LetRunningTrialsEndAsync(IHost host, ResultsStore store, long sweepId, CancellationToken ct)
    {
        var executor = host.Services.GetRequiredService<TrialExecutor>();
        // Only this sweep's trials: the node also runs other sweeps left running in the database, and those are
        // interrupted (and resumable) as before.
        var ours = (await store.GetSweepTrialsAsync(sweepId, ct)).Where(t => t.Status == TrialStatus.Running).Select(t => t.TrialId).ToHashSet();
        if (!executor.RunningTrials.Any(ours.Contains)) return;
        await ExperimentsNode.AnnounceAsync(host, sweepId, ct);
        while (executor.RunningTrials.Any(ours.Contains)) await Task.Delay(100, ct);
    }

    private static async Task PrintOutcomeAsync(ResultsStore store, SweepRow sweep, CancellationToken ct)
    {
        var top = await store.TopAsync(sweep.Metric, sweep.Id, 10, ct);
        if (top.Count > 0) AnsiConsole.Write(ResultsCommands.TrialTable(top, sweep.Metric));
        var counts = string.Join(", ", sweep.TrialsByStatus.OrderBy(kv => kv.Key).Select(kv => $"{kv.Value} {kv.Key.ToText()}"));
        AnsiConsole.MarkupLine(Markup.Escape($"Sweep {sweep.Id} {sweep.Status.ToText()}: {counts}."));
        foreach (var failed in (await store.GetSweepTrialsAsync(sweep.Id, ct)).Where(t => t.Status == TrialStatus.Failed))
            CommandErrors.Error($"trial {failed.TrialId} ({failed.Label}) failed: {failed.Error}");
        AnsiConsole.MarkupLine(Markup.Escape(
            $"Results are in PostgreSQL: `{ExperimentsCommand.Name} sweep status {sweep.Id}`, `{ExperimentsCommand.Name} results top --sweep {sweep.Id}`, " +
            $"`{ExperimentsCommand.Name} results show <trial>`, or SQL with psql \"$({ExperimentsCommand.Name} db url --read-only)\"."));
        // Most of what the tool shows (curves, and every epoch's kernels, feature maps and Grad-CAM) is on the dashboard;
        // a user who has just run their first sweep learns of it here.
        AnsiConsole.MarkupLine(Markup.Escape(
            $"In the browser: `{ExperimentsCommand.Name} dashboard`, then http://127.0.0.1:{DashboardCommand.DefaultPort}/sweeps/{sweep.Id} " +
            "for its curves and a look inside each trial's network, epoch by epoch."));
    }

    private static Command Submit()
    {
        var (file, force, db, bus) = (FileArgument(), ForceOption(), StoreAccess.DbOption(), RemovedBusOption());
        var command = new Command("submit",
            "Hand a sweep to a cluster of `silo` processes: validate it, record it in the cluster's PostgreSQL (--db), print\n" +
            "its id, and wake a coordinator. With no silo up, the sweep waits in PostgreSQL and the first coordinator to start\n" +
            $"runs it. Follow it with `{ExperimentsCommand.Name} sweep status <id> --watch`.") { file, force, db, bus };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            RejectBus(parse, bus);
            var (spec, text, path) = ReadSweep(parse.GetValue(file)!, parse.GetValue(force));
            await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
            using var sweepSpan = ExperimentsTelemetry.Source.StartActivity("sweep");
            var sweepId = await SweepSubmission.SubmitAsync(store, spec, text, path, sweepSpan, ct);
            // The id first: the sweep is recorded, whatever becomes of the prompt below, so nobody submits it twice.
            Console.WriteLine(sweepId.ToString(CultureInfo.InvariantCulture));
            var notWoken = await WakeCoordinatorAsync(store, sweepId, ct);
            Console.Error.WriteLine(notWoken is null
                ? $"Sweep {sweepId} submitted: {spec.TrialCount} trials, handed to the cluster's coordinator. Follow it with `{ExperimentsCommand.Name} sweep status {sweepId} --watch`."
                : $"Sweep {sweepId} submitted: {spec.TrialCount} trials; it waits in PostgreSQL ({notWoken}) and runs when a coordinator silo starts " +
                  $"(`{ExperimentsCommand.Name} silo --role coordinator --db …`).");
            return CommandErrors.Ok;
        }));
        return command;
    }

    /// <summary>Wakes the sweep's coordinator grain on the cluster within <see cref="PromptTimeout"/>; null when it was woken, else why not.</summary>
    private static Task<string?> WakeCoordinatorAsync(ResultsStore store, long sweepId, CancellationToken ct) =>
        ClusterClientCall.TryAsync(store, grains => grains.GetGrain<ISweepCoordinatorGrain>(sweepId).WakeAsync(), PromptTimeout, ct);

    private static Command List()
    {
        var (db, json) = (StoreAccess.DbOption(), new Option<bool>("--json") { Description = "Print JSON." });
        var limit = new Option<int>("--limit") { Description = "At most this many sweeps, newest first.", DefaultValueFactory = _ => 50 }.AtLeastOne();
        var command = new Command("list", "List sweeps, newest first, with their trials counted by status.") { db, limit, json };
        command.SetAction((parse, ct) => ResultsCommands.WithStore(parse, db, ct, async store =>
        {
            var sweeps = await store.ListSweepsAsync(parse.GetValue(limit), ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize<IReadOnlyList<SweepJson>>([.. sweeps.Select(SweepJson.From)], StatusJsonContext.Default.IReadOnlyListSweepJson));
                return CommandErrors.Ok;
            }
            var table = new Table().RoundedBorder().AddColumns("sweep", "name", "status", "dataset", "metric", "trials", "queued", "running",
                "completed", "stopped early", "diverged", "failed", "cancelled", "created");
            foreach (var s in sweeps)
                table.AddRow(s.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(s.Name), s.Status.ToText(), Markup.Escape(s.Dataset ?? ""),
                    s.Metric, N(s.TrialCount), N(s.Count(TrialStatus.Queued)), N(s.Count(TrialStatus.Running)), N(s.Count(TrialStatus.Completed)),
                    N(s.Count(TrialStatus.StoppedEarly)), N(s.Count(TrialStatus.Diverged)), N(s.Count(TrialStatus.Failed)), N(s.Count(TrialStatus.Cancelled)),
                    s.CreatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            AnsiConsole.Write(table);
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Status()
    {
        var (id, db) = (SweepIdArgument(), StoreAccess.DbOption());
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var watch = new Option<bool>("--watch") { Description = "Refresh every 2 s until the sweep ends." };
        var all = new Option<bool>("--all") { Description = "List every trial, not only the first --limit (JSON always lists every trial)." };
        var limit = new Option<int>("--limit")
        {
            Description = "Trials listed, running and failed ones first; the counts in the title cover them all.",
            DefaultValueFactory = _ => SweepStatusReport.DefaultListed,
        }.AtLeastOne();
        var command = new Command("status",
            "One sweep's trials: status, attempts, worker, last heartbeat, epochs and best metric. Lists the running and failed\n" +
            $"trials first, at most --limit of them ({SweepStatusReport.DefaultListed}), so a 10,000-trial sweep prints at once; --all lists every one.")
        {
            id, db, watch, all, limit, json,
        };
        command.SetAction((parse, ct) => ResultsCommands.WithReadingStore(parse, db, ct, async store =>
        {
            var sweepId = parse.GetValue(id);
            var listed = SweepStatusReport.Listed(parse.GetValue(json), parse.GetValue(all), parse.GetValue(limit));
            while (true)
            {
                var report = await SweepStatusReport.ReadAsync(store, sweepId, listed, ct)
                             ?? throw new TrialNotFoundException($"there is no sweep {sweepId}; see `{ExperimentsCommand.Name} sweep list`");
                if (parse.GetValue(json)) SweepStatusView.WriteJson(report);
                else SweepStatusView.WriteTable(report);
                if (!parse.GetValue(watch) || report.Sweep.Status != SweepStatus.Running) return CommandErrors.Ok;
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }
        }));
        return command;
    }

    private static Command Cancel()
    {
        var (id, db) = (SweepIdArgument(), StoreAccess.DbOption());
        var command = new Command("cancel",
            "Cancel a sweep: queued trials are cancelled now; running ones stop now on a cluster (through their workers' grains),\n" +
            "else at their workers' next heartbeat, keeping their recorded epochs.") { id, db };
        command.SetAction((parse, ct) => ResultsCommands.WithStore(parse, db, ct, async store =>
        {
            var sweepId = parse.GetValue(id);
            switch (await store.CancelSweepAsync(sweepId, ct))
            {
                case null:
                    throw new TrialNotFoundException($"there is no sweep {sweepId}; see `{ExperimentsCommand.Name} sweep list`");
                case SweepStatus.Completed:
                    CommandErrors.Error($"sweep {sweepId} has already completed; there is nothing to cancel");
                    return CommandErrors.BadInput;
                default:
                    // On a cluster, the coordinator grain stops the running trials now, through their workers' grains.
                    var notWoken = await WakeCoordinatorAsync(store, sweepId, ct);
                    Console.WriteLine($"Sweep {sweepId} cancelled: queued trials will not start, running ones stop " +
                                      (notWoken is null ? "now" : $"at their next heartbeat ({notWoken})") +
                                      $" and keep their epochs. `{ExperimentsCommand.Name} sweep resume {sweepId}` re-queues them.");
                    return CommandErrors.Ok;
            }
        }));
        return command;
    }

    private static Command Resume()
    {
        var (id, db, bus, slots, threads) = (SweepIdArgument(), StoreAccess.DbOption(), RemovedBusOption(), SlotsOption(), ThreadsOption());
        var cluster = new Option<bool>("--cluster")
        {
            Description = "Hand the re-queued trials to the cluster of `silo` processes on --db instead of running them here.",
        };
        var command = new Command("resume",
            "Re-queue a sweep's failed, cancelled and interrupted trials (finished ones are kept; each resumes from its latest\n" +
            "recorded epoch) and run them here, or, with --cluster, hand them to the cluster.") { id, db, cluster, bus, slots, threads };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            RejectBus(parse, bus);
            var sweepId = parse.GetValue(id);
            await using var store = await StoreAccess.OpenForLongRunAsync(parse.GetValue(db), ct);
            // The sweep is the cluster's from now on, or this process's: whoever resumes it drives it.
            var worker = new WorkerOptions { Slots = parse.GetValue(slots), ThreadsPerSlot = parse.GetValue(threads) }.InProcess();
            var driver = parse.GetValue(cluster) ? SweepDrivers.Cluster : worker.Driver;
            var resumed = await store.ResumeSweepAsync(sweepId, driver, ct) ?? throw new TrialNotFoundException($"there is no sweep {sweepId}; see `{ExperimentsCommand.Name} sweep list`");
            Console.Error.WriteLine($"Sweep {sweepId}: {resumed.Requeued} trial(s) re-queued.");
            if (resumed is { StillLeased: > 0, LeasedUntil: { } until })
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{resumed.StillLeased} trial(s) still hold a worker's lease until {until.ToLocalTime():HH:mm:ss}: they carry on with that worker if it is alive, else they are re-queued when the lease runs out and resume from their latest epoch."));
            if (parse.GetValue(cluster))
            {
                if (await WakeCoordinatorAsync(store, sweepId, ct) is { } notWoken)
                    Console.Error.WriteLine($"Sweep {sweepId} waits in PostgreSQL ({notWoken}) and runs when a coordinator silo starts.");
                return CommandErrors.Ok;
            }
            if ((await store.GetSweepAsync(sweepId, ct))!.Dataset is { } dataset) DataCommands.FetchOnFirstUse(dataset, ct);
            return await RunInProcessAsync(store, sweepId, worker, ct);
        }));
        return command;
    }

    private static (SweepSpec Spec, string Text, string Path) ReadSweep(string path, bool force)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no sweep file at {path}");
        var text = File.ReadAllText(path);
        return (SweepReader.Parse(text, Path.GetFileName(path), new SweepLimits(Force: force)), text, Path.GetFileName(path));
    }

    private static Argument<string> FileArgument() => new("file") { Description = "The sweep file (YAML, see docs/sweeps.md)." };
    private static Option<bool> ForceOption() => new("--force") { Description = $"Accept a sweep of more than {new SweepLimits().MaxTrials:N0} trials." };
    private static Argument<long> SweepIdArgument() =>
        new Argument<long>("sweep") { Description = $"The sweep's id (see `{ExperimentsCommand.Name} sweep list`)." }.Needing("a sweep id", "1", values: "the sweep id");
    private static string N(int n) => n == 0 ? "" : n.ToString(CultureInfo.InvariantCulture);
}
