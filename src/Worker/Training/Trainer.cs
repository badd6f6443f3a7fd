using System.Diagnostics;
using Experiments.Contracts;
using Experiments.Datasets;
using Experiments.Worker.Engine;

namespace Experiments.Worker.Training;

/// <summary>
/// Trains one model on one dataset for the configured epochs. Each native call trains a chunk of batches, so
/// progress and cancellation are checked between chunks while the batches themselves stay in libtorch.
/// A loss that stops being finite ends the run as <see cref="TrainingOutcome.Diverged"/>; it never throws.
/// </summary>
public sealed class Trainer(TrainingSettings settings)
{
    private const int BatchesPerCall = 16;

    public TrainingSettings Settings { get; } = settings;

    /// <param name="resume">When given, training continues after that epoch instead of starting from epoch 1; with the
    /// model's weights restored from the same epoch's snapshot, the run then ends exactly as an uninterrupted one.</param>
    public TrainingResult Run(Model model, DatasetSplits data, ITrainingObserver? observer = null, CancellationToken cancellation = default,
        ResumePoint? resume = null)
    {
        var problems = Settings.Problems();
        if (problems.Count > 0) throw new ArgumentException("invalid training settings: " + string.Join("; ", problems));
        EnsureFits(model, data);
        observer ??= NoObserver.Instance;
        if (Settings.Threads > 0) EngineRuntime.Threads = Settings.Threads;

        using var train = NativeDataset.From(data.Train);
        using var validation = NativeDataset.From(data.Validation);
        using var test = NativeDataset.From(data.Test);
        var trainSampleImages = data.Train.Take(Settings.TrainSampleSize(data));
        using var trainSample = NativeDataset.From(trainSampleImages);
        (NativeDataset, LabelledImages, string)[] evaluated =
            [(trainSample, trainSampleImages, "train"), (validation, data.Validation, "val"), (test, data.Test, "test")];
        using var optimizer = Optimizer.Create(model, Settings.Optimizer);
        if (resume is not null) optimizer.ImportState(model, resume.OptimizerState);
        var epochs = new List<EpochMetrics>();

        if (Settings.EvaluateBeforeTraining && resume is null)
        {
            var evaluation = Stopwatch.StartNew();
            var predictions = Predict(model, evaluated);
            var initial = new EpochMetrics(0, Settings.Optimizer.LearningRate, null, Metrics(predictions, "val"), Metrics(predictions, "test"), 0, 0)
            {
                Predictions = predictions,
                EvaluationSeconds = evaluation.Elapsed.TotalSeconds,
            };
            epochs.Add(initial);
            observer.OnEpochCompleted(initial, model, optimizer);
        }

        var totalBatches = (data.Train.Count + Settings.BatchSize - 1) / Settings.BatchSize;
        for (var epoch = (resume?.CompletedEpochs ?? 0) + 1; epoch <= Settings.Epochs; epoch++)
        {
            var learningRate = Settings.LearningRateAt(epoch);
            optimizer.SetLearningRate(learningRate);
            observer.OnEpochStarted(epoch, totalBatches);
            var clock = Stopwatch.StartNew();
            var stats = new NativeTrainStats();
            var orderSeed = EpochOrderSeed(Settings.Seed, epoch);
            while (stats.Batches < totalBatches && stats.NonFinite == 0)
            {
                if (cancellation.IsCancellationRequested)
                    return new TrainingResult(TrainingOutcome.Cancelled, epochs, $"cancelled during epoch {epoch}");
                NativeMethods.Check(NativeMethods.Exp_train_batches(model.Handle, optimizer.Handle, train.Handle, Settings.BatchSize,
                    orderSeed, shuffle: 1, stats.Batches, BatchesPerCall, ref stats));
                observer.OnBatches(new BatchProgress(epoch, stats.Batches, totalBatches, stats.Samples == 0 ? double.NaN : stats.LossSum / stats.Samples));
            }
            var seconds = clock.Elapsed.TotalSeconds;
            if (stats.NonFinite != 0)
            {
                // Recorded with the running train figures up to the batch that diverged (the loss non-finite); the
                // model is not evaluated: its weights are no longer numbers worth measuring.
                var diverged = new EpochMetrics(epoch, learningRate, TrainFigures(stats, divergedLoss: true), null, null,
                    seconds, stats.Samples / Math.Max(seconds, 1e-9)) { Diverged = true };
                return Diverged(epochs, diverged, observer, model, optimizer,
                    $"the training loss became NaN or infinite at epoch {epoch}, batch {stats.Batches + 1} " +
                    $"(learning rate {SettingText.Format(learningRate)}); the trial stopped as diverged. A smaller learning rate usually helps.");
            }
            var evaluation = Stopwatch.StartNew();
            var predictions = Predict(model, evaluated);
            var metrics = new EpochMetrics(epoch, learningRate, TrainFigures(stats, divergedLoss: false),
                Metrics(predictions, "val"), Metrics(predictions, "test"),
                seconds, stats.Samples / Math.Max(seconds, 1e-9))
            {
                Predictions = predictions,
                EvaluationSeconds = evaluation.Elapsed.TotalSeconds,
            };
            if (metrics.Validation is { Samples: > 0, Loss: var loss } && !double.IsFinite(loss))
                return Diverged(epochs, metrics with { Diverged = true, Predictions = [] }, observer, model, optimizer,
                    $"the validation loss became NaN or infinite after epoch {epoch} (learning rate {SettingText.Format(learningRate)}); " +
                    "the trial stopped as diverged.");
            epochs.Add(metrics);
            observer.OnEpochCompleted(metrics, model, optimizer);
        }
        return new TrainingResult(TrainingOutcome.Completed, epochs);
    }

