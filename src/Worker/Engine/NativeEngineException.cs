namespace Experiments.Worker.Engine;

/// <summary>A failure reported by the libtorch engine, with libtorch's own message.</summary>
public class NativeEngineException(string message) : Exception(message)
{
    internal static NativeEngineException FromNative(string message) =>
        message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
            ? new EngineOutOfMemoryException(message)
            : new NativeEngineException(message);
}

/// <summary>The engine could not allocate memory (host or device): retrying with a smaller batch may help.</summary>
public sealed class EngineOutOfMemoryException(string message) : NativeEngineException(message);
