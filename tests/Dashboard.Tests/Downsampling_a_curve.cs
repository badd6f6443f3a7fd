using Experiments.Store;
using Xunit;

namespace Experiments.Dashboard.Tests;

/// <summary>Series longer than the plot is wide reach the browser as min/max/last per pixel bucket; progress counts epochs.</summary>
public sealed class Downsampling_a_curve
{
    [Fact]
    public void A_curve_longer_than_the_buckets_keeps_each_buckets_lowest_highest_and_last_point_in_x_order()
    {
        // x 1…10 over 2 buckets of width 4.5: x 1–5 fall in the first, 6–10 in the second.
        var curve = new CurvePoints([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [5, 1, 9, 2, 3, 8, 7, 0, 4, 6]);
        var thinned = SeriesDownsampling.MinMaxLast(curve, buckets: 2);
        // First bucket: low 1 at x 2, high 9 at x 3, last 3 at x 5. Second: high 8 at x 6, low 0 at x 8, last 6 at x 10.
        Assert.Equal([2.0, 3, 5, 6, 8, 10], thinned.X);
        Assert.Equal([1.0, 9, 3, 8, 0, 6], thinned.Y);
    }

    [Fact]
    public void A_missing_value_is_never_a_buckets_low_or_high_and_a_short_curve_is_sent_whole()
    {
        var gappy = new CurvePoints([1, 2, 3, 4], [null, 2, null, 1]);
        var thinned = SeriesDownsampling.MinMaxLast(gappy, buckets: 1);
        Assert.Equal([2.0, 4], thinned.X);
        Assert.Equal([2.0, 1], thinned.Y);
        Assert.Same(gappy, SeriesDownsampling.MinMaxLast(gappy, buckets: 4));
    }

    [Fact]
    public void A_sweeps_progress_counts_finished_trials_whole_and_running_ones_by_their_trained_epochs()
    {
        static SweepTrialRow Trial(TrialStatus status, int trained, int planned) =>
            new(1, 0, null, status, 1, null, null, trained, planned, null, null);
        // (1 + 1 + 1/4 + 0) / 4: a completed and a stopped-early trial, one running at epoch 1 of 4, one queued.
        var progress = DashboardReader.SweepProgress([Trial(TrialStatus.Completed, 3, 3), Trial(TrialStatus.StoppedEarly, 1, 3),
            Trial(TrialStatus.Running, 1, 4), Trial(TrialStatus.Queued, 0, 4)]);
        Assert.Equal(2.25 / 4, progress, 12);
    }
}
