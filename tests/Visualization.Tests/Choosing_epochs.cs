using Xunit;

namespace Experiments.Visualization.Tests;

/// <summary>What <c>--epochs</c> picks from a trial whose weights were kept every 2nd epoch (stored: 0, 2, 4, 5).</summary>
public sealed class Choosing_epochs
{
    private static readonly int[] Stored = [0, 2, 4, 5];

    [Fact]
    public void A_range_takes_the_stored_epochs_within_it_as_all_does()
    {
        Assert.Equal([4, 5], new EpochSelection("3-5").Resolve(Stored, trial: 9));
        Assert.Equal([0, 2, 4], new EpochSelection("0,1-4").Resolve(Stored, trial: 9));
    }

    [Fact]
    public void An_epoch_named_alone_without_a_snapshot_is_refused_naming_the_nearest_stored_ones()
    {
        var error = Assert.Throws<VizInputException>(() => new EpochSelection("3").Resolve(Stored, trial: 9));
        Assert.Equal("trial 9 has no weight snapshot at epoch 3; the nearest stored are epochs 2 and 4 (stored: 0, 2, 4, 5)", error.Message);
    }

    [Fact]
    public void A_range_holding_no_stored_epoch_is_refused()
    {
        var error = Assert.Throws<VizInputException>(() => new EpochSelection("6-8").Resolve(Stored, trial: 9));
        Assert.StartsWith("--epochs range 6-8: trial 9 has no weight snapshot at epoch 6; the nearest stored is epoch 5", error.Message, StringComparison.Ordinal);
    }
}
