namespace Experiments.Bench;

/// <summary>
/// Training images per second of each timed epoch (the median is the figure reported), and the minor page faults
/// per batch over those epochs: memory the allocator handed back to the kernel and then touched again.
/// </summary>
internal sealed record Throughput(IReadOnlyList<double> EpochImagesPerSecond, double MinorFaultsPerBatch)
{
    // The median, not the mean: one epoch disturbed by something else on the machine should not move the result.
    public double Median
    {
        get
        {
            var sorted = EpochImagesPerSecond.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }
}
