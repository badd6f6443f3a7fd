using Polly;
using Polly.Retry;

namespace Experiments.Contracts;

/// <summary>
/// The retry pipeline around every publish: a broker restarting or a connection being re-established is waited out
/// (5 tries, exponential back-off from 200 ms). A publish that still fails loses nothing: the trial stays queued in
/// PostgreSQL and the coordinator's next pass publishes it again.
/// </summary>
public static class BusResilience
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

    /// <summary>Runs a publish (or any broker call) through <see cref="Pipeline"/>.</summary>
    public static ValueTask RunAsync(Func<CancellationToken, Task> call, CancellationToken ct) =>
        Pipeline.ExecuteAsync(async token => await call(token), ct);
}
