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
/// a trial that failed on bad input filled `sweep run` and `silo` output with .NET frames. As for the CLI's own
/// errors, the trace comes back with EXPERIMENTS_VERBOSE=1.
/// </summary>
internal sealed class OneLineLogFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "experiments-one-line";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null) return;
        textWriter.Write(string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss} {Level(logEntry.LogLevel)}: {logEntry.Category}: {message}"));
        if (logEntry.Exception is { } e)
            textWriter.Write(CommandErrors.Verbose ? Environment.NewLine + e : $" ({e.GetType().Name}: {ResultsStore.Describe(e)})");
        textWriter.WriteLine();
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
