using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Experiments.Contracts;
using Experiments.Store;
using Spectre.Console;

namespace Experiments.Status;

/// <summary>How <c>sweep status</c> prints a <see cref="SweepStatusReport"/>: a table for people, JSON for programs.</summary>
public static class SweepStatusView
{
    /// <summary>The title with the counts, a row per listed trial, how many were left out, and the unhealthy workers.</summary>
    public static void WriteTable(SweepStatusReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var (sweep, trials) = (report.Sweep, report.Trials);
        var table = new Table().RoundedBorder()
            .Title(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"sweep {sweep.Id} {sweep.Name}: {sweep.Status.ToText()}, {sweep.Count(TrialStatus.Completed):N0}/{sweep.TrialCount:N0} completed")))
            .AddColumns("trial", "label", "status", "attempts", "worker", "last heartbeat", "epochs", $"best {sweep.Metric}", "error");
        foreach (var t in trials)
            table.AddRow(t.TrialId.ToString(CultureInfo.InvariantCulture), Markup.Escape(t.Label ?? ""), t.Status.ToText(),
                AttemptsText(t, sweep.MaxAttempts), Markup.Escape(t.Worker ?? ""),
                t.HeartbeatAt is { } at ? DurationText.Ago(at, DateTimeOffset.UtcNow) : "",
                $"{t.EpochsRecorded}/{t.PlannedEpochs}", t.BestMetric is null ? "" : MetricText.Format(sweep.Metric, t.BestMetric),
                Markup.Escape(t.Error ?? ""));
        AnsiConsole.Write(table);
        if (trials.Count < sweep.TrialCount)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{trials.Count:N0} of {sweep.TrialCount:N0} trials listed, running and failed ones first: ") +
                              "--all lists every one, --limit N more or fewer.");
        if (report.UnhealthyWorkers.Count == 0) return;
        AnsiConsole.MarkupLine(Markup.Escape("Unhealthy workers (quarantined: they claim no trials; fix the fault and restart them):"));
        foreach (var w in report.UnhealthyWorkers)
            AnsiConsole.MarkupLine(Markup.Escape($"  {w.Worker} on {w.Host}: {w.Fault}"));
    }

    /// <summary>The report as one JSON object: <c>sweep</c> (as <see cref="SweepJson"/>), <c>trials</c> and <c>unhealthyWorkers</c>, camelCase.</summary>
    public static void WriteJson(SweepStatusReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        Console.WriteLine(JsonSerializer.Serialize(new SweepStatusJson(SweepJson.From(report.Sweep), report.Trials, report.UnhealthyWorkers),
            StatusJsonContext.Default.SweepStatusJson));
    }

    /// <summary>
    /// "2/3": attempts of the budget; after a resume, or attempts a worker's fault ended, the total too:
    /// "4 (1/3 since resume)", "2 (1/3, 1 ended by a worker's fault)".
    /// </summary>
    private static string AttemptsText(SweepTrialRow t, int maxAttempts) => t.AttemptsBeforeResume == 0 && t.EnvironmentFaults == 0
        ? $"{t.Attempts}/{maxAttempts}"
        : $"{t.Attempts} ({t.AttemptsInBudget}/{maxAttempts}{(t.AttemptsBeforeResume > 0 ? " since resume" : "")}" +
          $"{(t.EnvironmentFaults > 0 ? $", {t.EnvironmentFaults} ended by a worker's fault" : "")})";
}

/// <summary>A sweep as <c>sweep list --json</c> and <c>sweep status --json</c> print it: camelCase keys, as every <c>--json</c> output.</summary>
/// <param name="Goal">"maximize" or "minimize".</param>
/// <param name="Trials">Trials counted by status (snake_case status names).</param>
public sealed record SweepJson(
    long Id, string Name, SweepStatus Status, string? Dataset, string Metric, string Goal, int? MaxConcurrent, int MaxAttempts, double GpusPerTrial,
    string Driver, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, IReadOnlyDictionary<string, int> Trials)
{
    public static SweepJson From(SweepRow s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new SweepJson(s.Id, s.Name, s.Status, s.Dataset, s.Metric, s.Maximize ? "maximize" : "minimize", s.MaxConcurrent, s.MaxAttempts,
            s.GpusPerTrial, s.Driver, s.CreatedAt, s.FinishedAt, s.TrialsByStatus.ToDictionary(kv => kv.Key.ToText(), kv => kv.Value));
    }
}

/// <summary><c>sweep status --json</c>'s object.</summary>
public sealed record SweepStatusJson(SweepJson Sweep, IReadOnlyList<SweepTrialRow> Trials, IReadOnlyList<QuarantinedWorker> UnhealthyWorkers);

/// <summary>Statuses as their snake_case names ("stopped_early"), as in the database.</summary>
internal sealed class SnakeCaseEnumConverter<TEnum>() : JsonStringEnumConverter<TEnum>(JsonNamingPolicy.SnakeCaseLower) where TEnum : struct, Enum;

/// <summary>The status JSON, generated at build time: the Native AOT program has no reflection serializer. The CLI's --json options, as source.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    Converters = [typeof(SnakeCaseEnumConverter<TrialStatus>), typeof(SnakeCaseEnumConverter<SweepStatus>)])]
[JsonSerializable(typeof(SweepStatusJson))]
[JsonSerializable(typeof(IReadOnlyList<SweepJson>))]
public sealed partial class StatusJsonContext : JsonSerializerContext;
