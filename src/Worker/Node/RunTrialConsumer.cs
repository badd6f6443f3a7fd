using Experiments.Contracts;
using MassTransit;

namespace Experiments.Worker.Node;

/// <summary>Takes RunTrial messages; returns once the trial has started (or was someone else's), see <see cref="TrialExecutor"/>.</summary>
public sealed class RunTrialConsumer(TrialExecutor executor) : IConsumer<RunTrial>
{
    public const string Queue = "experiments-trials";

    public Task Consume(ConsumeContext<RunTrial> context) => executor.AcceptAsync(context.Message, context.CancellationToken);
}
