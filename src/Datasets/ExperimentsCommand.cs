namespace Experiments.Datasets;

/// <summary>
/// How the user starts this tool, so that every command a message suggests can be pasted as it stands. The
/// <c>./experiments</c> launcher exports the way it was called (<c>./experiments</c> in a clone); anything else that
/// runs the executable gets the installed name, <c>experiments</c>.
/// </summary>
public static class ExperimentsCommand
{
    public const string EnvironmentVariable = "EXPERIMENTS_COMMAND";

    public static string Name =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } invoked ? invoked.Trim() : "experiments";

}
