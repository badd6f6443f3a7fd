namespace Experiments.Bench;

/// <summary>
/// Training images per second of each timed epoch (the median is the figure reported), and the minor page faults
/// per batch over those epochs: memory the allocator handed back to the kernel and then touched again.
/// </summary>
internal sealed record Throughput(IReadOnlyList<double> EpochImagesPerSecond, double MinorFaultsPerBatch)
{
    public double Median => Statistics.Median(EpochImagesPerSecond);
}
