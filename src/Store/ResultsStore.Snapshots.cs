using Npgsql;

namespace Experiments.Store;

/// <summary>
/// Which epochs keep their weights. Every epoch's weights are kept by default (<see cref="EveryEpoch"/>); with
/// <see cref="Every"/> = N only epochs that are multiples of N are kept, together with the ones that are always kept:
/// epoch 0 (the untrained model), the trial's best by its sweep's metric (validation accuracy outside a sweep) and
/// its latest epoch, which a trial resumes from. The optimizer's state is kept for the latest epoch only, whatever
/// the policy: nothing but resume reads it.
/// </summary>
/// <param name="Every">Keep weights every this many epochs; at least 1.</param>
public sealed record SnapshotPolicy(int Every)
{
    public static SnapshotPolicy EveryEpoch { get; } = new(1);

    /// <summary>Whether an epoch's weights are kept by the cadence alone (epoch 0 always is).</summary>
    public bool OnCadence(int epoch) => epoch % Math.Max(Every, 1) == 0;
}

/// <summary>What <see cref="ResultsStore.PruneSnapshotsAsync"/> should keep besides epoch 0 and each trial's latest epoch.</summary>
/// <param name="Every">Keep the weights of epochs that are multiples of this; null keeps none by cadence, 1 keeps every epoch.</param>
/// <param name="Best">Keep the best epoch by the sweep's metric (validation accuracy outside a sweep).</param>
public sealed record PruneKeep(int? Every, bool Best);

/// <summary>
/// What a prune deleted and what it freed. <see cref="StoredBytes"/> is what the deleted values occupied in the table
/// (<c>pg_column_size</c>, after any TOAST compression); <see cref="RawBytes"/> their length. The table's size on disk
/// before the delete and after the VACUUM that followed it says how much went back to the operating system: plain
/// VACUUM makes the space reusable for new snapshots and returns only empty pages at the table's end.
/// </summary>
public sealed record PruneResult(
    int Trials, int EpochsWithoutWeights, int OptimizerEpochs, long Tensors, long RawBytes, long StoredBytes,
    long TableBytesBefore, long TableBytesAfter);

/// <summary>A prune was asked to touch a trial that is running: nothing was deleted. Bad input (exit code 2) to the CLI.</summary>
public sealed class TrialIsRunningException(string message) : ArgumentException(message);

public sealed partial class ResultsStore
{
    /// <summary>
    /// The prefix of the optimizer's tensors in a snapshot. State-dict names start with a digit, so the two never collide.
    /// Only the latest epoch of a trial keeps tensors with this prefix.
    /// </summary>
    public const string OptimizerTensorPrefix = "optimizer/";

    /// <summary>
    /// The trial's best trained epoch (@trial) by its sweep's metric and goal, or validation accuracy outside a sweep,
    /// as the store keeps it on the trial (migration 0012: finite values only, ties to the earlier epoch, epoch 0 never
    /// counts). In an epoch's own transaction it already counts that epoch: the trigger runs when the epoch is inserted.
    /// </summary>
    private const string BestEpochSql = "SELECT best_metric_epoch AS epoch FROM trials WHERE id = @trial";

    /// <summary>
    /// Run in the transaction that wrote epoch @epoch with its snapshot: older epochs lose their optimizer state, and,
    /// under a cadence (@every &gt; 1), the weights of every older epoch that is neither epoch 0, on the cadence, nor the best.
    /// </summary>
    private const string RetireOlderSnapshotsSql =
        $"""
        DELETE FROM weight_tensors w
        WHERE w.trial_id = @trial AND w.epoch < @epoch
          AND (starts_with(w.name, '{OptimizerTensorPrefix}')
               OR (@every > 1 AND w.epoch > 0 AND w.epoch % @every <> 0
                   AND w.epoch IS DISTINCT FROM ({BestEpochSql})))
        """;

