namespace Experiments.Worker.Training;

/// <summary>Mean cross-entropy loss and accuracy over one split.</summary>
public sealed record SplitMetrics(double Loss, double Accuracy, int Samples);

/// <summary>
/// One epoch's figures. Train figures are running means over the epoch (with dropout active and the weights
/// moving), as a PyTorch loop usually reports them; validation and test are measured after the epoch, in
/// evaluation mode. Epoch 0 is the untrained model and has no train figures.
/// </summary>
public sealed record EpochMetrics(
    int Epoch,
    double LearningRate,
    SplitMetrics? Train,
    SplitMetrics? Validation,
    SplitMetrics? Test,
    double Seconds,
    double ImagesPerSecond)
{
    /// <summary>
    /// Evaluation-mode logits of each evaluated split, for richer metrics (confusion matrices, ROC): "train" is a fixed
    /// sample of the training split (<see cref="TrainingSettings.TrainSampleSize"/>), "val" and "test" are whole.
    /// Kept out of JSON output: it is data, not a figure.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<SplitPredictions> Predictions { get; init; } = [];

    /// <summary>
    /// Wall seconds spent after the training batches evaluating the splits of <see cref="Predictions"/> and their loss
    /// and accuracy (<see cref="Seconds"/> covers the training batches alone). Not recorded: it measures this run, for
    /// profiles such as `bench grid`'s.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double EvaluationSeconds { get; init; }

    /// <summary>
    /// The epoch in which the loss stopped being finite: its figures hold the non-finite loss, and its weights are not
    /// worth keeping, so it is recorded without a snapshot. Always the last epoch of a diverged run.
    /// </summary>
    public bool Diverged { get; init; }
}

/// <summary>One split's evaluation-mode logits (row-major samples × classes) with the true labels.</summary>
public sealed record SplitPredictions(string Split, float[] Logits, int[] Labels, int Classes);

public enum TrainingOutcome { Completed, Diverged, Cancelled }

public sealed record TrainingResult(TrainingOutcome Outcome, IReadOnlyList<EpochMetrics> Epochs, string? Message = null);

/// <summary>Where an epoch is: reported every few batches, for progress bars.</summary>
public readonly record struct BatchProgress(int Epoch, long BatchesDone, long TotalBatches, double RunningLoss);

/// <summary>Watches a training run; every method has a no-op default.</summary>
public interface ITrainingObserver
{
    void OnEpochStarted(int epoch, long totalBatches) { }
    void OnBatches(BatchProgress progress) { }

    /// <summary>
    /// Called after each epoch (epoch 0 included) with the model and optimizer in their end-of-epoch state, for
    /// snapshots: <c>model.State</c> and <c>optimizer.ExportState(model)</c> together let a trial resume exactly.
    /// Also called for the epoch that diverged (<see cref="EpochMetrics.Diverged"/>), whose state must not be kept.
    /// </summary>
    void OnEpochCompleted(EpochMetrics metrics, Engine.Model model, Engine.Optimizer optimizer) { }
}

/// <summary>
/// Where a resumed trial picks up: after <paramref name="CompletedEpochs"/> epochs, with the optimizer state saved then.
/// The caller restores the model's weights from the same snapshot before training.
/// </summary>
public sealed record ResumePoint(int CompletedEpochs, IReadOnlyList<Engine.NamedTensor> OptimizerState);
