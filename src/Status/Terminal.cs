using Spectre.Console;

namespace Experiments.Status;

/// <summary>
/// The two consoles the CLI and the native <c>sweep status</c> write to: results on standard output, errors and hints
/// on standard error. Spectre writes colour and style escapes whenever TERM names a terminal, even into a file or a
/// pipe; output that no terminal reads gets plain text, and NO_COLOR (no-color.org) turns colour off on a terminal too.
/// </summary>
public static class Terminal
{
    private static IAnsiConsole? _errors;

    /// <summary>Standard error, for error lines and the hints after them.</summary>
    public static IAnsiConsole Errors => _errors ??= Create(Console.Error, Console.IsErrorRedirected, redirectedWidth: 4096);

    /// <summary>Makes <see cref="AnsiConsole"/> (standard output) plain where no terminal reads it, or NO_COLOR asks.</summary>
    public static void UsePlainOutputWhereNoTerminalReads()
    {
        if (Console.IsOutputRedirected || NoColor) AnsiConsole.Console = Create(Console.Out, Console.IsOutputRedirected, redirectedWidth: 4096);
    }

    private static bool NoColor => Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 };

    private static IAnsiConsole Create(TextWriter writer, bool redirected, int redirectedWidth)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            // On a terminal with NO_COLOR, ANSI stays on: live progress bars need its cursor movements.
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected || NoColor ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Out = new AnsiConsoleOutput(writer),
        });
        // Logs and pipes have no terminal width; Spectre would assume 80 columns and wrap tables mid-word and the
        // hints' commands mid-way, so they could no longer be pasted back. Tables keep their natural width.
        if (redirected) console.Profile.Width = redirectedWidth;
        return console;
    }
}
