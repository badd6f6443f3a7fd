using Npgsql;
using NpgsqlTypes;

namespace Experiments.Store;

// The sweep life cycle (docs/schema.md, "Orchestration"). Every state change is one conditional UPDATE, so that two
// coordinators, a redelivered message or a worker that comes back from the dead can never run a trial twice or lose
// it: whoever's WHERE clause matches wins, everyone else sees zero rows and moves on.
public sealed partial class ResultsStore
{
    /// <summary>The sweep row and all its trials (queued), in one transaction: a sweep is written whole or not at all.</summary>
    public Task<long> CreateSweepAsync(SweepDefinition sweep, IReadOnlyList<QueuedTrial> trials, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        ArgumentNullException.ThrowIfNull(trials);
        return RunAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            long sweepId;
            await using (var insert = new NpgsqlCommand(
                """
                INSERT INTO sweeps (name, spec, dataset, metric, metric_goal, max_concurrent, max_attempts, gpus_per_trial, trace_parent,
                                    snapshot_every, early_stopping, driver)
                VALUES (@name, @spec, @dataset, @metric, @goal, @concurrent, @attempts, @gpus, @trace, @snapshotEvery, @earlyStopping, @driver) RETURNING id
                """, connection, transaction))
            {
                var p = insert.Parameters;
                p.AddWithValue("name", sweep.Name);
                p.AddWithValue("spec", NpgsqlDbType.Jsonb, sweep.SpecJson);
                p.AddWithValue("dataset", sweep.Dataset);
                p.AddWithValue("metric", sweep.Metric);
                p.AddWithValue("goal", sweep.Maximize ? "maximize" : "minimize");
                p.Add(Nullable("concurrent", NpgsqlDbType.Integer, sweep.MaxConcurrent));
                p.AddWithValue("attempts", sweep.MaxAttempts);
                p.AddWithValue("gpus", sweep.GpusPerTrial);
                p.Add(Nullable("trace", NpgsqlDbType.Text, sweep.TraceParent));
                p.AddWithValue("snapshotEvery", sweep.RulesOrDefault.SnapshotEvery);
                p.AddWithValue("earlyStopping", sweep.RulesOrDefault.EarlyStopping);
                p.AddWithValue("driver", sweep.Driver);
                sweepId = (long)(await insert.ExecuteScalarAsync(token))!;
            }
            var batch = new NpgsqlBatch(connection, transaction);
            foreach (var trial in trials)
            {
                var d = trial.Definition;
                var command = new NpgsqlBatchCommand(
                    """
                    INSERT INTO trials (sweep_id, architecture, architecture_spec, dataset, hyperparameters, seed, trial_index, label)
                    VALUES (@sweep, @architecture, @spec, @dataset, @hyperparameters, @seed, @index, @label)
                    """);
                var p = command.Parameters;
                p.AddWithValue("sweep", sweepId);
                p.AddWithValue("architecture", d.Architecture);
                p.AddWithValue("spec", NpgsqlDbType.Jsonb, d.ArchitectureSpec);
                p.AddWithValue("dataset", d.Dataset);
                p.AddWithValue("hyperparameters", NpgsqlDbType.Jsonb, d.HyperparametersJson);
                p.AddWithValue("seed", d.Seed);
                p.AddWithValue("index", trial.Index);
                p.AddWithValue("label", trial.Label);
                batch.BatchCommands.Add(command);
            }
            await using (batch)
                if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(token);
            await transaction.CommitAsync(token);
            return sweepId;
        }, ct);
    }

    /// <summary>Sweeps still running that <paramref name="driver"/> drives (<see cref="SweepDrivers"/>), oldest first: what a coordinator has to drive.</summary>
    public Task<IReadOnlyList<long>> RunningSweepsAsync(string driver, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<long>>(async token =>
        {
            await using var command = _dataSource.CreateCommand("SELECT id FROM sweeps WHERE status = 'running' AND driver = @driver ORDER BY id");
            command.Parameters.AddWithValue("driver", driver);
            return await ReadLongsAsync(command, token);
        }, ct);

    /// <summary>
    /// Picks the queued trials of a sweep to publish now and stamps them dispatched, under a per-sweep advisory lock, so
    /// concurrent coordinators never exceed max_concurrent. At most <paramref name="limit"/> are picked (the free slots
    /// of live workers). A trial published but not claimed within <paramref name="redispatchAfter"/> is picked again:
    /// its message was lost (in-memory bus after a crash, or a broker that dropped it).
    /// </summary>
    public Task<IReadOnlyList<long>> DispatchAsync(long sweepId, int limit, TimeSpan redispatchAfter, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<long>>(async token =>
        {
            if (limit <= 0) return [];
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            await LockSweepDispatchAsync(connection, transaction, sweepId, token);
            await using var pick = new NpgsqlCommand(
                $"""
                WITH {InFlight},
                     capacity AS (
                         SELECT least(@limit, coalesce((SELECT max_concurrent FROM s), 2147483647) - (SELECT n FROM in_flight)) AS n
                         FROM s),
                     picked AS (
                         SELECT id FROM trials
                         WHERE sweep_id = @sweep AND status = 'queued' AND NOT cancel_requested
                           AND (dispatched_at IS NULL OR dispatched_at <= now() - @window)
                         ORDER BY trial_index, id
                         LIMIT greatest(0, coalesce((SELECT n FROM capacity), 0)))
                UPDATE trials t SET dispatched_at = now() FROM picked WHERE t.id = picked.id RETURNING t.id
                """, connection, transaction);
            pick.Parameters.AddWithValue("sweep", sweepId);
            pick.Parameters.AddWithValue("limit", limit);
            pick.Parameters.AddWithValue("window", redispatchAfter);
            var ids = await ReadLongsAsync(pick, token);
            await transaction.CommitAsync(token);
            ids.Sort();
            return ids;
        }, ct);

    /// <summary>
    /// Makes the trial this worker's if it is still queued and its sweep still running: status running, attempts + 1,
    /// a lease of <paramref name="lease"/>. Null when someone else has it or it no longer needs running (the message
    /// was a duplicate, or stale, and is dropped), when it asks for a GPU and the worker has <paramref name="workerGpus"/> = 0,
    /// or when its sweep's rules are not recorded yet (a sweep from before migration 0009 whose coordinator has not
    /// activated; see <see cref="RecordSweepRulesAsync"/>), or when its sweep is not driven by <paramref name="driver"/>
    /// (the worker's cluster, or its own process: <see cref="SweepDrivers"/>). The claim carries the sweep's rules from its row.
    /// </summary>
    public Task<TrialClaim?> ClaimTrialAsync(long trialId, string worker, TimeSpan lease, int workerGpus = 0, string driver = SweepDrivers.Cluster,
        CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            return await ClaimAsync(connection, null, trialId, worker, lease, workerGpus, driver, token);
        }, ct);

    /// <summary>
    /// A worker whose slot has just freed claims the next queued trial of <paramref name="sweepId"/> itself, as
    /// <see cref="ClaimTrialAsync"/> would claim it (same conditions: still queued, not cancelled, the sweep running and
    /// driven by <paramref name="driver"/>, a GPU trial only with <paramref name="workerGpus"/> &gt; 0), so the slot
    /// does not wait for a round trip through the sweep's coordinator. Under the same per-sweep lock as
    /// <see cref="DispatchAsync"/>, it never claims past max_concurrent, counting as in flight the trials a coordinator
    /// picked within <paramref name="dispatchedWithin"/> and may be starting elsewhere (which it also leaves to them
    /// while another trial is queued). Null when nothing is left to claim or the sweep is at max_concurrent.
    /// </summary>
    public Task<TrialClaim?> ClaimNextTrialAsync(long sweepId, string worker, TimeSpan lease, int workerGpus, string driver, TimeSpan dispatchedWithin,
        CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            await LockSweepDispatchAsync(connection, transaction, sweepId, token);
            await using var pick = new NpgsqlCommand(
                $"""
                WITH {InFlight}
                SELECT t.id FROM trials t, s
                WHERE t.sweep_id = @sweep AND t.status = 'queued' AND NOT t.cancel_requested
                  AND coalesce(s.max_concurrent, 2147483647) > (SELECT n FROM in_flight)
                ORDER BY coalesce(t.dispatched_at > now() - @window, false), t.trial_index, t.id
                LIMIT 1 FOR UPDATE OF t SKIP LOCKED
                """, connection, transaction);
            pick.Parameters.AddWithValue("sweep", sweepId);
            pick.Parameters.AddWithValue("window", dispatchedWithin);
            if (await pick.ExecuteScalarAsync(token) is not long trialId) return null;
            var claim = await ClaimAsync(connection, transaction, trialId, worker, lease, workerGpus, driver, token);
            await transaction.CommitAsync(token);
            return claim;
        }, ct);

    // What max_concurrent counts, as CTEs over @sweep: the sweep (while it runs) and its trials in flight, running or
    // picked to start within @window (a start on its way to a worker).
    private const string InFlight = """
        s AS (SELECT max_concurrent FROM sweeps WHERE id = @sweep AND status = 'running'),
        in_flight AS (
            SELECT count(*) FILTER (WHERE status = 'running' OR (status = 'queued' AND dispatched_at > now() - @window)) AS n
            FROM trials WHERE sweep_id = @sweep AND status IN ('queued', 'running'))
        """;

    // The per-sweep lock under which trials are picked to start, so that concurrent pickers never exceed max_concurrent.
    private static async Task LockSweepDispatchAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long sweepId, CancellationToken ct)
    {
        await using var lockSweep = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7340033, @sweep::int)", connection, transaction);
        lockSweep.Parameters.AddWithValue("sweep", (int)(sweepId % int.MaxValue));
        await lockSweep.ExecuteNonQueryAsync(ct);
    }

    // The claim itself (see ClaimTrialAsync): one conditional UPDATE that makes a queued trial the worker's.
    private static async Task<TrialClaim?> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, long trialId, string worker, TimeSpan lease,
        int workerGpus, string driver, CancellationToken token)
    {
        await using var command = new NpgsqlCommand(
            """
            UPDATE trials t
            SET status = 'running', attempts = t.attempts + 1, worker = @worker, started_at = now(), finished_at = NULL,
                heartbeat_at = now(), lease_expires_at = now() + @lease, dispatched_at = NULL
            FROM trials old LEFT JOIN sweeps s ON s.id = old.sweep_id
            WHERE t.id = @id AND old.id = t.id AND t.status = 'queued' AND NOT t.cancel_requested
              AND (s.id IS NULL OR (s.status = 'running' AND s.snapshot_every IS NOT NULL AND s.driver = @driver))
              AND (coalesce(s.gpus_per_trial, 0) = 0 OR @gpus > 0)
            RETURNING t.id, t.sweep_id, t.label, t.attempts, coalesce(s.max_attempts, 1), t.architecture, t.architecture_spec::text, t.dataset,
                      t.hyperparameters::text, t.seed, t.queued_at, t.started_at, s.trace_parent, t.attempts_before_resume + t.environment_faults,
                      coalesce(s.snapshot_every, 1), coalesce(s.early_stopping, false)
            """, connection, transaction);
        command.Parameters.AddWithValue("id", trialId);
        command.Parameters.AddWithValue("worker", worker);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("gpus", workerGpus);
        command.Parameters.AddWithValue("driver", driver);
        await using var reader = await command.ExecuteReaderAsync(token);
        if (!await reader.ReadAsync(token)) return null;
        return new TrialClaim(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), NullableString(reader, 2), reader.GetInt32(3),
            reader.GetInt32(4), reader.GetString(5), reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetInt64(9),
            reader.GetFieldValue<DateTimeOffset>(10), reader.GetFieldValue<DateTimeOffset>(11), NullableString(reader, 12), reader.GetInt32(13))
        {
            Rules = new SweepRules(reader.GetInt32(14), reader.GetBoolean(15)),
        };
    }

    /// <summary>
    /// Records the rules of a sweep stored before migration 0009, as its coordinator read them from the sweep's spec;
    /// a sweep whose rules are recorded already keeps them (they are set once, when the sweep is written).
    /// </summary>
    public Task RecordSweepRulesAsync(long sweepId, SweepRules rules, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                "UPDATE sweeps SET snapshot_every = @every, early_stopping = @early WHERE id = @id AND snapshot_every IS NULL");
            command.Parameters.AddWithValue("id", sweepId);
            command.Parameters.AddWithValue("every", rules.SnapshotEvery);
            command.Parameters.AddWithValue("early", rules.EarlyStopping);
            return await command.ExecuteNonQueryAsync(token);
        }, ct);
    }

    /// <summary>
    /// Registers the worker, records a heartbeat and renews the leases of the attempts it runs. The reply names the
    /// running trials a user asked to cancel, and the trials this worker no longer owns (a coordinator took them back
    /// after the lease ran out, and maybe another worker claimed them since); the worker stops both.
    /// </summary>
    public Task<HeartbeatReply> HeartbeatAsync(WorkerHeartbeat beat, TimeSpan lease, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(beat);
        return RunAsync(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            await using (var upsert = new NpgsqlCommand(
                """
                INSERT INTO workers (name, host, slots, gpus, threads_per_slot, busy_slots, quarantined)
                VALUES (@name, @host, @slots, @gpus, @threads, @busy, @quarantined)
                ON CONFLICT (name) DO UPDATE SET host = excluded.host, slots = excluded.slots, gpus = excluded.gpus,
                    threads_per_slot = excluded.threads_per_slot, busy_slots = excluded.busy_slots, last_heartbeat = now(), stopped_at = NULL,
                    quarantined = excluded.quarantined
                """, connection, transaction))
            {
                var p = upsert.Parameters;
                p.AddWithValue("name", beat.Worker);
                p.AddWithValue("host", beat.Host);
                p.AddWithValue("slots", beat.Slots);
                p.AddWithValue("gpus", beat.Gpus);
                p.AddWithValue("threads", beat.ThreadsPerSlot);
                p.AddWithValue("busy", beat.RunningTrials.Count);
                p.Add(Nullable("quarantined", NpgsqlDbType.Text, beat.Quarantined));
                await upsert.ExecuteNonQueryAsync(token);
            }
            var owned = new HashSet<long>();
            var cancel = new HashSet<long>();
            // Fenced: a lease is renewed only while the trial still runs as the attempt this worker claimed. A worker that
            // was frozen past its lease finds its trial re-queued or someone else's attempt, and renews nothing.
            await using (var renew = new NpgsqlCommand(
                """
                UPDATE trials t SET heartbeat_at = now(), lease_expires_at = now() + @lease
                FROM unnest(@trials, @attempts) AS mine(id, attempt), trials old LEFT JOIN sweeps s ON s.id = old.sweep_id
                WHERE old.id = t.id AND t.id = mine.id AND t.attempts = mine.attempt AND t.worker = @name AND t.status = 'running'
                RETURNING t.id, t.cancel_requested OR coalesce(s.status = 'cancelled', false)
                """, connection, transaction))
            {
                renew.Parameters.AddWithValue("lease", lease);
                renew.Parameters.AddWithValue("trials", beat.RunningTrials.Select(a => a.TrialId).ToArray());
                renew.Parameters.AddWithValue("attempts", beat.RunningTrials.Select(a => a.Attempt).ToArray());
                renew.Parameters.AddWithValue("name", beat.Worker);
                await using var reader = await renew.ExecuteReaderAsync(token);
                while (await reader.ReadAsync(token))
                {
                    owned.Add(reader.GetInt64(0));
                    if (reader.GetBoolean(1)) cancel.Add(reader.GetInt64(0));
                }
            }
            // The history names only the trials this beat renewed: a lost trial gets no heartbeat from its old worker.
            await using (var history = new NpgsqlCommand(
                "INSERT INTO worker_heartbeats (worker, busy_slots, trial_ids) VALUES (@name, @busy, @trials) ON CONFLICT DO NOTHING",
                connection, transaction))
            {
                history.Parameters.AddWithValue("name", beat.Worker);
                history.Parameters.AddWithValue("busy", beat.RunningTrials.Count);
                history.Parameters.AddWithValue("trials", owned.Order().ToArray());
                await history.ExecuteNonQueryAsync(token);
            }
            await transaction.CommitAsync(token);
            return new HeartbeatReply(cancel, beat.RunningTrials.Select(a => a.TrialId).Where(id => !owned.Contains(id)).ToHashSet());
        }, ct);
    }

    /// <summary>A worker shutting down cleanly: it offers no more slots (its running trials were handed back first).</summary>
    public Task WorkerStoppedAsync(string worker, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand("UPDATE workers SET stopped_at = now(), busy_slots = 0 WHERE name = @name");
            command.Parameters.AddWithValue("name", worker);
            await command.ExecuteNonQueryAsync(token);
            return true;
        }, ct);

    /// <summary>The slots and GPUs of workers that heartbeated within <paramref name="liveWithin"/> and have not stopped.</summary>
    public Task<ClusterCapacity> CapacityAsync(TimeSpan liveWithin, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                """
                SELECT count(*)::int, coalesce(sum(slots), 0)::int, coalesce(max(gpus), 0)::int, coalesce(sum(busy_slots), 0)::int
                FROM workers WHERE stopped_at IS NULL AND last_heartbeat > now() - @live
                """);
            command.Parameters.AddWithValue("live", liveWithin);
            await using var reader = await command.ExecuteReaderAsync(token);
            await reader.ReadAsync(token);
            return new ClusterCapacity(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
        }, ct);

    /// <summary>
    /// A running trial whose lease ran out lost its worker (killed, machine gone, process crashed). It goes back to the
    /// queue to resume from its latest snapshot, or, when it has used max_attempts, is marked failed with the reason.
    /// A trial whose sweep a user cancelled becomes cancelled instead: the cancel stands whoever ends the trial.
    /// The attempt that lost it is fenced from then on: its late writes are refused.
    /// </summary>
    public Task<RedriveResult> ReclaimExpiredAsync(CancellationToken ct = default) => ReclaimExpiredAsync(TimeSpan.Zero, ct);

    /// <summary>
    /// <see cref="ReclaimExpiredAsync(CancellationToken)"/>, except while this store is in a database outage or less
    /// than <paramref name="graceAfterOutage"/> past one: nobody could heartbeat meanwhile, so a lease that ran out says
    /// nothing about its worker, and live workers get that long to renew theirs first. The check is made when the
    /// statement is about to run, not when it was called: a reclaim that waited out the outage in the store's retries
    /// would otherwise run the moment the database returns, and take every running trial away from its live worker.
    /// Takes back nothing (an empty result) while held.
    /// </summary>
    public Task<RedriveResult> ReclaimExpiredAsync(TimeSpan graceAfterOutage, CancellationToken ct = default) =>
        RedriveAsync("t.lease_expires_at < now()", "stopped heartbeating", _ => { }, ct,
            holdBack: () => _outage.DownFor is not null || (_outage.RecoveredAt is { } back && DateTimeOffset.UtcNow - back < graceAfterOutage));

    /// <summary>
    /// The cluster's membership declared the silo of worker <paramref name="worker"/> dead: its running trials are taken
    /// back at once, as <see cref="ReclaimExpiredAsync"/> takes back expired ones, without waiting for their leases.
    /// Only attempts that are still that worker's match, so a coordinator that repeats it, or another one that does it
    /// too, changes nothing more. Each attempt taken back is fenced from then on.
    /// </summary>
    public Task<RedriveResult> ReclaimFromDeadWorkerAsync(string worker, CancellationToken ct = default) =>
        RedriveAsync("t.worker = @dead", "was declared dead by the cluster", command => command.Parameters.AddWithValue("dead", worker), ct);

    /// <summary>
    /// Takes back the running sweep trials that match <paramref name="lost"/> (SQL over <c>t</c>, the trial): queued
    /// again, failed when out of attempts, cancelled when their sweep was; <paramref name="why"/> completes
    /// "worker W … during attempt N of M" in the error it records.
    /// </summary>
    private Task<RedriveResult> RedriveAsync(string lost, string why, Action<NpgsqlCommand> parameters, CancellationToken ct, Func<bool>? holdBack = null) =>
        RunAsync(async token =>
        {
            if (holdBack?.Invoke() == true) return HeldBack;
            await using var command = _dataSource.CreateCommand(
                $$"""
                WITH expired AS (
                    SELECT t.id, t.cancel_requested OR coalesce(s.status = 'cancelled', false) AS cancelled,
                           t.attempts - t.attempts_before_resume - t.environment_faults >= coalesce(s.max_attempts, 1) AS out_of_attempts,
                           t.attempts - t.attempts_before_resume - t.environment_faults AS attempt_in_budget, coalesce(s.max_attempts, 1) AS max_attempts
                    FROM trials t LEFT JOIN sweeps s ON s.id = t.sweep_id
                    WHERE t.status = 'running' AND t.sweep_id IS NOT NULL AND {{lost}}
                    -- An epoch write in flight holds its trial's row (the fence); that trial is taken back on a later pass,
                    -- once the write commits or the server ends it, rather than every expired trial waiting for it.
                    FOR UPDATE OF t SKIP LOCKED)
                UPDATE trials t
                SET status = CASE WHEN e.cancelled THEN 'cancelled' WHEN e.out_of_attempts THEN 'failed' ELSE 'queued' END,
                    error = CASE WHEN e.cancelled
                                 THEN format('cancelled by the user; its worker %s had {{why}} (last heartbeat %s)',
                                             t.worker, to_char(t.heartbeat_at, 'YYYY-MM-DD HH24:MI:SS TZ'))
                                 ELSE format('worker %s {{why}} during attempt %s of %s (last heartbeat %s)%s',
                                             t.worker, e.attempt_in_budget, e.max_attempts, to_char(t.heartbeat_at, 'YYYY-MM-DD HH24:MI:SS TZ'),
                                             coalesce('; before that: ' || t.error, '')) END,
                    finished_at = CASE WHEN e.cancelled OR e.out_of_attempts THEN now() END,
                    queued_at = CASE WHEN e.cancelled OR e.out_of_attempts THEN t.queued_at ELSE now() END,
                    dispatched_at = NULL, lease_expires_at = NULL
                FROM expired e
                WHERE t.id = e.id AND t.status = 'running'
                RETURNING t.id, t.status, t.sweep_id
                """);
            parameters(command);
            await using var reader = await command.ExecuteReaderAsync(token);
            var (requeued, failed, cancelled, sweeps) = (new List<long>(), new List<long>(), new List<long>(), new SortedSet<long>());
            while (await reader.ReadAsync(token))
            {
                var list = reader.GetString(1) switch { "failed" => failed, "queued" => requeued, _ => cancelled };
                list.Add(reader.GetInt64(0));
                sweeps.Add(reader.GetInt64(2));
            }
            return new RedriveResult(requeued, failed, cancelled) { Sweeps = [.. sweeps] };
        }, ct, reachedDatabase: result => !ReferenceEquals(result, HeldBack));

    // What a held-back take-back answers, decided without the database, so it says nothing about whether the database is back.
    private static readonly RedriveResult HeldBack = new([], [], []);

    /// <summary>
    /// The end of one attempt, written only by the worker that owns it (a worker whose trial was taken back writes nothing).
    /// Completed, stopped early, diverged and cancelled are final; <see cref="TrialStatus.Failed"/> re-queues the trial
    /// while it has attempts left (keeping the error), so a transient fault is retried. A user's cancel wins over how the
    /// worker saw the end: an attempt that stopped without finishing (the worker shut down, or failed) after its sweep was
    /// cancelled is recorded as cancelled, whichever path stopped it. Returns the status written, or null when this
    /// worker's attempt no longer owns the trial (fenced: nothing is written).
    /// </summary>
    public Task<TrialStatus?> EndAttemptAsync(TrialAttempt attempt, string worker, TrialStatus status, string? error, CancellationToken ct = default) =>
        RunAsync<TrialStatus?>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                """
                WITH ending AS (
                    SELECT t.id,
                           @status = 'failed' AND (t.cancel_requested OR coalesce(s.status = 'cancelled', false)) AS cancelled,
                           @status = 'failed' AND t.attempts - t.attempts_before_resume - t.environment_faults < coalesce(s.max_attempts, 1) AND NOT t.cancel_requested
                               AND coalesce(s.status <> 'cancelled', true) AS retry
                    FROM trials t LEFT JOIN sweeps s ON s.id = t.sweep_id
                    WHERE t.id = @id AND t.attempts = @attempt AND t.worker = @worker AND t.status = 'running')
                UPDATE trials t
                SET status = CASE WHEN e.cancelled THEN 'cancelled' WHEN e.retry THEN 'queued' ELSE @status END,
                    error = CASE WHEN e.cancelled THEN 'cancelled by the user; the attempt ended: ' || coalesce(@error, 'stopped') ELSE @error END,
                    finished_at = CASE WHEN e.retry THEN NULL ELSE now() END,
                    -- only a re-queued attempt re-enters the queue; a final one keeps its queued_at for the queue-wait figure
                    queued_at = CASE WHEN e.retry THEN now() ELSE t.queued_at END,
                    dispatched_at = NULL, lease_expires_at = NULL
                FROM ending e
                WHERE t.id = e.id
                RETURNING t.status
                """);
            ArgumentNullException.ThrowIfNull(attempt);
            command.Parameters.AddWithValue("id", attempt.TrialId);
            command.Parameters.AddWithValue("attempt", attempt.Attempt);
            command.Parameters.AddWithValue("worker", worker);
            command.Parameters.AddWithValue("status", status.ToText());
            command.Parameters.Add(Nullable("error", NpgsqlDbType.Text, error));
            return await command.ExecuteScalarAsync(token) is string written ? TrialStatusText.Parse(written) : null;
        }, ct);

    /// <summary>
    /// The attempt ended by a fault of its worker's environment (its data gone, a device error, out of memory), not of
    /// the trial: the trial goes back to the queue, for another worker, without using its budget of max_attempts
    /// (environment_faults + 1), with <paramref name="fault"/> as its error until it runs again; cancelled instead when
    /// its sweep was cancelled meanwhile. Fenced like <see cref="EndAttemptAsync"/>: returns the status written, or null
    /// (nothing written) when this attempt no longer owns the trial.
    /// </summary>
    public Task<TrialStatus?> ReturnAfterEnvironmentFaultAsync(TrialAttempt attempt, string worker, string fault, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        return RunAsync<TrialStatus?>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                """
                UPDATE trials t
                SET status = CASE WHEN t.cancel_requested OR coalesce(s.status = 'cancelled', false) THEN 'cancelled' ELSE 'queued' END,
                    environment_faults = t.environment_faults + 1, error = @fault,
                    finished_at = CASE WHEN t.cancel_requested OR coalesce(s.status = 'cancelled', false) THEN now() END,
                    queued_at = now(), dispatched_at = NULL, lease_expires_at = NULL
                FROM trials old LEFT JOIN sweeps s ON s.id = old.sweep_id
                WHERE old.id = t.id AND t.id = @id AND t.attempts = @attempt AND t.worker = @worker AND t.status = 'running'
                RETURNING t.status
                """);
            command.Parameters.AddWithValue("id", attempt.TrialId);
            command.Parameters.AddWithValue("attempt", attempt.Attempt);
            command.Parameters.AddWithValue("worker", worker);
            command.Parameters.AddWithValue("fault", fault);
            return await command.ExecuteScalarAsync(token) is string written ? TrialStatusText.Parse(written) : null;
        }, ct);
    }

    /// <summary>
    /// Workers that heartbeated within <paramref name="liveWithin"/>, have not stopped, and quarantined themselves after
    /// a fault of their environment: what `sweep status` shows as unhealthy.
    /// </summary>
    public Task<IReadOnlyList<QuarantinedWorker>> QuarantinedWorkersAsync(TimeSpan liveWithin, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<QuarantinedWorker>>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                """
                SELECT name, host, quarantined, last_heartbeat FROM workers
                WHERE quarantined IS NOT NULL AND stopped_at IS NULL AND last_heartbeat > now() - @live ORDER BY name
                """);
            command.Parameters.AddWithValue("live", liveWithin);
            await using var reader = await command.ExecuteReaderAsync(token);
            var workers = new List<QuarantinedWorker>();
            while (await reader.ReadAsync(token))
                workers.Add(new QuarantinedWorker(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
            return workers;
        }, ct);

    /// <summary>Queued trials that no live worker can ever take become failed, with the reason (they would wait forever).</summary>
    public Task<int> FailUnschedulableAsync(long sweepId, string reason, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                "UPDATE trials SET status = 'failed', error = @reason, finished_at = now(), dispatched_at = NULL WHERE sweep_id = @sweep AND status = 'queued'");
            command.Parameters.AddWithValue("sweep", sweepId);
            command.Parameters.AddWithValue("reason", "unschedulable: " + reason);
            return await command.ExecuteNonQueryAsync(token);
        }, ct);

    /// <summary>Running sweeps with no queued or running trial left become completed. Returns their ids.</summary>
    public Task<IReadOnlyList<long>> CompleteFinishedSweepsAsync(CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<long>>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                """
                UPDATE sweeps s SET status = 'completed', finished_at = now()
                WHERE s.status = 'running' AND NOT EXISTS (SELECT 1 FROM trials t WHERE t.sweep_id = s.id AND t.status IN ('queued', 'running'))
                RETURNING s.id
                """);
            return await ReadLongsAsync(command, token);
        }, ct);

    /// <summary>
    /// Cancels a running sweep: queued trials become cancelled at once; running ones are flagged, and their workers stop
    /// them at the next heartbeat, keeping the epochs recorded so far. Returns the sweep's status afterwards (cancelled, or
    /// completed when it had already ended), or null when there is no such sweep.
    /// </summary>
    public Task<SweepStatus?> CancelSweepAsync(long sweepId, CancellationToken ct = default) =>
        RunAsync<SweepStatus?>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                """
                WITH s AS (UPDATE sweeps SET status = 'cancelled', finished_at = now() WHERE id = @sweep AND status = 'running' RETURNING id),
                     q AS (UPDATE trials SET status = 'cancelled', finished_at = now(), error = 'cancelled by the user before it started'
                           WHERE sweep_id = @sweep AND status = 'queued' AND EXISTS (SELECT 1 FROM s) RETURNING id),
                     r AS (UPDATE trials SET cancel_requested = true WHERE sweep_id = @sweep AND status = 'running' AND EXISTS (SELECT 1 FROM s) RETURNING id)
                SELECT CASE WHEN EXISTS (SELECT 1 FROM s) THEN 'cancelled' ELSE (SELECT status FROM sweeps WHERE id = @sweep) END
                """);
            command.Parameters.AddWithValue("sweep", sweepId);
            return await command.ExecuteScalarAsync(token) is string status ? SweepStatusText.Parse(status) : null;
        }, ct);

    /// <summary>
    /// Re-queues a sweep's failed and cancelled trials, and running ones whose worker is gone (interrupted), with a fresh
    /// budget of max_attempts (attempts keeps counting every start: the budget counts from attempts_before_resume); completed, stopped-early and diverged trials keep their results. A re-queued trial resumes from its
    /// latest snapshot. Running trials whose lease has not run out are left to their worker (a pending cancel of theirs
    /// is withdrawn): they carry on there, or come back to the queue when the lease runs out. The sweep is driven by
    /// <paramref name="driver"/> from then on: the cluster (`sweep resume --cluster`) or the resuming process
    /// (<see cref="SweepDrivers"/>). Null when there is no such sweep.
    /// </summary>
    public Task<SweepResumption?> ResumeSweepAsync(long sweepId, string driver = SweepDrivers.Cluster, CancellationToken ct = default) =>
        RunAsync<SweepResumption?>(async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            await using var sweep = new NpgsqlCommand(
                "UPDATE sweeps SET status = 'running', finished_at = NULL, driver = @driver WHERE id = @sweep RETURNING id", connection, transaction);
            sweep.Parameters.AddWithValue("sweep", sweepId);
            sweep.Parameters.AddWithValue("driver", driver);
            if (await sweep.ExecuteScalarAsync(token) is null) return null;
            await using var trials = new NpgsqlCommand(
                """
                UPDATE trials SET status = 'queued', attempts_before_resume = attempts, environment_faults = 0, cancel_requested = false, finished_at = NULL, queued_at = now(),
                                  dispatched_at = NULL, lease_expires_at = NULL
                WHERE sweep_id = @sweep
                  AND (status IN ('failed', 'cancelled') OR (status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < now())))
                """, connection, transaction);
            trials.Parameters.AddWithValue("sweep", sweepId);
            var requeued = await trials.ExecuteNonQueryAsync(token);
            await using var leased = new NpgsqlCommand(
                """
                WITH kept AS (UPDATE trials SET cancel_requested = false WHERE sweep_id = @sweep AND status = 'running' RETURNING lease_expires_at)
                SELECT count(*)::int, max(lease_expires_at) FROM kept
                """, connection, transaction);
            leased.Parameters.AddWithValue("sweep", sweepId);
            int stillLeased;
            DateTimeOffset? leasedUntil;
            await using (var reader = await leased.ExecuteReaderAsync(token))
            {
                await reader.ReadAsync(token);
                (stillLeased, leasedUntil) = (reader.GetInt32(0), NullableTime(reader, 1));
            }
            await transaction.CommitAsync(token);
            return new SweepResumption(requeued, stillLeased, leasedUntil);
        }, ct);

    /// <summary>The sweep as submitted (sweeps.spec): the validated file's text, from which workers read the early-stopping rule.</summary>
    public Task<string?> GetSweepSpecAsync(long sweepId, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand("SELECT spec::text FROM sweeps WHERE id = @id");
            command.Parameters.AddWithValue("id", sweepId);
            return (string?)await command.ExecuteScalarAsync(token);
        }, ct);

    /// <summary>Sweeps, newest first, with their trials counted by status.</summary>
    public Task<IReadOnlyList<SweepRow>> ListSweepsAsync(int limit = 50, CancellationToken ct = default) =>
        ReadSweepsAsync("ORDER BY s.id DESC LIMIT @limit", p => p.AddWithValue("limit", limit), ct);

    public async Task<SweepRow?> GetSweepAsync(long sweepId, CancellationToken ct = default) =>
        (await ReadSweepsAsync("WHERE s.id = @id", p => p.AddWithValue("id", sweepId), ct)).SingleOrDefault();

    private Task<IReadOnlyList<SweepRow>> ReadSweepsAsync(string tail, Action<NpgsqlParameterCollection> bind, CancellationToken ct) =>
        RunAsync<IReadOnlyList<SweepRow>>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                $"SELECT {SweepColumns} FROM sweeps s {tail}");
            bind(command.Parameters);
            await using var reader = await command.ExecuteReaderAsync(token);
            var rows = new List<SweepRow>();
            while (await reader.ReadAsync(token)) rows.Add(ReadSweepRow(reader));
            return rows;
        }, ct);

    // A sweep row's columns (s is the sweeps table), in the order ReadSweepRow reads them: 14 columns.
    private const string SweepColumns =
        """
        s.id, s.name, s.status, s.dataset, s.metric, s.metric_goal = 'maximize', s.max_concurrent, s.max_attempts, s.gpus_per_trial,
        s.trace_parent, s.created_at, s.finished_at, s.driver,
        coalesce((SELECT jsonb_object_agg(status, n)::text FROM (SELECT status, count(*) AS n FROM trials WHERE sweep_id = s.id GROUP BY status) c), '{}'::text)
        """;

    private static SweepRow ReadSweepRow(NpgsqlDataReader reader)
    {
        // JsonDocument, not JsonSerializer: the serializer's first Dictionary<string, int> builds its reflection metadata,
        // ~100 ms of a short command such as `sweep status` (strace showed it between two queries).
        var counts = new Dictionary<TrialStatus, int>();
        using (var json = System.Text.Json.JsonDocument.Parse(reader.GetString(13)))
            foreach (var count in json.RootElement.EnumerateObject()) counts[TrialStatusText.Parse(count.Name)] = count.Value.GetInt32();
        return new SweepRow(reader.GetInt64(0), reader.GetString(1), SweepStatusText.Parse(reader.GetString(2)), NullableString(reader, 3),
            reader.GetString(4), reader.GetBoolean(5), reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.GetInt32(7), reader.GetDouble(8),
            NullableString(reader, 9), reader.GetFieldValue<DateTimeOffset>(10), NullableTime(reader, 11), counts) { Driver = reader.GetString(12) };
    }

    /// <summary>A sweep's trials in index order with worker, last heartbeat, progress and best value of the sweep's metric.</summary>
    public Task<IReadOnlyList<SweepTrialRow>> GetSweepTrialsAsync(long sweepId, CancellationToken ct = default) =>
        GetSweepTrialsAsync(sweepId, firstOf: null, ct);

    /// <summary>
    /// The <paramref name="firstOf"/> trials a user most needs to see (all of them when null): running ones, then failed
    /// and diverged, cancelled, queued, and the rest, each group in index order. The trained epochs, best value and
    /// best epoch are the trial's stored ones, so neither the epochs nor the sweep itself are read. An unknown sweep
    /// has no trials.
    /// </summary>
    public async Task<IReadOnlyList<SweepTrialRow>> GetSweepTrialsAsync(long sweepId, int? firstOf, CancellationToken ct = default)
    {
        if (firstOf is < 1) throw new ArgumentOutOfRangeException(nameof(firstOf), firstOf, "at least one trial");
        return [.. (await ReadSweepTrialsAsync(sweepId, firstOf, withSettings: false, ct)).Select(r => r.Progress)];
    }

    /// <summary>Every trial of the sweep with its metric per trained epoch (1, 2, …), for early-stopping decisions.</summary>
    public Task<IReadOnlyDictionary<long, double[]>> GetMetricHistoriesAsync(long sweepId, string metric, CancellationToken ct = default)
    {
        var column = MetricColumn(metric);
        return RunAsync<IReadOnlyDictionary<long, double[]>>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                $"""
                SELECT t.id, array_agg(coalesce(e.{column}, 'NaN'::float8) ORDER BY e.epoch)
                FROM trials t JOIN epochs e ON e.trial_id = t.id AND e.epoch > 0
                WHERE t.sweep_id = @sweep GROUP BY t.id
                """);
            command.Parameters.AddWithValue("sweep", sweepId);
            await using var reader = await command.ExecuteReaderAsync(token);
            var histories = new Dictionary<long, double[]>();
            while (await reader.ReadAsync(token)) histories[reader.GetInt64(0)] = reader.GetFieldValue<double[]>(1);
            return histories;
        }, ct);
    }

    private static string MetricColumn(string metric) =>
        RankableMetrics.ContainsKey(metric)
            ? metric
            : throw new ArgumentException($"Unknown metric '{metric}'. Use one of: {string.Join(", ", RankableMetrics.Keys)}.", nameof(metric));

    private static async Task<List<long>> ReadLongsAsync(NpgsqlCommand command, CancellationToken token)
    {
        await using var reader = await command.ExecuteReaderAsync(token);
        var ids = new List<long>();
        while (await reader.ReadAsync(token)) ids.Add(reader.GetInt64(0));
        return ids;
    }
}
