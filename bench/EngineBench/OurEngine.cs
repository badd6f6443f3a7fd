using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Worker.Engine;
using Experiments.Worker.Training;

namespace Experiments.Bench;

/// <summary>Our engine, timed the way a trial trains: the real <see cref="Trainer"/> with Adam, shuffling every epoch.</summary>
internal static class OurEngine
{
    public static Throughput Measure(Architecture architecture, LabelledImages train, BenchOptions options)
    {
        var plan = ShapeInference.Plan(architecture, train.SampleShape);
        var none = LabelledImages.Empty(train.SampleShape, train.ClassNames);
        // No evaluation before or between epochs (empty validation and test splits, no train sample): only training is timed,
        // as in the PyTorch loops. The trainer's epoch clock covers the batches alone.
        var settings = new TrainingSettings
        {
            Optimizer = new OptimizerSettings(OptimizerKind.Adam),
            BatchSize = options.BatchSize,
            Epochs = options.Epochs,
            Threads = options.Threads,
            Seed = 1,
            EvaluateBeforeTraining = false,
            TrainEvaluationSample = 0,
        };
        using var model = Model.Create(plan, seed: 1);

        // Warm-up: first-touch allocations, oneDNN primitive creation and the thread pool start outside the clock.
        var warmup = train.Take(options.WarmupBatches * options.BatchSize);
        Completed(new Trainer(settings with { Epochs = 1 }).Run(model, new DatasetSplits(warmup, none, none)));

        var faults = new EpochFaults();
        var result = Completed(new Trainer(settings).Run(model, new DatasetSplits(train, none, none), faults));
        return new Throughput([.. result.Epochs.Select(e => e.ImagesPerSecond)], (double)faults.Total / faults.Batches);
    }

    /// <summary>Counts page faults from each epoch's start to its end, so copying the data into the engine is left out.</summary>
    private sealed class EpochFaults : ITrainingObserver
    {
        private long _atStart;
        public long Total { get; private set; }
        public long Batches { get; private set; }

        public void OnEpochStarted(int epoch, long totalBatches)
        {
            Batches += totalBatches;
            _atStart = MinorFaults.SoFar();
        }

        public void OnEpochCompleted(EpochMetrics metrics, Model model, Optimizer optimizer) => Total += MinorFaults.SoFar() - _atStart;
    }

    private static TrainingResult Completed(TrainingResult result) =>
        result.Outcome == TrainingOutcome.Completed ? result : throw new InvalidOperationException($"training did not complete: {result.Message}");
}