    /// <summary>The shuffle seed of one epoch: a pure function of (trial seed, epoch), so a resumed trial sees the same order.</summary>
    public static ulong EpochOrderSeed(ulong seed, int epoch)
    {
        var x = seed ^ (0x9E3779B97F4A7C15UL * (ulong)epoch);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>Evaluation-mode logits of every non-empty split, all in one native call.</summary>
    private static IReadOnlyList<SplitPredictions> Predict(Model model, (NativeDataset Native, LabelledImages Images, string Split)[] splits)
    {
        var evaluated = splits.Where(s => s.Images.Count > 0).ToList();
        var logits = model.Predict([.. evaluated.Select(s => s.Native)]);
        return [.. evaluated.Select((s, i) => new SplitPredictions(s.Split, logits[i], s.Images.Labels, s.Images.Classes))];
    }

    private static SplitMetrics? Metrics(IReadOnlyList<SplitPredictions> predictions, string split) =>
        predictions.FirstOrDefault(p => p.Split == split) is { } p ? Evaluation.FromLogits(p.Logits, p.Labels, p.Classes) : null;

    /// <summary>The diverged epoch is reported and kept in the result like any other, so its non-finite loss is on record.</summary>
    private static TrainingResult Diverged(List<EpochMetrics> epochs, EpochMetrics diverged, ITrainingObserver observer, Model model,
        Optimizer optimizer, string message)
    {
        epochs.Add(diverged);
        observer.OnEpochCompleted(diverged, model, optimizer);
        return new TrainingResult(TrainingOutcome.Diverged, epochs, message);
    }

    /// <summary>
    /// The epoch's running train figures. When the epoch diverged the loss is NaN: the engine stops at the batch whose
    /// loss is not finite without adding it, so accuracy and samples cover the batches before it.
    /// </summary>
    private static SplitMetrics TrainFigures(NativeTrainStats stats, bool divergedLoss)
    {
        var loss = divergedLoss || stats.Samples == 0 ? double.NaN : stats.LossSum / stats.Samples;
        return new SplitMetrics(loss, stats.Samples == 0 ? double.NaN : (double)stats.Correct / stats.Samples, (int)stats.Samples);
    }

    private static void EnsureFits(Model model, DatasetSplits data)
    {
        var plan = model.Plan;
        if (!plan.Input.Equals(data.Train.SampleShape))
            throw new ArgumentException($"architecture '{plan.Architecture.Name}' was planned for {plan.Input} inputs, but the dataset's images are {data.Train.SampleShape}.");
        if (plan.Output.Elements != data.Train.Classes)
            throw new ArgumentException($"architecture '{plan.Architecture.Name}' outputs {plan.Output.Elements} class scores, but the dataset has {data.Train.Classes} classes; make its last layer output {data.Train.Classes}.");
        if (data.Train.Count == 0)
            throw new ArgumentException("the training split is empty.");
    }

    private sealed class NoObserver : ITrainingObserver
    {
        public static readonly NoObserver Instance = new();
    }
}
