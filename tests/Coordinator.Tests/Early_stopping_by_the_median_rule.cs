using static Experiments.Coordinator.Tests.Early_stopping_histories;

namespace Experiments.Coordinator.Tests;

// Values are multiples of 1/16 so the running averages below are exact and the hand-computed medians are the true ones.
public class Early_stopping_by_the_median_rule
{
    private static readonly MedianStopping GraceOneMinThree = new(GraceEpochs: 1, MinTrials: 3);

    // Running averages at epoch 2: 0.625, 0.375, 0.8125 → median 0.625.
    private static readonly IReadOnlyList<MetricHistory> ThreeOthers = Others(
        [0.5, 0.75, 0.875],
        [0.25, 0.5, 0.75],
        [0.75, 0.875, 1.0]);

    private static StopDecision Decide(EarlyStopping rule, MetricGoal goal, double[] trial, IReadOnlyList<MetricHistory> others) =>
        EarlyStoppingPolicy.Decide(rule, goal, History(1, trial), others);

    [Fact]
    public void No_early_stopping_never_stops_even_a_hopeless_trial()
    {
        var decision = Decide(EarlyStopping.None, MetricGoal.Maximize, [0.0, 0.0, double.NaN], ThreeOthers);
        Assert.False(decision.Stop);
    }

    [Fact]
    public void A_trial_whose_best_is_below_the_median_of_the_others_running_averages_is_stopped()
    {
        var decision = EarlyStoppingPolicy.Decide(GraceOneMinThree, new SweepMetric("val_accuracy", MetricGoal.Maximize),
            History(1, 0.25, 0.5), ThreeOthers);

        Assert.True(decision.Stop);
        Assert.Equal("epoch 2: best val_accuracy 0.5 is below the median 0.625 of the running averages of 3 other trials at epoch 2",
            decision.Reason);
    }

    [Fact]
    public void A_best_equal_to_the_median_continues_because_only_strictly_worse_stops()
    {
        Assert.False(Decide(GraceOneMinThree, MetricGoal.Maximize, [0.25, 0.625], ThreeOthers).Stop);
        Assert.True(Decide(GraceOneMinThree, MetricGoal.Maximize, [0.25, 0.5625], ThreeOthers).Stop);
    }

    [Fact]
    public void The_best_value_so_far_counts_not_the_latest()
    {
        // Latest 0.25 is far below the median 0.625, but the epoch-1 value 0.75 is above it.
        Assert.False(Decide(GraceOneMinThree, MetricGoal.Maximize, [0.75, 0.25], ThreeOthers).Stop);
    }

    [Fact]
    public void The_median_is_over_running_averages_not_over_the_others_latest_values()
    {
        // Each other trial: average 0.625 at epoch 2, latest 1.0. A best of 0.75 beats the first and loses to the second.
        var others = Others([0.25, 1.0], [0.25, 1.0], [0.25, 1.0]);
        Assert.False(Decide(GraceOneMinThree, MetricGoal.Maximize, [0.5, 0.75], others).Stop);
        Assert.True(Decide(GraceOneMinThree, MetricGoal.Maximize, [0.5, 0.5], others).Stop);
    }

    [Fact]
    public void The_others_running_averages_stop_at_the_trials_epoch()
    {
        // At epoch 1 the others' averages are their first values 0.5, 0.25, 0.75 → median 0.5; their later epochs must not count.
        Assert.False(Decide(GraceOneMinThree, MetricGoal.Maximize, [0.5], ThreeOthers).Stop);
        Assert.True(Decide(GraceOneMinThree, MetricGoal.Maximize, [0.4375], ThreeOthers).Stop);
    }

    [Fact]
    public void An_even_number_of_others_takes_the_mean_of_the_two_middle_averages()
    {
        // Averages at epoch 2: 0.625 and 0.375 → median 0.5.
        var others = Others([0.5, 0.75], [0.25, 0.5]);
        var rule = new MedianStopping(GraceEpochs: 1, MinTrials: 2);
        Assert.False(Decide(rule, MetricGoal.Maximize, [0.5, 0.5], others).Stop);
        Assert.True(Decide(rule, MetricGoal.Maximize, [0.4375, 0.4375], others).Stop);
    }

