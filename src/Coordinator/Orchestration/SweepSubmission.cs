using System.Diagnostics;
using Experiments.Architectures;
using Experiments.Contracts;
using Experiments.Store;

namespace Experiments.Coordinator.Orchestration;

/// <summary>Writes a validated sweep and all its trials (queued) to the database in one transaction.</summary>
public static class SweepSubmission
{
    /// <summary>The new sweep's id, for the cluster to drive. <paramref name="sweepSpan"/> (when traced) becomes the parent of every trial's span.</summary>
    public static Task<long> SubmitAsync(ResultsStore store, SweepSpec spec, string fileText, string source, Activity? sweepSpan, CancellationToken ct) =>
        SubmitAsync(store, spec, fileText, source, sweepSpan, SweepDrivers.Cluster, ct);

    /// <summary>As above, driven by <paramref name="driver"/>: the cluster, or the process that runs it (<see cref="SweepDrivers"/>).</summary>
    public static async Task<long> SubmitAsync(ResultsStore store, SweepSpec spec, string fileText, string source, Activity? sweepSpan, string driver,
        CancellationToken ct)
    {
        var trials = SweepExpander.Expand(spec);
        var definition = new SweepDefinition(spec.Name, new StoredSweep(fileText, source).ToJson(), spec.Dataset, spec.Metric.Name,
            spec.Metric.Goal == MetricGoal.Maximize, spec.MaxConcurrent, spec.MaxAttempts, spec.Resources.GpusPerTrial,
            ExperimentsTelemetry.TraceParent(sweepSpan), SweepJudge.RulesOf(spec), driver);
        var id = await store.CreateSweepAsync(definition, [.. trials.Select(Queued)], ct);
        sweepSpan?.SetTag("experiments.sweep.id", id).SetTag("experiments.sweep.name", spec.Name).SetTag("experiments.sweep.trials", trials.Count)
            .SetTag("experiments.dataset", spec.Dataset).SetTag("experiments.metric", spec.Metric.Name);
        return id;
    }

    public static QueuedTrial Queued(TrialSpec trial)
    {
        // The input the trial is planned for, as `train` records it: what rebuilds the model later (viz, export).
        var input = Datasets.DatasetCatalog.Get(trial.Dataset).SampleShape;
        var hyperparameters = new TrialHyperparameters(trial.Optimizer.ToString().ToLowerInvariant(), trial.LearningRate, trial.WeightDecay,
            trial.LrDecay, trial.Momentum, trial.BatchSize, trial.Epochs, trial.ValSplit, [.. input.Dims], trial.Limit > 0 ? trial.Limit : null);
        // The spec records that input too, not the architecture's default (as ArchitecturePlan.PlannedArchitecture
        // does for `train`), so a model rebuilt from the spec takes the trial's weights.
        var planned = trial.Architecture with { Input = input };
        var definition = new TrialDefinition(null, trial.Architecture.Name, ArchitectureWriter.ToJson(planned), trial.Dataset,
            hyperparameters.ToJson(), trial.Seed);
        return new QueuedTrial(definition, trial.Index, trial.Label);
    }
}
