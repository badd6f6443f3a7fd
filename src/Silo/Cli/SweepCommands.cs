using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Experiments.Contracts;
using Experiments.Coordinator;
using Spectre.Console;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments sweep …</c>: grid and random searches described in a sweep file (docs/sweeps.md).</summary>
public static partial class SweepCommands
{
    public static Command Create()
    {
        var sweep = new Command("sweep", "Sweeps: grids and random searches over learning rates, decays and architectures (docs/sweeps.md).");
        sweep.Subcommands.Add(Validate());
        AddRunCommands(sweep);
        return sweep;
    }

    private static Command Validate()
    {
        var file = new Argument<string>("file") { Description = "The sweep file (YAML)." }.Needing("a sweep file", "examples/demo.yaml");
        var force = new Option<bool>("--force") { Description = $"Accept a sweep of more than {new SweepLimits().MaxTrials:N0} trials." };
        var json = new Option<bool>("--json") { Description = "Print the expanded trials as JSON." };
        var command = new Command("validate",
            "Check a sweep file without running it: every problem is reported with its key path (e.g. grid.lr[2]: must be > 0),\n" +
            "and a valid file is expanded into the trials it would run.") { file, force, json };
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path)) throw new FileNotFoundException($"no sweep file at {path}");
            var spec = SweepReader.ReadFile(path, new SweepLimits(Force: parse.GetValue(force)));
            var trials = SweepExpander.Expand(spec);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(trials.Select(t => new
                {
                    index = t.Index, label = t.Label, architecture = t.Architecture.Name, dataset = t.Dataset, lr = t.LearningRate,
                    weight_decay = t.WeightDecay, lr_decay = t.LrDecay, optimizer = t.Optimizer.ToString().ToLowerInvariant(),
                    momentum = t.Momentum, batch_size = t.BatchSize, epochs = t.Epochs, val_split = t.ValSplit, seed = t.Seed, limit = t.Limit,
                }), new JsonSerializerOptions { WriteIndented = true }));
                return CommandErrors.Ok;
            }
            var table = new Table().RoundedBorder().AddColumn("#").AddColumn("architecture").AddColumn(new TableColumn("lr").RightAligned())
                .AddColumn(new TableColumn("weight decay").RightAligned()).AddColumn(new TableColumn("lr decay").RightAligned())
                .AddColumn("optimizer").AddColumn(new TableColumn("batch").RightAligned()).AddColumn(new TableColumn("epochs").RightAligned())
                .AddColumn(new TableColumn("seed").RightAligned());
            // The data limit changes what a trial trains on as much as its learning rate does, so a sweep that sets one shows it.
            var limited = trials.Any(t => t.Limit > 0);
            if (limited) table.AddColumn(new TableColumn("images").RightAligned());
            foreach (var t in trials)
            {
                var cells = new List<string>
                {
                    t.Index.ToString(CultureInfo.InvariantCulture), Markup.Escape(t.Architecture.Name), SettingText.Format(t.LearningRate),
                    SettingText.Format(t.WeightDecay), SettingText.Format(t.LrDecay), t.Optimizer.ToString().ToLowerInvariant(),
                    t.BatchSize.ToString(CultureInfo.InvariantCulture), t.Epochs.ToString(CultureInfo.InvariantCulture),
                    t.Seed.ToString(CultureInfo.InvariantCulture),
                };
                if (limited) cells.Add(t.Limit > 0 ? $"first {t.Limit.ToString("N0", CultureInfo.InvariantCulture)}" : "all");
                table.AddRow(cells.ToArray());
            }
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine(Markup.Escape(
                $"{spec.Name}: valid. {trials.Count:N0} trials on {spec.Dataset}, ranked by {spec.Metric.Name}; nothing was run or written."));
            return CommandErrors.Ok;
        }));
        return command;
    }

}