    [Theory]
    [InlineData(1, false)] // grace 2: epoch 1 is protected
    [InlineData(2, true)]  // epoch 2 = grace: the rule applies from here on
    [InlineData(3, true)]
    public void The_grace_period_protects_epochs_before_grace_epochs(int epochs, bool stopped)
    {
        var rule = new MedianStopping(GraceEpochs: 2, MinTrials: 1);
        var decision = Decide(rule, MetricGoal.Maximize, Enumerable.Repeat(0.0, epochs).ToArray(), ThreeOthers);
        Assert.Equal(stopped, decision.Stop);
        if (!stopped) Assert.Equal("epoch 1: within the grace period of 2 epochs", decision.Reason);
    }

    [Fact]
    public void A_grace_of_zero_applies_the_rule_from_the_first_epoch()
    {
        Assert.True(Decide(new MedianStopping(0, 1), MetricGoal.Maximize, [0.0], ThreeOthers).Stop);
    }

    [Fact]
    public void Fewer_than_min_trials_others_at_the_epoch_means_no_stopping()
    {
        // Only two of the others reached epoch 2; the third (and any with one epoch) does not count towards min_trials.
        var others = Others([0.5, 0.75], [0.25, 0.5], [0.75]);
        var decision = Decide(GraceOneMinThree, MetricGoal.Maximize, [0.0, 0.0], others);
        Assert.False(decision.Stop);
        Assert.Equal("epoch 2: 2 other trials reached epoch 2, fewer than min_trials 3", decision.Reason);

        var enough = Others([0.5, 0.75], [0.25, 0.5], [0.75, 0.875]);
        Assert.True(Decide(GraceOneMinThree, MetricGoal.Maximize, [0.0, 0.0], enough).Stop);
    }

    [Fact]
    public void The_trial_itself_among_the_others_is_not_counted()
    {
        var trial = History(7, 0.0, 0.0);
        var others = Others([0.5, 0.75], [0.25, 0.5]).Append(trial).ToList();
        Assert.False(EarlyStoppingPolicy.Decide(GraceOneMinThree, MetricGoal.Maximize, trial, others).Stop);
    }

    [Fact]
    public void Minimizing_flips_better_and_worse()
    {
        // Losses. Running averages at epoch 2: 0.75, 1.5, 0.375 → median 0.75; lower is better.
        var others = Others([1.0, 0.5], [2.0, 1.0], [0.5, 0.25]);
        var metric = new SweepMetric("val_loss", MetricGoal.Minimize);

        var stopped = EarlyStoppingPolicy.Decide(GraceOneMinThree, metric, History(1, 1.5, 1.0), others);
        Assert.True(stopped.Stop);
        Assert.Equal("epoch 2: best val_loss 1 is above the median 0.75 of the running averages of 3 other trials at epoch 2", stopped.Reason);

        Assert.False(EarlyStoppingPolicy.Decide(GraceOneMinThree, metric, History(1, 1.5, 0.75), others).Stop); // tie
        Assert.False(EarlyStoppingPolicy.Decide(GraceOneMinThree, metric, History(1, 0.5, 3.0), others).Stop); // best is epoch 1
        // The same numbers read as accuracies: 1.0 is above the median 0.75, so it continues.
        Assert.False(Decide(GraceOneMinThree, MetricGoal.Maximize, [1.5, 1.0], others).Stop);
    }

    [Fact]
    public void A_trial_that_is_NaN_at_every_epoch_is_the_worst_and_is_stopped()
    {
        var decision = EarlyStoppingPolicy.Decide(GraceOneMinThree, new SweepMetric("val_loss", MetricGoal.Minimize),
            History(1, double.NaN, double.NaN), Others([1.0, 0.5], [2.0, 1.0], [0.5, 0.25]));
        Assert.True(decision.Stop);
        Assert.Contains("best val_loss NaN", decision.Reason);
    }

    [Fact]
    public void A_NaN_epoch_does_not_hide_the_trials_real_best()
    {
        Assert.False(Decide(GraceOneMinThree, MetricGoal.Maximize, [double.NaN, 0.75], ThreeOthers).Stop);
    }

    [Fact]
    public void An_other_trial_with_a_NaN_epoch_has_the_worst_running_average()
    {
        // Averages at epoch 2: worst, 0.5, 0.75 → median 0.5. Ignoring the NaN would give 0.75, 0.5, 0.75 → median 0.75.
        var others = Others([double.NaN, 0.75], [0.5, 0.5], [0.75, 0.75]);
        Assert.False(Decide(GraceOneMinThree, MetricGoal.Maximize, [0.25, 0.5], others).Stop);
        Assert.True(Decide(GraceOneMinThree, MetricGoal.Maximize, [0.25, 0.4375], others).Stop);
    }

