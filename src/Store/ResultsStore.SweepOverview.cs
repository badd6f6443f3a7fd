using System.Text.Json;

namespace Experiments.Store;

/// <summary>A sweep with its trials' progress (status, trained and planned epochs, attempts; no best metric), as an overview lists it.</summary>
public sealed record SweepOverview(SweepRow Sweep, IReadOnlyList<SweepTrialRow> Trials);

public sealed partial class ResultsStore
{
    /// <summary>
    /// The newest <paramref name="limit"/> sweeps, each with its trials' progress, in one statement: a page of every
    /// sweep costs one query, however many sweeps there are (the dashboard's sweeps page). The trials' BestMetric is
    /// null; <see cref="GetSweepTrialsAsync"/> reads one sweep's trials with it.
    /// </summary>
    public Task<IReadOnlyList<SweepOverview>> ListSweepOverviewsAsync(int limit, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<SweepOverview>>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                SELECT {SweepColumns},
                       coalesce((SELECT json_agg(json_build_array(t.id, t.trial_index, t.label, t.status, t.attempts, t.worker, t.heartbeat_at,
                                        (SELECT count(*) FROM epochs e WHERE e.trial_id = t.id AND e.epoch > 0),
                                        coalesce((t.hyperparameters->>'epochs')::int, 0), t.error, t.attempts_before_resume, t.environment_faults) ORDER BY t.trial_index, t.id)::text
                                 FROM trials t WHERE t.sweep_id = s.id), '[]')
                FROM sweeps s ORDER BY s.id DESC LIMIT @limit
                """);
            command.Parameters.AddWithValue("limit", limit);
            await using var reader = await command.ExecuteReaderAsync(token);
            var overviews = new List<SweepOverview>();
            while (await reader.ReadAsync(token))
            {
                using var trials = JsonDocument.Parse(reader.GetString(14));
                overviews.Add(new SweepOverview(ReadSweepRow(reader), [.. trials.RootElement.EnumerateArray().Select(t => new SweepTrialRow(
                    t[0].GetInt64(), t[1].ValueKind == JsonValueKind.Null ? null : t[1].GetInt32(), t[2].ValueKind == JsonValueKind.Null ? null : t[2].GetString(),
                    TrialStatusText.Parse(t[3].GetString()!), t[4].GetInt32(), t[5].ValueKind == JsonValueKind.Null ? null : t[5].GetString(),
                    t[6].ValueKind == JsonValueKind.Null ? null : t[6].GetDateTimeOffset(), t[7].GetInt32(), t[8].GetInt32(), null,
                    t[9].ValueKind == JsonValueKind.Null ? null : t[9].GetString()) { AttemptsBeforeResume = t[10].GetInt32(), EnvironmentFaults = t[11].GetInt32() })]));
            }
            return overviews;
        }, ct);
}
