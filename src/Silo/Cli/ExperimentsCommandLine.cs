using System.CommandLine;
using Experiments.Silo.Rendering;

namespace Experiments.Silo.Cli;

/// <summary>The <c>experiments</c> command tree. Each area adds its own commands.</summary>
public static class ExperimentsCommandLine
{
    /// <summary>
    /// Parses and runs one command line. An exception no command expected is one line and exit code 1, never a stack
    /// trace.
    /// </summary>
    public static async Task<int> InvokeAsync(string[] args)
    {
        Terminal.UsePlainOutputWhereNoTerminalReads();
        var parse = Create().Parse(args);
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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
            "Start with `experiments demo`, then `experiments train --help`.");
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(TrainCommands.Train());
        root.Subcommands.Add(ModelCommands.Create());
        root.Subcommands.Add(DataCommands.Create());
        root.Subcommands.Add(SweepCommands.Create());
        root.Subcommands.Add(ResultsCommands.Create());
        root.Subcommands.Add(DbCommands.Create());
        root.Subcommands.Add(SiloCommands.Create());
        root.Subcommands.Add(VizCommands.Create());
        return root;
    }
}