    [Fact]
    public void Nothing_is_worse_than_a_median_of_diverged_trials()
    {
        var others = Others([double.NaN, double.NaN], [0.5, double.NaN], [double.NaN, 0.75]);
        Assert.False(Decide(GraceOneMinThree, MetricGoal.Maximize, [double.NaN, double.NaN], others).Stop);
    }

    [Fact]
    public void A_scripted_sweep_of_nine_trials_stops_the_ones_derived_by_hand()
    {
        // grace 2, min_trials 3, maximize, 4 epochs each.
        double[][] curves =
        [
            [0.5, 0.5, 0.5, 0.5],           // t0 average 0.5
            [0.75, 0.75, 0.75, 0.75],       // t1 average 0.75
            [0.25, 0.25, 0.25, 0.25],       // t2 average 0.25
            [0.625, 0.625, 0.625, 0.625],   // t3 average 0.625
            [0.125, 0.875, 0.875, 0.875],   // t4 averages 0.125, 0.5, 0.625, 0.6875; best from epoch 2 on: 0.875
            [0.375, 0.375, 0.375, 0.375],   // t5 average 0.375
            [1.0, 0.0, 0.0, 0.0],           // t6 averages 1, 0.5, 1/3, 0.25; best stays 1.0
            [0.5, 0.25, 0.25, 0.25],        // t7 averages 0.5, 0.375, 1/3, 0.3125; best 0.5
            [0.0625, 0.0625, 0.0625, 0.0625], // t8 average 0.0625
        ];
        int[] schedule =
        [
            0, 1, 2, 3,   // epoch 1: inside the grace period
            0, 1, 2, 3,   // epoch 2: t0, t1, t2 see < 3 others at epoch 2; t3 sees 0.5, 0.75, 0.25 → median 0.5 ≤ 0.625, continues
            0, 1, 3, 2,   // epoch 3: t0, t1, t3 see < 3 others; t2 sees t0, t1, t3 → median 0.625 > 0.25: STOP t2 after epoch 3
            0, 1, 3, 2,   // epoch 4: t0, t1, t3 see < 3 others at epoch 4; t2 is stopped and skipped
            4, 5, 6, 7, 8, // epoch 1: inside the grace period
            4,            // epoch 2, others t0–t3: 0.25 0.5 0.625 0.75 → median 0.5625 ≤ 0.875, continues
            5,            // others t0–t4: 0.25 0.5 0.5 0.625 0.75 → median 0.5 > 0.375: STOP t5 after epoch 2
            6,            // others t0–t5: 0.25 0.375 0.5 0.5 0.625 0.75 → median 0.5 ≤ 1.0, continues
            7,            // others t0–t6: 0.25 0.375 0.5 0.5 0.5 0.625 0.75 → median 0.5 = best 0.5: a tie, continues
            8,            // others t0–t7: 0.25 0.375 0.375 0.5 0.5 0.5 0.625 0.75 → median 0.5 > 0.0625: STOP t8 after epoch 2
            4,            // epoch 3, others t0–t3: 0.25 0.5 0.625 0.75 → median 0.5625 ≤ 0.875, continues
            6,            // others t0–t4: 0.25 0.5 0.625 0.625 0.75 → median 0.625 ≤ 1.0, continues
            7,            // others t0–t4, t6: 0.25 1/3 0.5 0.625 0.625 0.75 → median 0.5625 > 0.5: STOP t7 after epoch 3
            4,            // epoch 4, others t0, t1, t3: 0.5 0.625 0.75 → median 0.625 ≤ 0.875, continues
            6,            // others t0, t1, t3, t4: 0.5 0.625 0.6875 0.75 → median 0.65625 ≤ 1.0, continues
            5, 7, 8,      // stopped: skipped
        ];

        var (stoppedAt, epochsRun) = Replay(new MedianStopping(2, 3), MetricGoal.Maximize, curves, schedule);

        Assert.Equal(new Dictionary<int, int> { [2] = 3, [5] = 2, [7] = 3, [8] = 2 }, stoppedAt);
        Assert.Equal([4, 4, 3, 4, 4, 2, 4, 3, 2], epochsRun);
    }
}
