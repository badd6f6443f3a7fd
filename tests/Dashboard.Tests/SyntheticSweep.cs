using System.Text.Json.Nodes;
using Experiments.Store;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// A sweep written straight into the dashboard's database with figures a test chooses: each trial is the recorded
/// sweep's ffnn-100 model with some hyperparameters set, a seed, and its validation loss and accuracy per epoch.
/// </summary>
public static class SyntheticSweep
{
    /// <summary>One trial to write: its hyperparameters (over the recorded model's), seed, and per trained epoch (1, 2, …) the validation loss and accuracy.</summary>
    public sealed record Trial(IReadOnlyDictionary<string, double> Set, long Seed, double[] ValLoss, double[] ValAccuracy);

    /// <summary>Writes the sweep and returns its id and its trials' ids, in the order given.</summary>
    public static async Task<(long Sweep, IReadOnlyList<long> Trials)> WriteAsync(RecordedSweepDashboard dashboard, string name, IEnumerable<Trial> trials)
    {
        await using var writer = await ResultsStore.OpenAsync(dashboard.WriterConnection);
        var model = (await writer.GetTrialAsync(dashboard.Trial("ffnn-100", 3e-3)))!;
        var spec = (await writer.GetArchitectureSpecAsync(model.Id))!;
        var sweep = await writer.CreateSweepAsync(name, "{}");
        var ids = new List<long>();
        foreach (var trial in trials)
        {
            var hyperparameters = JsonNode.Parse(model.HyperparametersJson)!.AsObject();
            foreach (var (key, value) in trial.Set) hyperparameters[key] = value;
            hyperparameters["epochs"] = Math.Max(1, trial.ValLoss.Length);
            var id = await writer.CreateTrialAsync(new TrialDefinition(sweep, model.Architecture, spec, model.Dataset, hyperparameters.ToJsonString(), trial.Seed));
            var attempt = await writer.MarkRunningAsync(id, "test-worker");
            for (var epoch = 1; epoch <= trial.ValLoss.Length; epoch++)
                await writer.WriteEpochAsync(id, new EpochRecord(epoch, trial.Set.GetValueOrDefault("lr", 1e-3), new SplitFigures(1.0 / epoch, 0.5, 400),
                    new SplitFigures(trial.ValLoss[epoch - 1], trial.ValAccuracy[epoch - 1], 50), null, 1.0, 400), []);
            // A trial without epochs failed before its first one: a grid cell with no metric.
            await writer.FinishTrialAsync(attempt, trial.ValLoss.Length == 0 ? TrialStatus.Failed : TrialStatus.Completed, trial.ValLoss.Length == 0 ? "crashed" : null);
            ids.Add(id);
        }
        return (sweep, ids);
    }
}
