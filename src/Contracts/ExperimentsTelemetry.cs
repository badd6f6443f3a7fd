using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Experiments.Contracts;

/// <summary>
/// The one ActivitySource and Meter of the system, named "Experiments". Spans: <c>sweep</c> (coordinator) →
/// <c>trial</c> (worker; parent passed through the database as a W3C traceparent, so it survives redelivery and
/// coordinator restarts) → <c>epoch</c>. Instruments are listed in docs/observability.md.
/// </summary>
public static class ExperimentsTelemetry
{
    public const string Name = "Experiments";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> EpochsCompleted =
        Meter.CreateCounter<long>("experiments.epochs.completed", "{epoch}", "Epochs trained and recorded.");
    public static readonly Histogram<double> EpochDuration =
        Meter.CreateHistogram<double>("experiments.epoch.duration", "s", "Wall time of one training epoch.");
    public static readonly Histogram<double> ImagesPerSecond =
        Meter.CreateHistogram<double>("experiments.epoch.images_per_second", "{image}/s", "Training throughput of one epoch.");
    public static readonly Counter<long> TrialsEnded =
        Meter.CreateCounter<long>("experiments.trials.ended", "{trial}", "Trial attempts that ended, by status.");
    public static readonly Histogram<double> QueuedToRunning =
        Meter.CreateHistogram<double>("experiments.trial.queue_wait", "s", "Time from a trial entering the queue to a worker starting it.");

    /// <summary>Busy and free slots of a worker, observed when the meter is collected.</summary>
    public static void ObserveSlots(Func<int> busy, Func<int> free)
    {
        Meter.CreateObservableGauge("experiments.slots.busy", busy, "{slot}", "Worker slots running a trial.");
        Meter.CreateObservableGauge("experiments.slots.free", free, "{slot}", "Worker slots waiting for a trial.");
    }

    /// <summary>Trials by status over running sweeps (queue depth is the queued count), as a coordinator last saw them.</summary>
    public static void ObserveTrials(Func<IEnumerable<Measurement<int>>> byStatus) =>
        Meter.CreateObservableGauge("experiments.trials", byStatus, "{trial}", "Trials of running sweeps by status; status=queued is the queue depth.");

    /// <summary>The W3C traceparent of an activity, or null: what is stored with a sweep for its trials' spans.</summary>
    public static string? TraceParent(Activity? activity) => activity?.Id is { } id && activity.IdFormat == ActivityIdFormat.W3C ? id : null;

    /// <summary>The parent context stored as a traceparent, or default (a new root) when there is none or it is malformed.</summary>
    public static ActivityContext ParentFrom(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var context) ? context : default;
}
