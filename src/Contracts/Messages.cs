namespace Experiments.Contracts;

/// <summary>
/// Worker → a sweep's coordinator grain: an attempt at the trial ended (any outcome), so a slot is free and the sweep
/// may be done. PostgreSQL holds the trial's state; the message only says "look at trial N", so a duplicate, late or
/// lost one is harmless.
/// </summary>
[Orleans.GenerateSerializer, Orleans.Immutable, Orleans.Alias("experiments.trial-ended")]
public sealed record TrialEnded(long SweepId, long TrialId, string Status, string Worker);
