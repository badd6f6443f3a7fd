using Experiments.Worker.Engine;

namespace Experiments.Worker.Training;

/// <summary>
/// Everything that decides how one trial trains. With the architecture, the dataset and its split seed, these
/// settings make a run reproducible: the data order of epoch e and its dropout masks derive from (Seed, e).
/// </summary>
public sealed record TrainingSettings
{
    public OptimizerSettings Optimizer { get; init; } = new();
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 64;

    /// <summary>γ of a per-epoch exponential learning-rate decay: epoch e trains at lr·γ^(e−1). 1 means none.</summary>
    public double LearningRateDecay { get; init; } = 1.0;

    public ulong Seed { get; init; }

    /// <summary>libtorch intra-op threads; 0 leaves libtorch's setting alone.</summary>
    public int Threads { get; init; }

    /// <summary>
    /// At most how many training images (the first ones, a fixed sample) are also evaluated after every epoch in
    /// evaluation mode, for the train split's confusion matrix and ROC; the running train loss and accuracy cover every
    /// image. <see cref="TrainSampleSize"/> also bounds it by the validation split.
    /// </summary>
    public int TrainEvaluationSample { get; init; } = 2_000;

    /// <summary>
    /// How many of the first training images are evaluated after every epoch: <see cref="TrainEvaluationSample"/>, and
    /// no more than the validation split holds (when it holds any), so the train sample never costs more evaluation
    /// than validation does. On the 10,000 MNIST digits (7,200 train, 800 validation) that is 800; on CIFAR-10, 2,000.
    /// </summary>
    public int TrainSampleSize(Datasets.DatasetSplits data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var bound = data.Validation.Count > 0 ? Math.Min(TrainEvaluationSample, data.Validation.Count) : TrainEvaluationSample;
        return Math.Min(bound, data.Train.Count);
    }

    /// <summary>Records epoch 0: validation and test metrics of the initial weights.</summary>
    public bool EvaluateBeforeTraining { get; init; } = true;

    /// <summary>The settings a stored trial trains with (trials.hyperparameters), on <paramref name="threads"/> threads.</summary>
    public static TrainingSettings For(Contracts.TrialHyperparameters hyperparameters, long seed, int threads) => new()
    {
        Optimizer = new OptimizerSettings(hyperparameters.Optimizer == "sgd" ? OptimizerKind.Sgd : OptimizerKind.Adam,
            hyperparameters.LearningRate, hyperparameters.WeightDecay, hyperparameters.Momentum),
        Epochs = hyperparameters.Epochs,
        BatchSize = hyperparameters.BatchSize,
        LearningRateDecay = hyperparameters.LrDecay,
        Seed = (ulong)seed,
        Threads = threads,
    };

    /// <summary>
    /// The hyperparameters recorded for these settings (what <see cref="For"/> reads back), with the data settings:
    /// the validation fraction, the input shape and the limit on training images (0 or less: all).
    /// </summary>
    public Contracts.TrialHyperparameters ToHyperparameters(double validationFraction, Architectures.TensorShape input, int limit) =>
        new(Optimizer.Kind.ToString().ToLowerInvariant(), Optimizer.LearningRate, Optimizer.WeightDecay, LearningRateDecay, Optimizer.Momentum,
            BatchSize, Epochs, validationFraction, [.. input.Dims], limit > 0 ? limit : null);

    public double LearningRateAt(int epoch) => Optimizer.LearningRate * Math.Pow(LearningRateDecay, Math.Max(0, epoch - 1));

    /// <summary>Every problem with these settings, each naming the setting; empty when they are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!(Optimizer.LearningRate > 0) || double.IsInfinity(Optimizer.LearningRate)) problems.Add($"learning rate must be a positive number, got {Optimizer.LearningRate}");
        if (!(Optimizer.WeightDecay >= 0) || double.IsInfinity(Optimizer.WeightDecay)) problems.Add($"weight decay must be ≥ 0, got {Optimizer.WeightDecay}");
        if (!(Optimizer.Momentum >= 0 && Optimizer.Momentum < 1)) problems.Add($"momentum must be in [0, 1), got {Optimizer.Momentum}");
        if (!(LearningRateDecay > 0 && LearningRateDecay <= 1)) problems.Add($"learning-rate decay γ must be in (0, 1], got {LearningRateDecay}");
        if (Epochs < 1) problems.Add($"epochs must be at least 1, got {Epochs}");
        if (BatchSize < 1) problems.Add($"batch size must be at least 1, got {BatchSize}");
        if (Threads < 0) problems.Add($"threads must be ≥ 0, got {Threads}");
        return problems;
    }
}
