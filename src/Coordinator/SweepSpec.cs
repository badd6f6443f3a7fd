using Experiments.Architectures;

namespace Experiments.Coordinator;

public enum OptimizerKind { Adam, Sgd }

public enum MetricGoal { Maximize, Minimize }

/// <summary>The metric trials are ranked (and early-stopped) by, e.g. <c>val_accuracy</c> to maximize.</summary>
public sealed record SweepMetric(string Name, MetricGoal Goal)
{
    public static SweepMetric Default { get; } = new("val_accuracy", MetricGoal.Maximize);
}

/// <summary>What one trial asks of a worker. Zero GPUs means a CPU trial.</summary>
public sealed record SweepResources(double GpusPerTrial, int CpusPerTrial)
{
    public static SweepResources Default { get; } = new(0, 1);
}

/// <summary>How unpromising trials are cut short. A stopped trial keeps its epochs and is marked stopped early, not failed.</summary>
public abstract record EarlyStopping
{
    public static EarlyStopping None { get; } = new NoEarlyStopping();
}

public sealed record NoEarlyStopping : EarlyStopping;

/// <summary>Stop a trial whose best metric so far is worse than the median of other trials at the same epoch.</summary>
public sealed record MedianStopping(int GraceEpochs, int MinTrials) : EarlyStopping;

/// <summary>Asynchronous successive halving: rungs at grace·η^k epochs, keeping the top 1/η at each rung.</summary>
public sealed record AshaStopping(int GraceEpochs, int ReductionFactor, int MaxEpochs) : EarlyStopping;

/// <summary>Guards against a typo turning into a million trials; <see cref="Force"/> (the CLI's --force) lifts the cap.</summary>
public sealed record SweepLimits(int MaxTrials = SweepLimits.DefaultMaxTrials, bool Force = false)
{
    public const int DefaultMaxTrials = 1_000;
    public static SweepLimits Default { get; } = new();
}

/// <summary>
/// The value of every trial parameter that is not swept. A swept parameter keeps its default here
/// (and <see cref="Architecture"/> is null when the architecture is swept).
/// </summary>
public sealed record TrialParameters(
    Architecture? Architecture,
    double LearningRate,
    double WeightDecay,
    double LrDecay,
    OptimizerKind Optimizer,
    double Momentum,
    int BatchSize,
    int Epochs,
    double ValSplit,
    int Limit)
{
    /// <summary>Limit 0: every training image (see <c>train --limit</c>).</summary>
    public static TrialParameters Defaults { get; } = new(null, 1e-3, 0, 1.0, OptimizerKind.Adam, 0.9, 64, 5, 0.1, 0);

    /// <summary>This set with one parameter replaced; <paramref name="value"/> has the parameter's type (see <see cref="SweepParameters"/>).</summary>
    public TrialParameters With(string parameter, object value) => parameter switch
    {
        SweepParameters.Arch => this with { Architecture = (Architecture)value },
        SweepParameters.Lr => this with { LearningRate = (double)value },
        SweepParameters.WeightDecay => this with { WeightDecay = (double)value },
        SweepParameters.LrDecay => this with { LrDecay = (double)value },
        SweepParameters.Optimizer => this with { Optimizer = (OptimizerKind)value },
        SweepParameters.Momentum => this with { Momentum = (double)value },
        SweepParameters.BatchSize => this with { BatchSize = (int)value },
        SweepParameters.Epochs => this with { Epochs = (int)value },
        SweepParameters.ValSplit => this with { ValSplit = (double)value },
        SweepParameters.Limit => this with { Limit = (int)value },
        _ => throw new ArgumentException($"'{parameter}' is not a trial parameter", nameof(parameter)),
    };
}

/// <summary>One grid axis: a parameter and the values it takes, in file order.</summary>
public sealed record GridAxis(string Parameter, IReadOnlyList<object> Values);

/// <summary>How a random search draws one parameter.</summary>
public abstract record Distribution;

/// <summary>Uniform on [Min, Max).</summary>
public sealed record UniformDistribution(double Min, double Max) : Distribution;

/// <summary>exp(uniform(ln Min, ln Max)): every decade equally likely, as learning rates want.</summary>
public sealed record LogUniformDistribution(double Min, double Max) : Distribution;

/// <summary>One of the values, each equally likely.</summary>
public sealed record ChoiceDistribution(IReadOnlyList<object> Values) : Distribution;

public sealed record RandomParameter(string Parameter, Distribution Distribution);

/// <summary><c>random:</c> draw <see cref="Samples"/> configurations, seeded, and cross them with the grid.</summary>
public sealed record RandomSearch(int Samples, int Seed, IReadOnlyList<RandomParameter> Parameters);

/// <summary>A validated sweep file. Build with <see cref="SweepReader.Parse"/>; turn into trials with <see cref="SweepExpander.Expand"/>.</summary>
public sealed record SweepSpec(
    string Name,
    string Dataset,
    TrialParameters Constants,
    IReadOnlyList<GridAxis> Grid,
    RandomSearch? Random,
    int Repeats,
    int Seed,
    SweepMetric Metric,
    SweepResources Resources,
    int? MaxConcurrent,
    int MaxAttempts,
    EarlyStopping EarlyStopping)
{
    /// <summary>Which epochs keep their weights (<c>snapshots: {every: N}</c>); every epoch by default.</summary>
    public Store.SnapshotPolicy Snapshots { get; init; } = Store.SnapshotPolicy.EveryEpoch;

    /// <summary>grid combinations × random samples × repeats.</summary>
    public long TrialCount =>
        Grid.Aggregate(1L, (n, axis) => n * axis.Values.Count) * (Random?.Samples ?? 1) * Repeats;
}

/// <summary>One concrete trial: every parameter resolved, with a stable index and a human-readable label.</summary>
public sealed record TrialSpec(
    int Index,
    string Label,
    Architecture Architecture,
    string Dataset,
    double LearningRate,
    double WeightDecay,
    double LrDecay,
    OptimizerKind Optimizer,
    double Momentum,
    int BatchSize,
    int Epochs,
    double ValSplit,
    int Seed,
    int Repeat,
    int Limit = 0);
