using System.Net.Sockets;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Experiments.Store;

/// <summary>How <see cref="ResultsStore"/> retries transient PostgreSQL failures.</summary>
public sealed class ResultsStoreOptions
{
    /// <summary>Attempts in all, the first included. Default 5.</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The first back-off; each further one doubles, with jitter. Default 100 ms.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest single back-off. Default 5 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Called before each retry, e.g. to log it.</summary>
    public Action<StoreRetry>? OnRetry { get; init; }
}

/// <summary>One retry: which attempt failed, the back-off before the next, and the failure.</summary>
public sealed record StoreRetry(int FailedAttempt, TimeSpan Delay, Exception Exception);

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
                // the server shut down or restarted under a pooled connection, or is still starting up
                or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            || pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.IsTransient,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
        SocketException => true,
        TimeoutException => true,
        _ => false,
    };

    public static ResiliencePipeline Build(ResultsStoreOptions options)
    {
        if (options.MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxAttempts must be at least 1.");
        if (options.MaxAttempts == 1) return ResiliencePipeline.Empty;
        return new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = options.MaxAttempts - 1,
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
}
