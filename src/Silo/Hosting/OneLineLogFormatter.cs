using System.Globalization;
using Experiments.Silo.Cli;
using Experiments.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Experiments.Silo.Hosting;

/// <summary>
/// A node's console log, one line per entry: <c>10:42:07 fail: Experiments.Worker.Node.TrialExecutor: Trial 3 failed
/// (DatasetException: …)</c>. The simple console formatter printed an exception's whole stack trace under the line, so
/// a trial that failed on bad input filled `sweep run` and `silo` output with .NET frames; and a library's message
/// (Orleans's, when a peer silo dies) is cut to its first line. As for the CLI's own errors, the whole text and the
/// trace come back with EXPERIMENTS_VERBOSE=1.
/// </summary>
internal sealed class OneLineLogFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "experiments-one-line";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null) return;
        if (ImpossibleWatchdogStall.Matches(logEntry.Category, logEntry.State, message)) return;
        if (!CommandErrors.Verbose && !IsOurs(logEntry.Category)) message = FirstLine(message);
        textWriter.Write(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss} {Level(logEntry.LogLevel)}: {logEntry.Category}: {message}"));
        if (logEntry.Exception is { } e)
            textWriter.Write(CommandErrors.Verbose ? Environment.NewLine + e : $" ({e.GetType().Name}: {ResultsStore.Describe(e)})");
        textWriter.WriteLine();
    }

    /// <summary>Our own messages are written whole; they are one line by construction.</summary>
    private static bool IsOurs(string category) => category.StartsWith("Experiments.", StringComparison.Ordinal);

    /// <summary>
    /// The first line of a library's message. Orleans writes some exceptions into the message text itself (a failed
    /// probe or connection to a silo that died: the exception's ToString(), stack trace and inner exceptions included),
    /// which the exception's own one-line summary after it already says; the rest comes back with EXPERIMENTS_VERBOSE=1.
    /// </summary>
    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end].TrimEnd() + " (…)";
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };
}
