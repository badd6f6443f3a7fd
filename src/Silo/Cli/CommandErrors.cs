using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Worker.Engine;
using Spectre.Console;

namespace Experiments.Silo.Cli;

/// <summary>
/// Turns the exceptions that mean "your input is wrong" into one readable message and exit code 2; anything else
/// is a bug or an environment failure and exits 1 with its message.
/// </summary>
public static class CommandErrors
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;

    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is SpecException or ArchitectureException or DatasetException or FormatException or ArgumentException or FileNotFoundException)
        {
            Error(e.Message);
            return BadInput;
        }
        catch (NativeEngineException e)
        {
            Error("the training engine failed: " + e.Message);
            return Failure;
        }
        catch (OperationCanceledException)
        {
            Error("cancelled");
            return 130;
        }
    }

    public static void Error(string message) => AnsiConsole.MarkupLine("[red]error:[/] " + Markup.Escape(message));
}
