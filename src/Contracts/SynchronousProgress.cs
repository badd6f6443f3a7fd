namespace Experiments.Contracts;

/// <summary>
/// Reports on the calling thread, in order. <see cref="Progress{T}"/> posts to the thread pool instead, which would
/// let progress lines arrive after the result they precede.
/// </summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
