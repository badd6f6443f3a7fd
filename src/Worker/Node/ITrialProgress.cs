using Experiments.Store;
using Experiments.Worker.Training;

namespace Experiments.Worker.Node;

/// <summary>Live progress of the trials this process runs, for a progress display. Called from training threads.</summary>
public interface ITrialProgress
{
    void Started(TrialClaim trial, int epochs, int resumedAfterEpoch) { }
    void Batches(long trialId, BatchProgress progress) { }
    void EpochCompleted(long trialId, EpochMetrics metrics) { }
    void Ended(long trialId, TrialStatus status, string? message) { }
}

/// <summary>No display: what a headless node uses.</summary>
public sealed class NoTrialProgress : ITrialProgress
{
    public static readonly NoTrialProgress Instance = new();
}