    private static async Task RetireOlderSnapshotsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long trialId, int epoch,
        SnapshotPolicy policy, CancellationToken ct)
    {
        await using var retire = new NpgsqlCommand(RetireOlderSnapshotsSql, connection, transaction);
        retire.Parameters.AddWithValue("trial", trialId);
        retire.Parameters.AddWithValue("epoch", epoch);
        retire.Parameters.AddWithValue("every", policy.Every);
        await retire.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Deletes weight tensors of the chosen trials (one trial, a sweep's, or every trial when both are null), keeping for
    /// each trial epoch 0, its latest snapshot (weights and optimizer state: what resume needs) and what
    /// <paramref name="keep"/> names; the optimizer state of every older epoch goes too. Metrics and artifacts are never
    /// touched. Runs in one transaction, then VACUUMs weight_tensors so the space is reusable.
    /// </summary>
    /// <exception cref="TrialIsRunningException">A chosen trial is running; nothing is deleted.</exception>
    /// <exception cref="KeyNotFoundException">The trial or sweep does not exist.</exception>
    public Task<PruneResult> PruneSnapshotsAsync(long? trialId, long? sweepId, PruneKeep keep, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keep);
        if (keep.Every is < 1) throw new ArgumentException("every:N needs N >= 1", nameof(keep));
        return RunAsync(async token =>
        {
            var before = await TableBytesAsync(token);
            (int Trials, int Epochs, int OptimizerEpochs, long Tensors, long Raw, long Stored) deleted;
            await using (var connection = await _dataSource.OpenConnectionAsync(token))
            await using (var transaction = await connection.BeginTransactionAsync(token))
            {
                // Locking the chosen trials' rows keeps a worker from claiming one of them while the prune runs.
                var trials = new List<(long Id, string Status)>();
                await using (var select = new NpgsqlCommand(
                    "SELECT id, status FROM trials WHERE (@trial::bigint IS NULL OR id = @trial) AND (@sweep::bigint IS NULL OR sweep_id = @sweep) ORDER BY id FOR UPDATE",
                    connection, transaction))
                {
                    select.Parameters.Add(Nullable("trial", NpgsqlTypes.NpgsqlDbType.Bigint, trialId));
                    select.Parameters.Add(Nullable("sweep", NpgsqlTypes.NpgsqlDbType.Bigint, sweepId));
                    await using var reader = await select.ExecuteReaderAsync(token);
                    while (await reader.ReadAsync(token)) trials.Add((reader.GetInt64(0), reader.GetString(1)));
                }
                if (trials.Count == 0 && trialId is { } missingTrial) throw new KeyNotFoundException($"there is no trial {missingTrial}");
                if (trials.Count == 0 && sweepId is { } sweep && await SweepExistsAsync(connection, transaction, sweep, token) is false)
                    throw new KeyNotFoundException($"there is no sweep {sweep}");
                var running = trials.Where(t => t.Status == "running").Select(t => t.Id).ToList();
                if (running.Count > 0)
                    throw new TrialIsRunningException(
                        $"trial{(running.Count > 1 ? "s" : "")} {string.Join(", ", running)} {(running.Count > 1 ? "are" : "is")} running; " +
                        "prune it once it has ended (or cancel it first); nothing was deleted");

                deleted = (0, 0, 0, 0, 0, 0);
                foreach (var (id, _) in trials)
                {
                    await using var prune = new NpgsqlCommand(
                        $"""
                        WITH latest AS (SELECT max(epoch) AS epoch FROM weight_tensors WHERE trial_id = @trial),
                        best AS ({BestEpochSql}),
                        gone AS (
                            DELETE FROM weight_tensors w
                            WHERE w.trial_id = @trial AND w.epoch < (SELECT epoch FROM latest)
                              AND (starts_with(w.name, '{OptimizerTensorPrefix}')
                                   OR NOT (w.epoch = 0
                                           OR (@every::int IS NOT NULL AND w.epoch % @every = 0)
                                           OR (@best AND w.epoch IS NOT DISTINCT FROM (SELECT epoch FROM best))))
                            RETURNING w.epoch, starts_with(w.name, '{OptimizerTensorPrefix}') AS optimizer,
                                      coalesce(jsonb_array_length(w.members), 1) AS tensors,
                                      length(w.bytes)::bigint AS raw, pg_column_size(w.bytes)::bigint AS stored)
                        SELECT coalesce(sum(tensors), 0)::bigint, coalesce(sum(raw), 0)::bigint, coalesce(sum(stored), 0)::bigint,
                               count(DISTINCT epoch) FILTER (WHERE NOT optimizer)::int,
                               count(DISTINCT epoch) FILTER (WHERE optimizer)::int
                        FROM gone
                        """, connection, transaction) { CommandTimeout = 0 };
                    prune.Parameters.AddWithValue("trial", id);
                    prune.Parameters.Add(Nullable("every", NpgsqlTypes.NpgsqlDbType.Integer, keep.Every));
                    prune.Parameters.AddWithValue("best", keep.Best);
                    await using var reader = await prune.ExecuteReaderAsync(token);
                    await reader.ReadAsync(token);
                    var tensors = reader.GetInt64(0);
                    deleted = (deleted.Trials + (tensors > 0 ? 1 : 0), deleted.Epochs + reader.GetInt32(3), deleted.OptimizerEpochs + reader.GetInt32(4),
                        deleted.Tensors + tensors, deleted.Raw + reader.GetInt64(1), deleted.Stored + reader.GetInt64(2));
                }
                await transaction.CommitAsync(token);
            }
            if (deleted.Tensors > 0)
            {
                // VACUUM cannot run inside a transaction; it makes the deleted rows' space reusable and gives back trailing empty pages.
                // No timeout: on a large table both the delete and the VACUUM take as long as they take.
                await using var vacuum = _dataSource.CreateCommand("VACUUM weight_tensors");
                vacuum.CommandTimeout = 0;
                await vacuum.ExecuteNonQueryAsync(token);
            }
            var after = await TableBytesAsync(token);
            return new PruneResult(deleted.Trials, deleted.Epochs, deleted.OptimizerEpochs, deleted.Tensors, deleted.Raw, deleted.Stored, before, after);
        }, ct);
    }

    /// <summary>Bytes on disk of weight_tensors with its TOAST table and indexes (<c>pg_total_relation_size</c>).</summary>
    public Task<long> SnapshotTableBytesAsync(CancellationToken ct = default) => RunAsync(TableBytesAsync, ct);

    private async Task<long> TableBytesAsync(CancellationToken ct)
    {
        await using var size = _dataSource.CreateCommand("SELECT pg_total_relation_size('weight_tensors')");
        return (long)(await size.ExecuteScalarAsync(ct))!;
    }

    private static async Task<bool> SweepExistsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long sweepId, CancellationToken ct)
    {
        await using var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM sweeps WHERE id = @id)", connection, transaction);
        exists.Parameters.AddWithValue("id", sweepId);
        return (bool)(await exists.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The epochs of a trial whose snapshot holds optimizer state, ascending: after any write, at most the latest.</summary>
    public Task<IReadOnlyList<int>> OptimizerStateEpochsAsync(long trialId, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<int>>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                $"SELECT DISTINCT epoch FROM weight_tensors WHERE trial_id = @trial AND starts_with(name, '{OptimizerTensorPrefix}') ORDER BY epoch");
            command.Parameters.AddWithValue("trial", trialId);
            await using var reader = await command.ExecuteReaderAsync(token);
            var epochs = new List<int>();
            while (await reader.ReadAsync(token)) epochs.Add(reader.GetInt32(0));
            return epochs;
        }, ct);
}

