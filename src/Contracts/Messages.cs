namespace Experiments.Contracts;

// What travels on the bus. PostgreSQL holds every trial's state; a message only says "look at trial N", so a
// duplicate, late or lost message is harmless: the receiver re-reads the row and acts on what it finds.
// MassTransit needs message types in a namespace. TrialEnded also goes to a sweep's coordinator grain (Orleans).

/// <summary>
/// Coordinator → workers: trial <paramref name="TrialId"/> is queued; the first worker to claim it in the database runs it.
/// <paramref name="GpusPerTrial"/> lets a CPU-only worker pass a GPU trial on without claiming it.
/// </summary>
public sealed record RunTrial(long SweepId, long TrialId, double GpusPerTrial = 0);

/// <summary>Worker → coordinators: an attempt at the trial ended (any outcome), so a slot is free and the sweep may be done.</summary>
[Orleans.GenerateSerializer, Orleans.Immutable, Orleans.Alias("experiments.trial-ended")]
public sealed record TrialEnded(long SweepId, long TrialId, string Status, string Worker);

/// <summary>CLI → coordinators: a sweep was written (or re-queued); dispatch it now instead of at the next poll.</summary>
public sealed record SweepQueued(long SweepId);
