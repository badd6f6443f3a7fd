using Experiments.Contracts;
using Experiments.Contracts.Cluster;
using MassTransit;

namespace Experiments.Worker.Node;

/// <summary>
/// Takes RunTrial messages on the MassTransit cluster: returns once the trial has started here (see
/// <see cref="TrialExecutor"/>), was someone else's, or has been handed back to the bus for another worker.
/// </summary>
public sealed class RunTrialConsumer(TrialExecutor executor) : IConsumer<RunTrial>
{
    public const string Queue = "experiments-trials";

    /// <summary>
    /// How long a RunTrial message waits here for a slot before it is handed back to the bus. The coordinator publishes
    /// only into free slots, but the broker does not know which worker has them (each worker acknowledges a message as
    /// soon as its trial starts), so a message can land on a busy worker; waiting there for a whole trial would leave
    /// the free worker idle. The short wait covers a slot that is being released as its trial's TrialEnded goes out.
    /// </summary>
    public static readonly TimeSpan HandBackAfter = TimeSpan.FromSeconds(2);

    public async Task Consume(ConsumeContext<RunTrial> context)
    {
        var message = context.Message;
        switch (await executor.TryStartAsync(message.TrialId, message.GpusPerTrial, HandBackAfter, context.CancellationToken))
        {
            case TrialStartResult.NeedsGpu:
                // A GPU trial on a CPU-only worker: pass it on for a GPU worker (the coordinator dispatches GPU trials only
                // while one is live). The pause keeps two CPU-only workers from bouncing it between them at full speed.
                await Task.Delay(HandBackAfter, context.CancellationToken);
                await BusResilience.RunAsync(token => context.Publish(message, token), context.CancellationToken);
                break;
            case TrialStartResult.NoFreeSlot:
                // Busy: publish it again for a worker with a free slot (a stale copy is dropped by the claim).
                await BusResilience.RunAsync(token => context.Publish(message, token), context.CancellationToken);
                break;
        }
    }
}
