using System.CommandLine;
using Experiments.Contracts;
using Experiments.Coordinator;
using Experiments.Coordinator.Orchestration;
using Experiments.Worker.Node;
using Spectre.Console;
using Experiments.Datasets;

namespace Experiments.Silo.Cli;

/// <summary>
/// <c>experiments demo</c>: the main job on the embedded default, a sweep of the seeds' MNIST models (examples/demo.yaml, embedded)
/// run by an in-process coordinator and worker against the private PostgreSQL.
/// </summary>
public static class DemoCommand
{
    public const string SweepResource = "demo-sweep.yaml";

    public static Command Create()
    {
        var (db, slots, threads) = (StoreAccess.DbOption(), SweepCommands.SlotsOption(), SweepCommands.ThreadsOption());
        var show = new Option<bool>("--show-sweep") { Description = "Print the demo's sweep file (a starting point for your own) and exit." };
        var command = new Command("demo",
            "Run the demo sweep: ffnn-100 and the LeNet of Vedaldi & Lenc (seed 003) × learning rate × weight decay, 3 epochs each,\n" +
            "on 10,000 real MNIST digits (fetched on first use), with median early stopping. Every epoch's metrics and weights go to\n" +
            "the private PostgreSQL. About a minute or two on 2 cores; ends with the leaderboard.") { db, slots, threads, show };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            var text = SweepText();
            if (parse.GetValue(show))
            {
                Console.Write(text);
                return CommandErrors.Ok;
            }
            var spec = SweepReader.Parse(text, SweepResource);
            DataCommands.FetchOnFirstUse(spec.Dataset, ct);
            await using var store = await StoreAccess.OpenForLongRunAsync(parse.GetValue(db), ct);
            using var sweepSpan = ExperimentsTelemetry.Source.StartActivity("sweep");
            var worker = new WorkerOptions { Slots = parse.GetValue(slots), ThreadsPerSlot = parse.GetValue(threads) }.InProcess();
            var sweepId = await SweepSubmission.SubmitAsync(store, spec, text, SweepResource, sweepSpan, worker.Driver, ct);
            var exitCode = await SweepCommands.RunInProcessAsync(store, sweepId, worker, ct);
            if (exitCode == CommandErrors.Ok)
                AnsiConsole.MarkupLine($"[grey]Next: `{ExperimentsCommand.Name} demo --show-sweep > my-sweep.yaml`, edit it, then `{ExperimentsCommand.Name} sweep run my-sweep.yaml`; " +
                                       $"`{ExperimentsCommand.Name} train --help` for a single run.[/]");
            return exitCode;
        }));
        return command;
    }

    public static string SweepText()
    {
        using var stream = typeof(DemoCommand).Assembly.GetManifestResourceStream(SweepResource)
            ?? throw new InvalidOperationException($"the {SweepResource} resource is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
