using Polly;
using Polly.Retry;

namespace Experiments.Contracts;

/// <summary>
/// The retry pipeline around a worker's calls to a sweep's coordinator grain: a coordinator silo restarting, or a
/// grain reactivating elsewhere after its silo died, is waited out (5 tries, exponential back-off from 200 ms, jittered).
/// A call that still fails loses nothing: the trial's state is in PostgreSQL, and the coordinator's next pass sees it.
/// </summary>
public static class GrainCallResilience
{
    public static ResiliencePipeline Pipeline { get; } = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = 4,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
        })
        .Build();

    /// <summary>Runs a grain call through <see cref="Pipeline"/>.</summary>
    public static ValueTask RunAsync(Func<CancellationToken, Task> call, CancellationToken ct) =>
        Pipeline.ExecuteAsync(async token => await call(token), ct);
}
