using System.Data;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using Polly;

namespace Experiments.Store;

/// <summary>
/// The results store: trials, per-epoch metrics and weight snapshots in PostgreSQL.
/// <para>
/// Thread safety: one instance may be shared by any number of threads and tasks; each call takes its own pooled connection.
/// Consistency: an epoch's metrics and snapshot commit together or not at all, keyed by (trial, epoch); writing an
/// epoch that exists is a no-op that returns false, so redelivered or retried messages never duplicate data.
/// Failures: every call runs in a retry pipeline. Transient failures (connection refused or reset, server starting,
/// serialisation failure, deadlock) are retried with exponential back-off, 5 attempts by default, then the last one
/// is thrown. Anything else (constraint violation, missing trial, bad data) is thrown at once as the
/// <see cref="PostgresException"/> or <see cref="ArgumentException"/> that caused it.
/// A retried write whose first commit reached the server but whose acknowledgement was lost reports false
/// (WriteEpochAsync) or may count one extra attempt (MarkRunningAsync).
/// </para>
/// </summary>
public sealed partial class ResultsStore : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly ResiliencePipeline _pipeline;
    // Built on first use: EF Core's model and provider set-up cost ~25 ms of a short command's start (`sweep status` reads
    // through Npgsql alone), so only the commands that query through LINQ pay it.
    private readonly Lazy<DbContextOptions<ResultsDbContext>> _efOptions;

    private readonly StoreOutage _outage;
    private readonly ResultsStoreOptions _options;

    private ResultsStore(string connectionString, NpgsqlDataSource dataSource, ResultsStoreOptions options)
    {
        ConnectionString = connectionString;
        _dataSource = dataSource;
        _options = options;
        _outage = new StoreOutage(options);
        _pipeline = StoreResilience.Build(options, _outage);
        _efOptions = new(() => new DbContextOptionsBuilder<ResultsDbContext>().UseNpgsql(dataSource).Options);
    }

    public string ConnectionString { get; }

    /// <summary>Migrations applied by this OpenAsync (empty when the schema was already current).</summary>
    public IReadOnlyList<string> MigrationsApplied { get; private set; } = [];

    /// <summary>Test hook: called after each weight_tensors row (a tensor, or a pack of small ones) is written into the COPY stream, before it completes.</summary>
    internal Func<int, CancellationToken, ValueTask>? AfterTensorCopied { get; set; }

    public static Task<ResultsStore> OpenAsync(string connectionString, CancellationToken ct = default) =>
        OpenAsync(connectionString, null, ct);

    /// <summary>Each pooled connection's send buffer (1 MiB): a 130 MiB snapshot goes out in 130 writes, not 16,000.</summary>
    private const int SnapshotWriteBufferBytes = 1 << 20;

    /// <summary>Connects and applies pending migrations (advisory-locked, so concurrent openers are safe).</summary>
    public static async Task<ResultsStore> OpenAsync(string connectionString, ResultsStoreOptions? options, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        options ??= new ResultsStoreOptions();
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // Startup options, not SETs: they are the session's defaults, so they survive the pool's DISCARD ALL.
        var startup = new[]
        {
            builder.ConnectionStringBuilder.Options,
            options.IdleInTransactionTimeout is { } idle ? "-c idle_in_transaction_session_timeout=" + Milliseconds(idle) : null,
            options.ReadOnly ? "-c default_transaction_read_only=on" : null,
        };
        builder.ConnectionStringBuilder.Options = string.Join(' ', startup.Where(o => !string.IsNullOrWhiteSpace(o)));
        // A snapshot's COPY sends up to hundreds of MiB; Npgsql's default 8 KiB buffer makes that one send() per 8 KiB.
        if (builder.ConnectionStringBuilder.WriteBufferSize < SnapshotWriteBufferBytes)
            builder.ConnectionStringBuilder.WriteBufferSize = SnapshotWriteBufferBytes;
        var dataSource = builder.Build();
        var store = new ResultsStore(connectionString, dataSource, options);
        try
        {
            if (!options.ReadOnly) store.MigrationsApplied = await store.RunAsync(token => SchemaMigrator.ApplyAsync(dataSource, token), ct);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new EF Core context on this store's connections, for LINQ reads. Dispose it.</summary>
    public ResultsDbContext CreateDbContext() => new(_efOptions.Value);

    public Task<long> CreateSweepAsync(string name, string specJson, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand("INSERT INTO sweeps (name, spec) VALUES (@name, @spec) RETURNING id");
            command.Parameters.AddWithValue("name", name);
            command.Parameters.AddWithValue("spec", NpgsqlDbType.Jsonb, specJson);
            return (long)(await command.ExecuteScalarAsync(token))!;
        }, ct);

    public Task<long> CreateTrialAsync(TrialDefinition trial, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(trial);
        return RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                """
                INSERT INTO trials (sweep_id, architecture, architecture_spec, dataset, hyperparameters, seed)
                VALUES (@sweep, @architecture, @spec, @dataset, @hyperparameters, @seed) RETURNING id
                """);
            command.Parameters.Add(Nullable("sweep", NpgsqlDbType.Bigint, trial.SweepId));
            command.Parameters.AddWithValue("architecture", trial.Architecture);
            command.Parameters.AddWithValue("spec", NpgsqlDbType.Jsonb, trial.ArchitectureSpec);
            command.Parameters.AddWithValue("dataset", trial.Dataset);
            command.Parameters.AddWithValue("hyperparameters", NpgsqlDbType.Jsonb, trial.HyperparametersJson);
            command.Parameters.AddWithValue("seed", trial.Seed);
            return (long)(await command.ExecuteScalarAsync(token))!;
        }, ct);
    }

    /// <summary>What the attempt that is starting trains on (its splits' sizes) and by (code version, host).</summary>
    public Task RecordTrainingContextAsync(long trialId, TrainingContext context, CancellationToken ct = default) =>
        RecordTrainingContextAsync(trialId, null, context, ct);

    /// <summary>As above, fenced: throws <see cref="TrialFencedException"/> (writing nothing) when <paramref name="owner"/> no longer runs the trial.</summary>
    public Task RecordTrainingContextAsync(TrialAttempt owner, TrainingContext context, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return RecordTrainingContextAsync(owner.TrialId, owner.Attempt, context, ct);
    }

    private Task RecordTrainingContextAsync(long trialId, int? attempt, TrainingContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        return UpdateTrialAsync(trialId, attempt,
            "UPDATE trials SET train_images = @train, val_images = @val, test_images = @test, code_version = @code, host = @host WHERE id = @id",
            command =>
            {
                var p = command.Parameters;
                p.AddWithValue("train", context.TrainImages);
                p.AddWithValue("val", context.ValidationImages);
                p.AddWithValue("test", context.TestImages);
                p.AddWithValue("code", context.CodeVersion);
                p.AddWithValue("host", context.Host);
            }, ct);
    }

    /// <summary>
    /// Status running, attempts + 1, started_at now, worker recorded; clears error and finished_at. Returns the attempt,
    /// for the fenced writes that follow. Throws <see cref="KeyNotFoundException"/> when there is no such trial.
    /// </summary>
    public Task<TrialAttempt> MarkRunningAsync(long trialId, string worker, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                "UPDATE trials SET status = 'running', attempts = attempts + 1, worker = @worker, started_at = now(), finished_at = NULL, error = NULL WHERE id = @id RETURNING attempts");
            command.Parameters.AddWithValue("id", trialId);
            command.Parameters.AddWithValue("worker", worker);
            return await command.ExecuteScalarAsync(token) is int attempt
                ? new TrialAttempt(trialId, attempt)
                : throw new KeyNotFoundException($"Trial {trialId} does not exist.");
        }, ct);

    /// <summary>
    /// Ends the trial that <paramref name="owner"/> ran (a lone trial's attempt, from <see cref="MarkRunningAsync"/>):
    /// status, error and finished_at, fenced like the attempt's other writes. Throws <see cref="TrialFencedException"/>,
    /// writing nothing, when the trial no longer runs as that attempt (it was started again since, or already ended), so
    /// a process that wakes up late cannot mark finished a trial that moved on. Sweep trials end through
    /// <see cref="EndAttemptAsync"/>, which also re-queues a failed attempt.
    /// </summary>
    public Task FinishTrialAsync(TrialAttempt owner, TrialStatus status, string? error, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return UpdateTrialAsync(owner.TrialId, owner.Attempt,
            "UPDATE trials SET status = @status, error = @error, finished_at = now() WHERE id = @id",
            command =>
            {
                command.Parameters.AddWithValue("status", status.ToText());
                command.Parameters.Add(Nullable("error", NpgsqlDbType.Text, error));
            }, ct);
    }

    /// <summary>One UPDATE of a trial row; with an <paramref name="attempt"/>, only while the trial still runs as that attempt.</summary>
    private Task UpdateTrialAsync(long trialId, int? attempt, string sql, Action<NpgsqlCommand> bind, CancellationToken ct) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(attempt is null ? sql : sql + " AND attempts = @attempt AND status = 'running'");
            command.Parameters.AddWithValue("id", trialId);
            if (attempt is { } a) command.Parameters.AddWithValue("attempt", a);
            bind(command);
            if (await command.ExecuteNonQueryAsync(token) == 0)
                throw attempt is { } fenced
                    ? new TrialFencedException(new TrialAttempt(trialId, fenced), "it is not running as that attempt")
                    : new KeyNotFoundException($"Trial {trialId} does not exist.");
            return true;
        }, ct);

    /// <summary>
    /// One transaction: the epoch's metrics row and every tensor of its snapshot, keyed by (trial, epoch).
    /// Returns false (and writes nothing) when that epoch already exists: redelivery/retry is a no-op.
    /// </summary>
    public Task<bool> WriteEpochAsync(long trialId, EpochRecord epoch, IReadOnlyList<TensorSnapshot> snapshot, CancellationToken ct = default) =>
        WriteEpochAsync(trialId, epoch, snapshot, [], ct);

    /// <summary>As above, with the epoch's artifacts (richer per-split measurements) written in the same transaction.</summary>
    public Task<bool> WriteEpochAsync(long trialId, EpochRecord epoch, IReadOnlyList<TensorSnapshot> snapshot,
        IReadOnlyList<EpochArtifact> artifacts, CancellationToken ct = default) =>
        WriteEpochAsync(trialId, null, epoch, snapshot, artifacts, SnapshotPolicy.EveryEpoch, ct);

    /// <summary>
    /// As above. When the epoch comes with a snapshot, the same transaction retires older ones: every older epoch loses
    /// its optimizer state (only the latest is ever resumed from), and under a cadence (<paramref name="policy"/>) the
    /// weights of older epochs that are neither epoch 0, on the cadence, nor the trial's best. An epoch without a
    /// snapshot (a diverged one) retires nothing: the epoch before it stays what the trial resumes from.
    /// </summary>
    public Task<bool> WriteEpochAsync(long trialId, EpochRecord epoch, IReadOnlyList<TensorSnapshot> snapshot,
        IReadOnlyList<EpochArtifact> artifacts, SnapshotPolicy policy, CancellationToken ct = default) =>
        WriteEpochAsync(trialId, null, epoch, snapshot, artifacts, policy, ct);

    /// <summary>
    /// As above, written by <paramref name="owner"/>, fenced: the transaction first locks the trial row in share mode and
    /// checks that the trial is still running as that attempt, so no one can take it back before the epoch commits.
    /// Throws <see cref="TrialFencedException"/> (writing nothing) when the attempt no longer owns the trial, and
    /// <see cref="EpochWriteTimeoutException"/> when another transaction held the rows past the lock or statement timeout.
    /// </summary>
    public Task<bool> WriteEpochAsync(TrialAttempt owner, EpochRecord epoch, IReadOnlyList<TensorSnapshot> snapshot,
        IReadOnlyList<EpochArtifact> artifacts, CancellationToken ct = default) =>
        WriteEpochAsync(owner, epoch, snapshot, artifacts, SnapshotPolicy.EveryEpoch, ct);

    /// <summary>As above, retiring the older snapshots <paramref name="policy"/> does not keep.</summary>
    public Task<bool> WriteEpochAsync(TrialAttempt owner, EpochRecord epoch, IReadOnlyList<TensorSnapshot> snapshot,
        IReadOnlyList<EpochArtifact> artifacts, SnapshotPolicy policy, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return WriteEpochAsync(owner.TrialId, owner.Attempt, epoch, snapshot, artifacts, policy, ct);
    }

    private Task<bool> WriteEpochAsync(long trialId, int? attempt, EpochRecord epoch, IReadOnlyList<TensorSnapshot> snapshot,
        IReadOnlyList<EpochArtifact> artifacts, SnapshotPolicy policy, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(artifacts);
        ArgumentNullException.ThrowIfNull(epoch);
        ArgumentNullException.ThrowIfNull(snapshot);
        foreach (var tensor in snapshot) TensorLayout.Validate(tensor);
        // Packed tensors share a row, so the primary key can no longer catch a name given twice.
        if (snapshot.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"Two tensors of the snapshot are named '{twice.Key}'.", nameof(snapshot));
        var rows = SnapshotPacking.ToRows(snapshot);
        // Hashed on the thread pool while the transaction opens and the COPY streams the rows before: for an 11 M-parameter
        // snapshot with Adam's state (130 MiB) SHA-256 is about 0.3 s that would otherwise come before the first byte sent.
        var checksums = rows.Select(row => Task.Run(() => SHA256.HashData(row.Data), ct)).ToArray();

        return RunAsync(outer => WithEpochWriteTimeoutsAsync(trialId, epoch.Epoch, outer, async token =>
        {
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            await BoundEpochWriteAsync(connection, transaction, token);
            if (attempt is { } claimed) await FenceAsync(connection, transaction, new TrialAttempt(trialId, claimed), token);

            await using (var insert = new NpgsqlCommand(
                """
                INSERT INTO epochs (trial_id, epoch, learning_rate,
                                    train_loss, train_accuracy, train_samples,
                                    val_loss, val_accuracy, val_samples,
                                    test_loss, test_accuracy, test_samples,
                                    seconds, images_per_second)
                VALUES (@trial, @epoch, @lr, @trl, @tra, @trs, @vl, @va, @vs, @tel, @tea, @tes, @seconds, @ips)
                ON CONFLICT (trial_id, epoch) DO NOTHING
                RETURNING epoch
                """, connection, transaction))
            {
                var p = insert.Parameters;
                p.AddWithValue("trial", trialId);
                p.AddWithValue("epoch", epoch.Epoch);
                p.AddWithValue("lr", epoch.LearningRate);
                AddSplit(p, "tr", epoch.Train);
                AddSplit(p, "v", epoch.Validation);
                AddSplit(p, "te", epoch.Test);
                p.AddWithValue("seconds", epoch.Seconds);
                p.AddWithValue("ips", epoch.ImagesPerSecond);
                if (await insert.ExecuteScalarAsync(token) is null)
                {
                    await transaction.RollbackAsync(token);
                    return false;
                }
            }

            if (rows.Count > 0)
            {
                await using var import = await connection.BeginBinaryImportAsync(
                    "COPY weight_tensors (trial_id, epoch, ordinal, name, shape, dtype, bytes, checksum, members) FROM STDIN (FORMAT BINARY)", token);
                for (var i = 0; i < rows.Count; i++)
                {
                    var row = rows[i];
                    await import.StartRowAsync(token);
                    await import.WriteAsync(trialId, NpgsqlDbType.Bigint, token);
                    await import.WriteAsync(epoch.Epoch, NpgsqlDbType.Integer, token);
                    await import.WriteAsync(row.Ordinal, NpgsqlDbType.Integer, token);
                    await import.WriteAsync(row.Name, NpgsqlDbType.Text, token);
                    await import.WriteAsync(row.Shape, NpgsqlDbType.Array | NpgsqlDbType.Integer, token);
                    await import.WriteAsync(row.DType, NpgsqlDbType.Text, token);
                    await import.WriteAsync(row.Data, NpgsqlDbType.Bytea, token);
                    await import.WriteAsync(await checksums[i].WaitAsync(token), NpgsqlDbType.Bytea, token);
                    if (row.MembersJson is { } members) await import.WriteAsync(members, NpgsqlDbType.Jsonb, token);
                    else await import.WriteNullAsync(token);
                    if (AfterTensorCopied is { } hook) await hook(i, token);
                }
                await import.CompleteAsync(token);
            }
            if (snapshot.Count > 0) await RetireOlderSnapshotsAsync(connection, transaction, trialId, epoch.Epoch, policy, token);

            foreach (var artifact in artifacts)
            {
                await using var insertArtifact = new NpgsqlCommand(
                    "INSERT INTO epoch_artifacts (trial_id, epoch, split, kind, data) VALUES (@trial, @epoch, @split, @kind, @data::jsonb)",
                    connection, transaction);
                insertArtifact.Parameters.AddWithValue("trial", trialId);
                insertArtifact.Parameters.AddWithValue("epoch", epoch.Epoch);
                insertArtifact.Parameters.AddWithValue("split", artifact.Split);
                insertArtifact.Parameters.AddWithValue("kind", artifact.Kind);
                insertArtifact.Parameters.AddWithValue("data", artifact.Json);
                await insertArtifact.ExecuteNonQueryAsync(token);
            }

            await transaction.CommitAsync(token);
            return true;
        }), ct);
    }

    /// <summary>
    /// Bounds how long this epoch write may wait for a lock and run, so that a writer frozen mid-transaction (SIGSTOP, a
    /// partition) cannot block another writer for the whole freeze; the server's idle-in-transaction timeout ends the
    /// frozen writer's own transaction.
    /// </summary>
    private async Task BoundEpochWriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken token)
    {
        // set_config(…, true) is SET LOCAL with parameters: it ends with the transaction, so pooled sessions are untouched.
        await using var command = new NpgsqlCommand(
            "SELECT set_config('lock_timeout', @lock, true), set_config('statement_timeout', @statement, true)", connection, transaction);
        command.Parameters.AddWithValue("lock", Milliseconds(_options.EpochWriteLockTimeout));
        command.Parameters.AddWithValue("statement", Milliseconds(_options.EpochWriteStatementTimeout));
        await command.ExecuteNonQueryAsync(token);
    }

    /// <summary>
    /// The fence: locks the trial row in share mode (a reclaim or a new claim waits until this transaction ends) and
    /// throws <see cref="TrialFencedException"/> unless the trial is running as <paramref name="owner"/>'s attempt.
    /// </summary>
    private static async Task FenceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TrialAttempt owner, CancellationToken token)
    {
        await using var command = new NpgsqlCommand("SELECT attempts, status FROM trials WHERE id = @id FOR SHARE", connection, transaction);
        command.Parameters.AddWithValue("id", owner.TrialId);
        await using var reader = await command.ExecuteReaderAsync(token);
        if (!await reader.ReadAsync(token)) throw new TrialFencedException(owner, "the trial no longer exists");
        var (attempts, status) = (reader.GetInt32(0), reader.GetString(1));
        if (attempts != owner.Attempt || status != "running")
            throw new TrialFencedException(owner, $"it is {status} at attempt {attempts}");
    }

    /// <summary>Runs an epoch write, turning the server's lock or statement timeout into one clear, non-retried error.</summary>
    private async Task<bool> WithEpochWriteTimeoutsAsync(long trialId, int epoch, CancellationToken token, Func<CancellationToken, Task<bool>> write)
    {
        try
        {
            return await write(token);
        }
        catch (Exception e) when (!token.IsCancellationRequested && TimedOut(e) is { } timeout)
        {
            throw EpochWriteTimedOut(trialId, epoch, timeout);
        }

        static PostgresException? TimedOut(Exception e) =>
            (e as PostgresException ?? e.InnerException as PostgresException) is { SqlState: PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.QueryCanceled } pg ? pg : null;
    }

    private EpochWriteTimeoutException EpochWriteTimedOut(long trialId, int epoch, PostgresException cause) => new(
        string.Create(CultureInfo.InvariantCulture,
            $"trial {trialId}: epoch {epoch} was not written: {(cause.SqlState == PostgresErrorCodes.LockNotAvailable ? $"another transaction held the trial's rows for over the {_options.EpochWriteLockTimeout.TotalSeconds:0.###} s lock timeout" : $"the write ran past the {_options.EpochWriteStatementTimeout.TotalSeconds:0.###} s statement timeout")} (a writer frozen mid-write?)"),
        cause);

    private static string Milliseconds(TimeSpan timeout) => ((long)Math.Ceiling(timeout.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);

    private static void AddSplit(NpgsqlParameterCollection parameters, string prefix, SplitFigures? figures)
    {
        parameters.Add(Nullable(prefix + "l", NpgsqlDbType.Double, figures?.Loss));
        parameters.Add(Nullable(prefix + "a", NpgsqlDbType.Double, figures?.Accuracy));
        parameters.Add(Nullable(prefix + "s", NpgsqlDbType.Integer, figures?.Samples));
    }

    /// <summary>Trials, newest first, with their best epoch by validation accuracy (the trial_summary view).</summary>
    public Task<IReadOnlyList<TrialRow>> ListTrialsAsync(long? sweepId = null, int limit = 100, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<TrialRow>>(async token =>
        {
            await using var db = CreateDbContext();
            var query = db.TrialSummaries.AsNoTracking();
            if (sweepId is { } sweep) query = query.Where(s => s.SweepId == sweep);
            var rows = await query.OrderByDescending(s => s.TrialId).Take(limit).ToListAsync(token);
            return rows.ConvertAll(ToRow);
        }, ct);

    public Task<TrialRow?> GetTrialAsync(long trialId, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var db = CreateDbContext();
            var row = await db.TrialSummaries.AsNoTracking().FirstOrDefaultAsync(s => s.TrialId == trialId, token);
            return row is null ? null : ToRow(row);
        }, ct);

    /// <summary>The spec as PostgreSQL renders jsonb: the same JSON value, with key order and spacing normalised.</summary>
    public Task<string?> GetArchitectureSpecAsync(long trialId, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var db = CreateDbContext();
            return await db.Trials.AsNoTracking().Where(t => t.Id == trialId).Select(t => t.ArchitectureSpec).FirstOrDefaultAsync(token);
        }, ct);

    public Task<IReadOnlyList<EpochRecord>> GetEpochsAsync(long trialId, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<EpochRecord>>(async token =>
        {
            await using var db = CreateDbContext();
            var rows = await db.Epochs.AsNoTracking().Where(e => e.TrialId == trialId).OrderBy(e => e.Epoch).ToListAsync(token);
            return rows.ConvertAll(e => new EpochRecord(
                e.Epoch, e.LearningRate,
                Split(e.TrainLoss, e.TrainAccuracy, e.TrainSamples),
                Split(e.ValLoss, e.ValAccuracy, e.ValSamples),
                Split(e.TestLoss, e.TestAccuracy, e.TestSamples),
                e.Seconds, e.ImagesPerSecond));
        }, ct);

    private static SplitFigures? Split(double? loss, double? accuracy, int? samples) =>
        loss is null && accuracy is null && samples is null ? null : new SplitFigures(loss ?? double.NaN, accuracy ?? double.NaN, samples ?? 0);

    /// <summary>
    /// The snapshot of one epoch in its written order, packed small tensors unpacked (<see cref="SnapshotPacking"/>); each
    /// row's SHA-256 is verified. Empty when absent.
    /// </summary>
    /// <exception cref="InvalidDataException">A row fails its checksum, or a pack's members do not match its bytes.</exception>
    public Task<IReadOnlyList<TensorSnapshot>> ReadSnapshotAsync(long trialId, int epoch, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<TensorSnapshot>>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                "SELECT ordinal, name, shape, dtype, bytes, checksum, members::text FROM weight_tensors WHERE trial_id = @trial AND epoch = @epoch ORDER BY ordinal");
            command.Parameters.AddWithValue("trial", trialId);
            command.Parameters.AddWithValue("epoch", epoch);
            await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, token);
            var tensors = new List<(int Ordinal, TensorSnapshot Tensor)>();
            while (await reader.ReadAsync(token))
            {
                var ordinal = reader.GetInt32(0);
                var name = reader.GetString(1);
                var shape = await reader.GetFieldValueAsync<int[]>(2, token);
                var dtype = reader.GetString(3);
                var bytes = await reader.GetFieldValueAsync<byte[]>(4, token);
                var checksum = await reader.GetFieldValueAsync<byte[]>(5, token);
                var members = await reader.IsDBNullAsync(6, token) ? null : reader.GetString(6);
                if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(checksum))
                    throw new InvalidDataException($"Tensor '{name}' of trial {trialId}, epoch {epoch} fails its SHA-256 checksum.");
                if (members is null) tensors.Add((ordinal, new TensorSnapshot(name, shape, dtype, bytes)));
                else tensors.AddRange(SnapshotPacking.Unpack(name, bytes, members));
            }
            return tensors.OrderBy(t => t.Ordinal).Select(t => t.Tensor).ToList();
        }, ct);

    /// <summary>The metrics TopAsync ranks by, and whether higher is better.</summary>
    public static IReadOnlyDictionary<string, bool> RankableMetrics { get; } = new Dictionary<string, bool>
    {
        ["val_accuracy"] = true,
        ["val_loss"] = false,
        ["test_accuracy"] = true,
        ["test_loss"] = false,
        ["train_loss"] = false,
        ["train_accuracy"] = true,
    };

    /// <summary>
    /// metric: val_accuracy | val_loss | test_accuracy | test_loss | train_loss | train_accuracy; best trained epoch per
    /// trial (epoch 0, the untrained model, never ranks), sorted by the metric's goal (accuracies descending, losses
    /// ascending; NaN, ±Infinity and NULL never rank, as in the best each trial stores; ties: lower trial id, then earlier epoch).
    /// </summary>
    public Task<IReadOnlyList<TrialRow>> TopAsync(string metric, long? sweepId, int limit, CancellationToken ct = default)
    {
        if (!RankableMetrics.TryGetValue(metric, out var higherIsBetter))
            throw new ArgumentException($"Unknown metric '{metric}'. Use one of: {string.Join(", ", RankableMetrics.Keys)}.", nameof(metric));
        var direction = higherIsBetter ? "DESC" : "ASC";
        var sweepJoin = sweepId is null ? "" : "JOIN trials st ON st.id = e.trial_id AND st.sweep_id = @sweep";
        // metric is whitelisted above, so it is safe to splice in as a column name.
        var sql = $"""
            WITH best AS (
                SELECT DISTINCT ON (e.trial_id) e.trial_id, e.epoch, e.{metric} AS value, e.val_accuracy, e.test_accuracy
                FROM epochs e {sweepJoin}
                WHERE e.epoch > 0 AND e.{metric} IS NOT NULL AND e.{metric} NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)
                ORDER BY e.trial_id, e.{metric} {direction}, e.epoch)
            SELECT trial_id, epoch, value, val_accuracy, test_accuracy FROM best ORDER BY value {direction}, trial_id LIMIT @limit
            """;
        return RunAsync<IReadOnlyList<TrialRow>>(async token =>
        {
            var ranked = new List<(long Trial, int Epoch, double Value, double? ValAccuracy, double? TestAccuracy)>();
            await using (var command = _dataSource.CreateCommand(sql))
            {
                command.Parameters.AddWithValue("limit", limit);
                if (sweepId is { } sweep) command.Parameters.AddWithValue("sweep", sweep);
                await using var reader = await command.ExecuteReaderAsync(token);
                while (await reader.ReadAsync(token))
                    ranked.Add((reader.GetInt64(0), reader.GetInt32(1), reader.GetDouble(2), NullableDouble(reader, 3), NullableDouble(reader, 4)));
            }
            // The rest of each row is the trial's summary, read the one way every listing reads it.
            var ids = ranked.Select(r => r.Trial).ToList();
            await using var db = CreateDbContext();
            var summaries = await db.TrialSummaries.AsNoTracking().Where(s => ids.Contains(s.TrialId)).ToDictionaryAsync(s => s.TrialId, token);
            return ranked.Select(r => ToRow(summaries[r.Trial]) with
            {
                BestEpoch = r.Epoch, BestValAccuracy = r.ValAccuracy, TestAccuracyAtBest = r.TestAccuracy, RankedBy = metric, RankedValue = r.Value,
            }).ToList();
        }, ct);
    }

    /// <summary>A trial's artifacts of one kind, by epoch then split.</summary>
    public Task<IReadOnlyList<StoredArtifact>> GetArtifactsAsync(long trialId, string kind, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<StoredArtifact>>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                "SELECT epoch, split, kind, data::text FROM epoch_artifacts WHERE trial_id = @trial AND kind = @kind ORDER BY epoch, array_position(ARRAY['train', 'val', 'test'], split)");
            command.Parameters.AddWithValue("trial", trialId);
            command.Parameters.AddWithValue("kind", kind);
            await using var reader = await command.ExecuteReaderAsync(token);
            var rows = new List<StoredArtifact>();
            while (await reader.ReadAsync(token))
                rows.Add(new StoredArtifact(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            return rows;
        }, ct);

    /// <summary>The highest epoch recorded for the trial, or -1 when none.</summary>
    public Task<long> LatestEpochAsync(long trialId, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand("SELECT coalesce(max(epoch), -1)::bigint FROM epochs WHERE trial_id = @trial");
            command.Parameters.AddWithValue("trial", trialId);
            return (long)(await command.ExecuteScalarAsync(token))!;
        }, ct);

    /// <summary>
    /// The highest epoch of the trial that has a weight snapshot, or -1 when none: what a trial resumes from and what
    /// exports default to. A diverged epoch is recorded without one (its weights are not finite), so it never counts.
    /// </summary>
    public Task<long> LatestSnapshotEpochAsync(long trialId, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                "SELECT coalesce(max(epoch), -1)::bigint FROM epochs e WHERE trial_id = @trial AND EXISTS (SELECT 1 FROM weight_tensors w WHERE w.trial_id = e.trial_id AND w.epoch = e.epoch)");
            command.Parameters.AddWithValue("trial", trialId);
            return (long)(await command.ExecuteScalarAsync(token))!;
        }, ct);

    /// <summary>
    /// The trial's best trained epoch and the ranking metric's value there, as the store keeps them on the trial row
    /// (migration 0012: by its sweep's metric and goal, val_accuracy outside a sweep); null while no trained epoch has a
    /// finite value. Reads the trials row alone: the trial page asks on every live update.
    /// </summary>
    public Task<StoredBest?> GetStoredBestAsync(long trialId, CancellationToken ct = default) =>
        RunAsync<StoredBest?>(async token =>
        {
            await using var command = _dataSource.CreateCommand("SELECT best_metric_epoch, best_metric_value FROM trials WHERE id = @trial AND best_metric_epoch IS NOT NULL");
            command.Parameters.AddWithValue("trial", trialId);
            await using var reader = await command.ExecuteReaderAsync(token);
            return await reader.ReadAsync(token) ? new StoredBest(reader.GetInt32(0), reader.GetDouble(1)) : null;
        }, ct);

    /// <summary>The trial's epochs that have a weight snapshot, ascending: every recorded epoch except a diverged one.</summary>
    public Task<IReadOnlyList<int>> SnapshotEpochsAsync(long trialId, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<int>>(async token =>
        {
            await using var db = CreateDbContext();
            return await db.WeightTensors.AsNoTracking().Where(w => w.TrialId == trialId).Select(w => w.Epoch).Distinct().OrderBy(e => e).ToListAsync(token);
        }, ct);

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>When the database last answered again after an outage (UTC), or null if this store never lost it.</summary>
    public DateTimeOffset? DatabaseRecoveredAt => _outage.RecoveredAt;

    /// <summary>The database outage in progress, once it has lasted longer than this store waits one out; else null.</summary>
    public StoreUnreachableException? OutagePastBudget() => _outage.PastBudget();

    /// <summary>A failure in one short line, for logs and messages.</summary>
    public static string Describe(Exception exception) => StoreResilience.Describe(exception);

    /// <param name="reachedDatabase">
    /// Whether a result came from the database; one decided without it (a take-back held back during an outage) must
    /// not count as the database being back. Null: every result did.
    /// </param>
    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken ct, Func<T, bool>? reachedDatabase = null)
    {
        T result;
        try
        {
            result = await _pipeline.ExecuteAsync(async token => await operation(token), ct);
        }
        catch (Exception e) when (_options.OutageBudget is not null && StoreResilience.IsUnreachable(e) && _outage.DownFor is { } downFor)
        {
            // Past the outage budget: one exception that says so, instead of the driver's last connection error.
            throw new StoreUnreachableException(downFor, e);
        }
        if (reachedDatabase?.Invoke(result) != false) _outage.Succeeded();
        return result;
    }

    private static TrialRow ToRow(TrialSummaryEntity s) => new(
        s.TrialId, s.SweepId, s.Architecture, s.Dataset, s.Hyperparameters, s.Seed, TrialStatusText.Parse(s.Status), s.Attempts,
        s.Worker, s.Error, s.CreatedAt, s.StartedAt, s.FinishedAt, s.EpochsRecorded, s.BestEpoch, s.BestValAccuracy, s.TestAccuracyAtBest)
    {
        EpochsTrained = s.EpochsTrained,
        Context = s is { TrainImages: { } train, ValImages: { } validation, TestImages: { } test }
            ? new TrainingContext(train, validation, test, s.CodeVersion ?? "unknown", s.Host ?? "unknown")
            : null,
    };

    private static NpgsqlParameter Nullable<T>(string name, NpgsqlDbType type, T? value) =>
        new(name, type) { Value = (object?)value ?? DBNull.Value };

    private static string? NullableString(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
    private static double? NullableDouble(NpgsqlDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
    private static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int i) =>
        reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
}

/// <summary>Checks that a tensor's bytes match its shape and dtype before anything is written.</summary>
internal static class TensorLayout
{
    public static int ElementSize(string dtype) => dtype switch
    {
        "float32" => 4,
        "int64" => 8,
        _ => throw new ArgumentException($"Unsupported dtype '{dtype}': use float32 or int64."),
    };

    public static void Validate(TensorSnapshot tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (string.IsNullOrEmpty(tensor.Name)) throw new ArgumentException("A tensor has no name.");
        long elements = 1;
        foreach (var dim in tensor.Shape)
        {
            if (dim < 0) throw new ArgumentException($"Tensor '{tensor.Name}' has a negative dimension.");
            elements *= dim;
        }
        var expected = elements * ElementSize(tensor.DType);
        if (tensor.Data.LongLength != expected)
            throw new ArgumentException(
                $"Tensor '{tensor.Name}' of shape [{string.Join(", ", tensor.Shape)}] and dtype {tensor.DType} needs {expected} bytes, not {tensor.Data.LongLength}.");
    }
}
