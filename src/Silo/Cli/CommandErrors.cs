using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Status;
using Experiments.Store;
using Experiments.Worker.Engine;
using Spectre.Console;

namespace Experiments.Silo.Cli;

/// <summary>
/// Turns the exceptions that mean "your input is wrong" into one readable message and exit code 2; anything else
/// is a bug or an environment failure and exits 1 with its message. Nothing reaches the user as a .NET stack trace
/// unless they ask for it with <see cref="VerboseVariable"/>.
/// </summary>
public static class CommandErrors
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;

    /// <summary>Set to 1 to see the full stack trace of an unexpected failure (for a bug report).</summary>
    public const string VerboseVariable = "EXPERIMENTS_VERBOSE";

    /// <summary>Whether the user asked for stack traces with <see cref="VerboseVariable"/>.</summary>
    public static bool Verbose => Environment.GetEnvironmentVariable(VerboseVariable) is "1" or "true";

    public static int Run(Func<int> action) => RunAsync(() => Task.FromResult(action())).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is SpecException or ArchitectureException or DatasetException or FormatException or ArgumentException
                                       or FileNotFoundException or TrialNotFoundException or InvalidDataException or OutputPathException)
        {
            Error(e.Message);
            return BadInput;
        }
        catch (NativeEngineException e)
        {
            Error("the training engine failed: " + e.Message);
            return Failure;
        }
        catch (StoreUnreachableException e)
        {
            Error(e.Message + "; once it is back, run the command again");
            return Failure;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or PostgresNotInstalledException or LocalPostgresException)
        {
            Error("the results database failed: " + e.Message);
            return Failure;
        }
        catch (OperationCanceledException)
        {
            Error("cancelled");
            return 130;
        }
    }

    public static void Error(string message) => Terminal.Errors.MarkupLine("[red]error:[/] " + Markup.Escape(message));

    /// <summary>A greyed line after an error that says what to do next.</summary>
    public static void Hint(string message) => Terminal.Errors.MarkupLine("[grey]" + Markup.Escape(message) + "[/]");

    /// <summary>
    /// The last resort for an exception no command expected: one line with its type and message and exit code 1; the
    /// trace only when <see cref="VerboseVariable"/> is set.
    /// </summary>
    public static int Unexpected(Exception e)
    {
        while (e is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && e.InnerException is { } inner) e = inner;
        if (Verbose)
        {
            Console.Error.WriteLine(e.ToString());
            return Failure;
        }
        Error($"unexpected failure ({e.GetType().Name}): {e.Message} (set {VerboseVariable}=1 for the full trace)");
        return Failure;
    }
}

/// <summary>A command named a trial (or an epoch of one) that the results database does not have.</summary>
public sealed class TrialNotFoundException(string message) : Exception(message);
