using Experiments.Worker.Engine;

namespace Experiments.Worker.Node;

/// <summary>
/// A trial failed because of the worker it ran on, not because of itself: the worker's copy of the data could not be
/// loaded (deleted, corrupt, not fetchable from here). Another worker may run the same trial fine.
/// </summary>
public sealed class WorkerEnvironmentException(string message, Exception cause) : Exception(message, cause);

/// <summary>
/// Tells a fault of the worker's environment from a fault of the trial (docs/cluster.md, "Quarantine"). The
/// environment's: its data missing or unreadable (<see cref="WorkerEnvironmentException"/>), the device failing (a CUDA
/// error), memory running out (the engine's or .NET's). The trial's, and so retried within its max_attempts and then
/// failed: everything else, e.g. an architecture that does not fit its input, or a loss that turned NaN (a trial that
/// diverges is not even a failure).
/// </summary>
public static class EnvironmentFaults
{
    /// <summary>What went wrong with this worker's environment, in a few words and the fault's own message; null when <paramref name="e"/> is the trial's fault.</summary>
    public static string? Describe(Exception e) => e switch
    {
        WorkerEnvironmentException => e.Message,
        EngineOutOfMemoryException or OutOfMemoryException => "out of memory: " + e.Message,
        NativeEngineException when e.Message.Contains("CUDA", StringComparison.OrdinalIgnoreCase) => "device error: " + e.Message,
        _ => null,
    };
}
