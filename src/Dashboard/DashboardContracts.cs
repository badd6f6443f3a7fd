namespace Experiments.Dashboard;

/// <summary>
/// A sweep on the sweeps page. Progress is the fraction of the sweep's planned epochs that are done (a finished trial
/// counts whole), 0–1; EtaSeconds is the time left at the pace so far, null once the sweep is no longer running or
/// before its first epoch.
/// </summary>
public sealed record SweepSummary(
    long Id, string Name, string Status, string? Dataset, string Metric, int Trials, IReadOnlyDictionary<string, int> TrialsByStatus,
    double Progress, double? EtaSeconds, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt);

/// <summary>
/// One row of a sweep's trial table. Parameters are the trial's architecture ("arch") and hyperparameters as JSON
/// values (numbers stay numbers, for sorting and filtering); ParameterTexts the same as the CLI writes them ("1e-3").
/// Best is the sweep's metric at the trial's best trained epoch (BestEpoch), BestText as every table writes it.
/// </summary>
public sealed record SweepTrial(
    long Id, int? Index, string? Label, string Name, string Status, IReadOnlyDictionary<string, object?> Parameters,
    IReadOnlyDictionary<string, string> ParameterTexts, double? Best, string BestText, int? BestEpoch, int Attempts, string? Worker,
    DateTimeOffset? HeartbeatAt, string? Error, int EpochsTrained, int PlannedEpochs);

/// <summary>
/// A sweep's page: the sweep, the parameters that differ between its trials (the table's columns), and its trials.
/// Maximize is the sweep's goal for its metric (the page draws the best trials' curves first).
/// </summary>
public sealed record SweepDetail(SweepSummary Sweep, IReadOnlyList<string> Parameters, IReadOnlyList<SweepTrial> Trials)
{
    public bool Maximize { get; init; }
}

/// <summary>
/// One trial's learning curve for one metric (train_loss, val_loss, test_loss, train_accuracy, val_accuracy,
/// test_accuracy; losses in nats, accuracies as fractions), over its trained epochs, downsampled to the plot's width.
/// </summary>
public sealed record TrialCurve(long Trial, string Name, string Metric, CurvePoints Points);

/// <summary>One recorded epoch as the trial page's table shows it; texts are written as <c>results show</c> writes them.</summary>
public sealed record EpochRow(
    int Epoch, string LearningRate, string TrainLoss, string TrainAccuracy, string ValLoss, string ValAccuracy, string TestLoss,
    string TestAccuracy, string Seconds, bool KeptWeights);

/// <summary>A layer whose kernels can be drawn: its weight tensor's name ("0.weight") and shape (out × in × height × width).</summary>
public sealed record ConvLayer(string Layer, string Tensor, IReadOnlyList<int> Shape);

/// <summary>
/// A trial's page: its settings in the CLI's order, every epoch, what the kernel picture can show, and its best trained
/// epoch with the ranking metric's value there as the store keeps them (null before a trained epoch has a finite value),
/// where the page's epoch sliders start, and its learning curves.
/// </summary>
public sealed record TrialDetail(
    long Id, long? SweepId, string Architecture, string Dataset, string Status, IReadOnlyList<Setting> Settings, IReadOnlyList<EpochRow> Epochs,
    IReadOnlyList<ConvLayer> ConvLayers, IReadOnlyList<int> SnapshotEpochs, int? BestEpoch, double? BestMetric, IReadOnlyList<TrialCurve> Curves);

/// <summary>One labelled setting of a trial.</summary>
public sealed record Setting(string Name, string Value);
