using System.CommandLine;
using System.Globalization;
using Experiments.Architectures;
using Spectre.Console;
using Experiments.Datasets;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments model list|show</c>: the built-in architectures and the shapes of any architecture.</summary>
public static class ModelCommands
{
    public static Command Create()
    {
        var model = new Command("model", "Inspect architectures: built-in ones, or your own layer-list files.");
        model.Subcommands.Add(List());
        model.Subcommands.Add(Show());
        return model;
    }

    private static Command List()
    {
        var command = new Command("list", "List the built-in architectures with their default input and parameter count.");
        command.SetAction(_ => CommandErrors.Run(() =>
        {
            var table = new Table().RoundedBorder().AddColumn("name").AddColumn("input").AddColumn(new TableColumn("parameters").RightAligned()).AddColumn("description");
            foreach (var (name, architecture) in ArchitectureCatalog.BuiltIns)
            {
                var plan = ShapeInference.Plan(architecture);
                table.AddRow(Markup.Escape(name), plan.Input.ToString(), plan.Parameters.ToString("N0", CultureInfo.InvariantCulture),
                    Markup.Escape(architecture.Description ?? ""));
            }
            AnsiConsole.Write(table);
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Show()
    {
        var architecture = new Argument<string>("architecture") { Description = $"A built-in name ({ExperimentsCommand.Name} model list) or a .yaml/.json file." }
            .Needing("an architecture", "lenet-matconvnet");
        var input = new Option<string?>("--input", "-i") { Description = "Input shape C×H×W, e.g. 3x32x32 or 1x28x28. Defaults to the architecture's own." };
        var json = new Option<bool>("--json") { Description = "Print JSON (schema: docs/architectures.md)." };
        var command = new Command("show", "Print every layer with its output shape (n_out = (n_in − k + 2p)/s + 1) and parameter count.\n" +
                                          $"Example: {ExperimentsCommand.Name} model show lenet-cifar --input 3x32x32");
        command.Arguments.Add(architecture);
        command.Options.Add(input);
        command.Options.Add(json);
        command.SetAction(parse => CommandErrors.Run(() =>
        {
            var spec = ArchitectureCatalog.Resolve(parse.GetValue(architecture)!);
            var shape = parse.GetValue(input) is { } text ? TensorShape.Parse(text) : null;
            var plan = shape is null ? ShapeInference.Plan(spec) : ShapeInference.Plan(spec, shape);
            var summary = ModelSummary.From(plan);
            if (parse.GetValue(json))
            {
                Console.WriteLine(summary.ToJson());
                return CommandErrors.Ok;
            }
            var table = new Table().RoundedBorder().Title(Markup.Escape($"{plan.Architecture.Name} on {plan.Input}"))
                .AddColumn("#").AddColumn("layer").AddColumn("output").AddColumn(new TableColumn("parameters").RightAligned());
            foreach (var layer in plan.Layers)
                table.AddRow(layer.Index.ToString(CultureInfo.InvariantCulture), Markup.Escape(layer.Description),
                    layer.Output.ToString(), layer.Parameters == 0 ? "–" : layer.Parameters.ToString("N0", CultureInfo.InvariantCulture));
            table.Caption(Markup.Escape($"input {plan.Input} → output {plan.Output}, {plan.Parameters:N0} trainable parameters"));
            AnsiConsole.Write(table);
            return CommandErrors.Ok;
        }));
        return command;
    }
}
