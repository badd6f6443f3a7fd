using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Experiments.Store;

/// <summary>How <see cref="ResultsStore"/> retries transient PostgreSQL failures.</summary>
public sealed class ResultsStoreOptions
{
    /// <summary>
    /// Attempts in all, the first included, for a transient failure (and, without an <see cref="OutageBudget"/>, for an
    /// unreachable database). Default 5: about 1.5–3 s of back-off, so a short command fails fast.
    /// </summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The first back-off; each further one doubles, with jitter. Default 100 ms.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest single back-off. Default 5 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the store waits out an unreachable database (connection refused or dropped, server shutting down or
    /// starting up), counted from the first failure of the outage and shared by every call: once it is spent, every
    /// call fails at once until the database answers again. Null: only <see cref="MaxAttempts"/> bounds the retries.
    /// </summary>
    public TimeSpan? OutageBudget { get; init; }

    /// <summary>
    /// How long an epoch write waits for a lock (SET LOCAL lock_timeout) before it fails with
    /// <see cref="EpochWriteTimeoutException"/>. A healthy epoch write holds its trial's rows for one snapshot's COPY, well
    /// under a second (the largest built-in snapshot, doshi-mnist with Adam's state, is about 13.6 MB, and writes move
    /// 30–43 MiB/s: bench/README.md); 5 s of waiting means the holder is stuck (frozen or cut off), and failing then lets the writer's
    /// attempt end and be retried instead of hanging for as long as the holder is frozen. Default 5 s.
    /// </summary>
    public TimeSpan EpochWriteLockTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long any one statement of an epoch write may run (SET LOCAL statement_timeout), the snapshot's COPY included,
    /// which is also what bounds a writer frozen in the middle of its COPY (the server counts the COPY as running, not
    /// idle). At the measured 30–43 MiB/s it lets a snapshot of about 900 MB through (some 75 million parameters with
    /// Adam's state), and it is no longer than the default 30 s lease, so the row
    /// such a writer holds is free again by the time its trial would be taken back. Default 30 s.
    /// </summary>
    public TimeSpan EpochWriteStatementTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The server ends any session of this store that sits idle inside a transaction for longer
    /// (idle_in_transaction_session_timeout, a startup option of every connection). The store never waits on anything
    /// but the network between the statements of a transaction, so an idle open transaction is a frozen or cut-off
    /// process; ending it releases the rows it holds. 10 s: far above any healthy gap, and well under the 30 s lease and
    /// Orleans's frozen-silo detection (24–27 s), so the locks are gone before anyone else is given the trial. Null: the server's setting.
    /// </summary>
    public TimeSpan? IdleInTransactionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Every transaction of this store is read-only (default_transaction_read_only, a startup option of every connection),
    /// and opening it applies no migrations: for readers such as the dashboard, which must never change the results even
    /// with the application role's connection. The schema must already be current (open a writable store once first).
    /// </summary>
    public bool ReadOnly { get; init; }

    /// <summary>Called before each retry, e.g. to log it.</summary>
    public Action<StoreRetry>? OnRetry { get; init; }

    /// <summary>Called once when the database becomes unreachable and once when it answers again (not per retry).</summary>
    public Action<StoreAvailability>? OnAvailabilityChanged { get; init; }

    /// <summary>
    /// For commands that run for minutes or days (sweep run, demo, train, silo): an outage of up to 90 s is waited out
    /// (PostgreSQL restarts, fail-overs, a brief network loss), with back-off capped at 2 s so the store notices the
    /// database is back within about 2 s. 90 s leaves a margin over the 60 s a long run must survive; past it the
    /// command stops with one clear message rather than look alive while recording nothing.
    /// </summary>
    public static ResultsStoreOptions LongRunning(Action<StoreAvailability>? onAvailabilityChanged = null) => new()
    {
        OutageBudget = TimeSpan.FromSeconds(90),
        BaseDelay = TimeSpan.FromMilliseconds(200),
        MaxDelay = TimeSpan.FromSeconds(2),
        OnAvailabilityChanged = onAvailabilityChanged,
    };
}

/// <summary>One retry: which attempt failed, the back-off before the next, and the failure.</summary>
public sealed record StoreRetry(int FailedAttempt, TimeSpan Delay, Exception Exception);

/// <summary>
/// The database became unreachable (<paramref name="Reachable"/> false; <paramref name="Reason"/> is the failure, one
/// line) or answers again after <paramref name="DownFor"/>; <paramref name="Budget"/> is how long the store waits.
/// </summary>
public sealed record StoreAvailability(bool Reachable, TimeSpan DownFor, TimeSpan? Budget, string Reason);

/// <summary>The database stayed unreachable past the store's outage budget. The message is one line: for how long, and why.</summary>
public sealed class StoreUnreachableException(TimeSpan downFor, Exception cause) : Exception(MessageFor(downFor, cause), cause)
{
    public TimeSpan DownFor { get; } = downFor;

