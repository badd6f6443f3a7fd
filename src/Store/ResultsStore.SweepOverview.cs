using System.Text.Json;

namespace Experiments.Store;

/// <summary>A sweep with its trials' progress (status, trained and planned epochs, attempts, stored best value and epoch), as an overview lists it.</summary>
public sealed record SweepOverview(SweepRow Sweep, IReadOnlyList<SweepTrialRow> Trials);

/// <summary>
/// A row of the sweep page's trial table: the trial's progress with its stored best value and epoch, and what it was
/// trained with (architecture and dataset names, hyperparameters as stored JSON, seed).
/// </summary>
public sealed record SweepTableRow(SweepTrialRow Progress, string Architecture, string Dataset, string HyperparametersJson, long Seed);

public sealed partial class ResultsStore
{
    /// <summary>
    /// Every trial of the sweep in index order, as <see cref="GetSweepTrialsAsync(long, int?, CancellationToken)"/>
    /// reads them, with the settings each was trained with: the sweep page's table in one statement. Empty for an
    /// unknown sweep.
    /// </summary>
    public Task<IReadOnlyList<SweepTableRow>> GetSweepTableAsync(long sweepId, CancellationToken ct = default) =>
        ReadSweepTrialsAsync(sweepId, firstOf: null, withSettings: true, ct);

    /// <summary>
    /// The one statement behind <c>sweep status</c> and the sweep page: each trial's progress, its count of trained
    /// epochs and its best value and epoch as stored on the trial (migration 0012 keeps them as epochs are written), so
    /// no read counts or ranks epochs: at 5,000 trials × 30 epochs counting them was three quarters of the statement.
    /// Settings are read only <paramref name="withSettings"/> (else the rows carry empty ones).
    /// </summary>
    private Task<IReadOnlyList<SweepTableRow>> ReadSweepTrialsAsync(long sweepId, int? firstOf, bool withSettings, CancellationToken ct) =>
        RunAsync<IReadOnlyList<SweepTableRow>>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                SELECT t.id, t.trial_index, t.label, t.status, t.attempts, t.worker, t.heartbeat_at, t.attempts_before_resume, t.environment_faults,
                       t.epochs_trained, coalesce((t.hyperparameters->>'epochs')::int, 0), t.best_metric_value, t.best_metric_epoch, t.error
                       {(withSettings ? ", t.architecture, t.dataset, t.hyperparameters::text, t.seed" : "")}
                FROM trials t WHERE t.sweep_id = @sweep
                {(firstOf is null ? "ORDER BY t.trial_index, t.id" :
                    """
                    ORDER BY CASE t.status WHEN 'running' THEN 0 WHEN 'failed' THEN 1 WHEN 'diverged' THEN 1 WHEN 'cancelled' THEN 2
                                           WHEN 'queued' THEN 3 ELSE 4 END, t.trial_index, t.id
                    LIMIT @first
                    """)}
                """);
            command.Parameters.AddWithValue("sweep", sweepId);
            if (firstOf is { } first) command.Parameters.AddWithValue("first", first);
            await using var reader = await command.ExecuteReaderAsync(token);
            var rows = new List<SweepTableRow>();
            while (await reader.ReadAsync(token))
            {
                var progress = new SweepTrialRow(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt32(1), NullableString(reader, 2),
                    TrialStatusText.Parse(reader.GetString(3)), reader.GetInt32(4), NullableString(reader, 5), NullableTime(reader, 6),
                    reader.GetInt32(9), reader.GetInt32(10), NullableDouble(reader, 11), NullableString(reader, 13))
                {
                    AttemptsBeforeResume = reader.GetInt32(7), EnvironmentFaults = reader.GetInt32(8),
                    BestEpoch = reader.IsDBNull(12) ? null : reader.GetInt32(12),
                };
                rows.Add(withSettings
                    ? new SweepTableRow(progress, reader.GetString(14), reader.GetString(15), reader.GetString(16), reader.GetInt64(17))
                    : new SweepTableRow(progress, "", "", "{}", 0));
            }
            return rows;
        }, ct);

    /// <summary>
    /// The newest <paramref name="limit"/> sweeps, each with its trials' progress, in one statement: a page of every
    /// sweep costs one query, however many sweeps there are (the dashboard's sweeps page). Each trial is as
    /// <see cref="GetSweepTrialsAsync(long, CancellationToken)"/> reads it, its stored best value and epoch included.
    /// </summary>
    public Task<IReadOnlyList<SweepOverview>> ListSweepOverviewsAsync(int limit, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<SweepOverview>>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                SELECT {SweepColumns},
                       coalesce((SELECT json_agg(json_build_array(t.id, t.trial_index, t.label, t.status, t.attempts, t.worker, t.heartbeat_at,
                                        t.epochs_trained,
                                        coalesce((t.hyperparameters->>'epochs')::int, 0), t.error, t.attempts_before_resume, t.environment_faults,
                                        t.best_metric_value, t.best_metric_epoch) ORDER BY t.trial_index, t.id)::text
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
                    t[6].ValueKind == JsonValueKind.Null ? null : t[6].GetDateTimeOffset(), t[7].GetInt32(), t[8].GetInt32(),
                    // The stored best is finite, so JSON holds it exactly (a double's shortest round-trip text).
                    t[12].ValueKind == JsonValueKind.Null ? null : t[12].GetDouble(), t[9].ValueKind == JsonValueKind.Null ? null : t[9].GetString())
                {
                    AttemptsBeforeResume = t[10].GetInt32(), EnvironmentFaults = t[11].GetInt32(),
                    BestEpoch = t[13].ValueKind == JsonValueKind.Null ? null : t[13].GetInt32(),
                })]));
            }
            return overviews;
        }, ct);
}
