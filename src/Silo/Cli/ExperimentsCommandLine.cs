using System.CommandLine;

namespace Experiments.Silo.Cli;

/// <summary>The <c>experiments</c> command tree. Each area adds its own commands.</summary>
public static class ExperimentsCommandLine
{
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "Experiments: train, compare and look inside convolutional networks.\n" +
            "Start with `experiments demo`, then `experiments train --help`.");
        root.Subcommands.Add(TrainCommands.Demo());
        root.Subcommands.Add(TrainCommands.Train());
        root.Subcommands.Add(ModelCommands.Create());
        root.Subcommands.Add(DataCommands.Create());
        return root;
    }
}