/// <summary>How a message names the stored snapshots nearest to an epoch that has none.</summary>
public static class StoredSnapshots
{
    /// <summary>The stored epochs closest below and above <paramref name="epoch"/> (one or two; none when nothing is stored).</summary>
    public static IReadOnlyList<int> Nearest(IReadOnlyList<int> stored, int epoch)
    {
        var below = stored.Where(e => e < epoch).DefaultIfEmpty(-1).Max();
        var above = stored.Where(e => e > epoch).DefaultIfEmpty(-1).Min();
        return [.. new[] { below, above }.Where(e => e >= 0)];
    }

    /// <summary>"trial 4 has no weight snapshot at epoch 5; the nearest stored are epochs 3 and 6 (stored: 0, 3, 6, 7)".</summary>
    public static string Missing(long trial, int epoch, IReadOnlyList<int> stored)
    {
        if (stored.Count == 0) return $"trial {trial} has no stored weight snapshots";
        var nearest = Nearest(stored, epoch);
        var named = nearest.Count == 1 ? $"the nearest stored is epoch {nearest[0]}" : $"the nearest stored are epochs {nearest[0]} and {nearest[1]}";
        return $"trial {trial} has no weight snapshot at epoch {epoch}; {named} (stored: {string.Join(", ", stored)})";
    }
}
