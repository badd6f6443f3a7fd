using Experiments.Worker.Engine;
using Experiments.Worker.Training;

namespace Experiments.Worker.Tests.Support;

/// <summary>A training observer made of callbacks, for tests that act at a chosen point of a run.</summary>
internal sealed class TrainingHooks : ITrainingObserver
{
    public Action<int> Started { get; init; } = _ => { };
    public Action<BatchProgress> Batches { get; init; } = _ => { };
    public Action<EpochMetrics> Completed { get; init; } = _ => { };

    public void OnEpochStarted(int epoch, long totalBatches) => Started(epoch);
    public void OnBatches(BatchProgress progress) => Batches(progress);
    public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer) => Completed(metrics);
}
