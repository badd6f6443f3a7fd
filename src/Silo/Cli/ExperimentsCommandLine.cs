using System.CommandLine;
using System.CommandLine.Invocation;
using Experiments.Datasets;
using Experiments.Status;

namespace Experiments.Silo.Cli;

/// <summary>The <c>experiments</c> command tree. Each area adds its own commands.</summary>
public static class ExperimentsCommandLine
{
    /// <summary>
    /// Parses and runs one command line with the exit codes the README promises: a parse error (a missing required
    /// option, an unknown option, a value of the wrong type) is bad input, 2, and an exception no command expected is
    /// one line and 1, never a stack trace.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args)
    {
        Terminal.UsePlainOutputWhereNoTerminalReads();
        try
        {
            var parse = Create().Parse(args);
            if (parse.Action is ParseErrorAction && parse.CommandResult.Command.Action is not null)
            {
                // One line each, in our words where the parser would name .NET types (ParseErrors).
                foreach (var message in ParseErrors.Messages(parse)) CommandErrors.Error(message);
                CommandErrors.Hint($"see `{ExperimentsCommand.Name} {CommandPath(parse.CommandResult.Command)} --help`");
                return CommandErrors.BadInput;
            }
            // A word that names no subcommand of a group: one line naming the choices, not the parser's words and the whole help.
            if (parse.Action is ParseErrorAction && ParseErrors.UnknownSubcommand(parse) is { } unknown)
            {
                CommandErrors.Error(unknown);
                var group = CommandPath(parse.CommandResult.Command);
                CommandErrors.Hint($"see `{ExperimentsCommand.Name}{(group.Length > 0 ? " " + group : "")} --help`");
                return CommandErrors.BadInput;
            }
            var exitCode = await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            // A command group given without its subcommand: the parser prints its help and the error; that is still bad input.
            return parse.Action is ParseErrorAction ? CommandErrors.BadInput : exitCode;
        }
        catch (Exception e)
        {
            return CommandErrors.Unexpected(e);
        }
    }

    public static RootCommand Create()
    {
        var root = new RootCommand(
            "Experiments: train, compare and look inside convolutional networks.\n" +
            $"Start with `{ExperimentsCommand.Name} demo`, then `{ExperimentsCommand.Name} train --help`.");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(TrainCommands.Train());
        root.Subcommands.Add(ModelCommands.Create());
        root.Subcommands.Add(DataCommands.Create());
        root.Subcommands.Add(SweepCommands.Create());
        root.Subcommands.Add(ResultsCommands.Create());
        root.Subcommands.Add(DbCommands.Create());
        root.Subcommands.Add(SiloCommands.Create());
        root.Subcommands.Add(VizCommands.Create());
        root.Subcommands.Add(DashboardCommand.Create());
        return root;
    }

    /// <summary>The subcommand words of <paramref name="command"/>, e.g. "viz activations".</summary>
    internal static string CommandPath(Command command)
    {
        var words = new List<string>();
        for (var c = command; c is not null and not RootCommand; c = c.Parents.OfType<Command>().FirstOrDefault()) words.Insert(0, c.Name);
        return string.Join(' ', words);
    }
}