    private static string MessageFor(TimeSpan downFor, Exception cause) => string.Create(CultureInfo.InvariantCulture,
        $"the results database has been unreachable for {downFor.TotalSeconds:F0} s ({StoreResilience.Describe(cause)})");
}

internal static class StoreResilience
{
    /// <summary>
    /// Transient: the server was unreachable or dropped the connection, is starting up or short of resources
    /// (Npgsql's IsTransient; 57P01-57P03: shut down or restarted under a pooled connection), or the transaction lost a serialisation or deadlock race (40001, 40P01).
    /// Everything else (constraint violations, syntax errors, missing objects, bad data) is permanent.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
            || IsUnreachable(pg) || pg.IsTransient,
        _ => IsUnreachable(exception),
    };

    /// <summary>
    /// The database cannot be reached right now, as opposed to a query that lost a race: refused or dropped
    /// connections, timeouts, and a server shutting down, crashed or still starting (57P01-57P03, class 08).
    /// </summary>
    public static bool IsUnreachable(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
        SocketException => true,
        TimeoutException => true,
        _ => false,
    };

    /// <summary>A failure in one short line: its message and, for a network failure, the socket's reason.</summary>
    public static string Describe(Exception exception)
    {
        var text = exception.Message.Split('\n')[0].Trim();
        if (exception.InnerException is SocketException or IOException && exception.InnerException.Message is { Length: > 0 } inner
            && !text.Contains(inner, StringComparison.Ordinal))
            text += ": " + inner.Split('\n')[0].Trim();
        return text.Length <= 200 ? text : text[..200] + "…";
    }

    public static ResiliencePipeline Build(ResultsStoreOptions options, StoreOutage outage)
    {
        if (options.MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1.");
        if (options.MaxAttempts == 1 && options.OutageBudget is null) return ResiliencePipeline.Empty;
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && ShouldRetry(e, args.AttemptNumber, options, outage)),
                // The attempt count bounds retries unless an outage budget does (ShouldRetry applies both).
                MaxRetryAttempts = options.OutageBudget is null ? options.MaxAttempts - 1 : int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
                MaxDelay = options.MaxDelay,
                OnRetry = args =>
                {
                    if (args.Outcome.Exception is { } e)
                        options.OnRetry?.Invoke(new StoreRetry(args.AttemptNumber + 1, args.RetryDelay, e));
                    return default;
                },
            })
            .Build();
    }

    private static bool ShouldRetry(Exception exception, int failedAttempt, ResultsStoreOptions options, StoreOutage outage)
    {
        if (IsUnreachable(exception))
        {
            var downFor = outage.Failed(exception);
            if (options.OutageBudget is { } budget) return downFor < budget;
        }
        return IsTransient(exception) && failedAttempt < options.MaxAttempts - 1;
    }
}

/// <summary>
/// Whether the database is reachable, shared by every call of one store: an outage starts at the first failure to reach
/// it and ends at the first call that succeeds, and each is reported once, however many calls wait meanwhile.
/// </summary>
internal sealed class StoreOutage(ResultsStoreOptions options)
{
    private readonly Lock _lock = new();
    private long? _downSince;
    private Exception? _lastFailure;

    /// <summary>When the database last answered again after an outage (UTC), or null if it never went away.</summary>
    public DateTimeOffset? RecoveredAt { get; private set; }

    /// <summary>Records a failure to reach the database; returns how long the current outage has lasted.</summary>
    public TimeSpan Failed(Exception exception)
    {
        bool started;
        long since;
        lock (_lock)
        {
            started = _downSince is null;
            _downSince ??= Stopwatch.GetTimestamp();
            _lastFailure = exception;
            since = _downSince.Value;
        }
        if (started) options.OnAvailabilityChanged?.Invoke(new StoreAvailability(false, TimeSpan.Zero, options.OutageBudget, StoreResilience.Describe(exception)));
        return Stopwatch.GetElapsedTime(since);
    }

    /// <summary>How long the current outage has lasted, or null when the database is reachable.</summary>
    public TimeSpan? DownFor
    {
        get
        {
            lock (_lock) return _downSince is { } since ? Stopwatch.GetElapsedTime(since) : null;
        }
    }

    /// <summary>The outage in progress, once it has lasted longer than the budget; else null.</summary>
    public StoreUnreachableException? PastBudget()
    {
        lock (_lock)
            return options.OutageBudget is { } budget && _downSince is { } since && Stopwatch.GetElapsedTime(since) is var downFor && downFor > budget
                ? new StoreUnreachableException(downFor, _lastFailure!)
                : null;
    }

    public void Succeeded()
    {
        long since;
        lock (_lock)
        {
            if (_downSince is null) return;
            since = _downSince.Value;
            _downSince = null;
            RecoveredAt = DateTimeOffset.UtcNow;
        }
        options.OnAvailabilityChanged?.Invoke(new StoreAvailability(true, Stopwatch.GetElapsedTime(since), options.OutageBudget, ""));
    }
}
