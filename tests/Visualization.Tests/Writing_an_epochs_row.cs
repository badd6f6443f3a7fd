using Experiments.Store;
using Xunit;

namespace Experiments.Visualization.Tests;

/// <summary>The per-epoch table's cells (<see cref="EpochRows"/>), which the console table and the HTML report both lay out.</summary>
public sealed class Writing_an_epochs_row
{
    [Fact]
    public void A_trained_epoch_has_losses_to_4_decimals_percentages_its_time_and_whether_it_kept_its_weights()
    {
        var epoch = new EpochRecord(2, 0.003, new SplitFigures(0.091457, 0.91375, 900), new SplitFigures(0.12, 0.9, 100), new SplitFigures(0.5, 0.875, 200),
            12.345, 1234.6);

        Assert.Equal(["2", "3e-3", "0.0915", "91.38%", "0.1200", "90.00%", "0.5000", "87.50%", "12.3 s", "1,235", "✓"], EpochRows.Cells(epoch, [0, 2]));
        Assert.Equal("—", EpochRows.Cells(epoch, [0])[10]);
        Assert.Equal(10, EpochRows.Cells(epoch).Count);
    }

    [Fact]
    public void Epoch_0_is_marked_untrained_and_has_no_time()
    {
        var epoch = new EpochRecord(0, 0.001, null, new SplitFigures(2.3026, 0.1, 100), null, 0, 0);

        var cells = EpochRows.Cells(epoch);

        Assert.Equal("0 (untrained)", cells[0]);
        Assert.Equal(["–", "–", "2.3026", "10.00%", "–", "–", "–", "–"], cells.Skip(2));
    }

    [Fact]
    public void The_epoch_that_diverged_is_marked_with_its_non_finite_loss_and_no_evaluation()
    {
        // As the trainer records it: the running train figures up to the batch that diverged, no validation or test.
        var epoch = new EpochRecord(3, 0.1, new SplitFigures(double.NaN, 0.1, 640), null, null, 1.5, 426.7);

        var cells = EpochRows.Cells(epoch, [0, 1, 2]);

        Assert.Equal(["3 (diverged)", "0.1", "NaN", "10.00%", "–", "–", "–", "–", "1.5 s", "427", "—"], cells);
        Assert.True(EpochRows.Diverged(new EpochRecord(1, 0.1, new SplitFigures(0.5, 0.5, 10), new SplitFigures(double.PositiveInfinity, 0.1, 10), null, 1, 1)));
        Assert.False(EpochRows.Diverged(new EpochRecord(1, 0.1, new SplitFigures(0.5, 0.5, 10), new SplitFigures(0.6, 0.4, 10), null, 1, 1)));
    }

    [Fact]
    public void There_is_a_column_name_for_every_cell()
    {
        var epoch = new EpochRecord(1, 0.001, null, null, null, 1, 1);

        Assert.Equal(EpochRows.Columns(withWeights: false).Count, EpochRows.Cells(epoch).Count);
        Assert.Equal(EpochRows.Columns(withWeights: true).Count, EpochRows.Cells(epoch, []).Count);
        Assert.Equal("weights", EpochRows.Columns(withWeights: true)[^1]);
    }
}
