namespace Experiments.Contracts;

/// <summary>
/// Worker → a sweep's coordinator grain: an attempt at the trial ended (any outcome), so a slot is free and the sweep
/// may be done. PostgreSQL holds the trial's state; the message only says "look at trial N", so a duplicate, late or
/// lost one is harmless. Status is what the store recorded for the attempt, or <see cref="TakenBack"/> when the store
/// refused the attempt's end because the trial had been taken back from it (its worker's slot is free all the same).
/// </summary>
[Orleans.GenerateSerializer, Orleans.Immutable, Orleans.Alias("experiments.trial-ended")]
public sealed record TrialEnded(long SweepId, long TrialId, string Status, string Worker)
{
    /// <summary>The status of an attempt that lost its trial: nothing of it was recorded.</summary>
    public const string TakenBack = "taken back";
}
