using static Experiments.Coordinator.Tests.Early_stopping_histories;

namespace Experiments.Coordinator.Tests;

public class Early_stopping_by_asha
{
    private static StopDecision Decide(EarlyStopping rule, MetricGoal goal, double[] trial, IReadOnlyList<MetricHistory> others) =>
        EarlyStoppingPolicy.Decide(rule, goal, History(1, trial), others);

    [Theory]
    [InlineData(1, 3, 27, new[] { 1, 3, 9 })]   // 27 itself is the end of training, not a rung
    [InlineData(1, 3, 28, new[] { 1, 3, 9, 27 })]
    [InlineData(2, 2, 16, new[] { 2, 4, 8 })]
    [InlineData(1, 3, 9, new[] { 1, 3 })]
    [InlineData(4, 2, 5, new[] { 4 })]
    [InlineData(5, 3, 5, new int[0])]
    public void Rungs_are_at_grace_times_powers_of_eta_below_max_epochs(int grace, int eta, int maxEpochs, int[] rungs)
    {
        Assert.Equal(rungs, EarlyStoppingPolicy.AshaRungs(new AshaStopping(grace, eta, maxEpochs)));
    }

    [Fact]
    public void Rungs_near_int_max_do_not_overflow()
    {
        var rungs = EarlyStoppingPolicy.AshaRungs(new AshaStopping(1, 2, int.MaxValue));
        Assert.Equal(Enumerable.Range(0, 31).Select(k => 1 << k), rungs); // 2^30 < int.MaxValue < 2^31
    }

    [Fact]
    public void A_trial_worse_than_everyone_is_stopped_at_rung_epochs_only()
    {
        // grace 1, η 3, max 27 → rungs 1, 3, 9. Five others at 1.0 for 30 epochs; the trial is 0.0 throughout.
        var rule = new AshaStopping(1, 3, 27);
        var others = Others(Enumerable.Range(0, 5).Select(_ => Enumerable.Repeat(1.0, 30).ToArray()).ToArray());

        var stoppedAt = Enumerable.Range(1, 30)
            .Where(epoch => Decide(rule, MetricGoal.Maximize, Enumerable.Repeat(0.0, epoch).ToArray(), others).Stop);

        Assert.Equal([1, 3, 9], stoppedAt);
        Assert.Equal("epoch 2: not an ASHA rung (rungs at 1, 3, 9)",
            Decide(rule, MetricGoal.Maximize, [0.0, 0.0], others).Reason);
    }

    // η = 3. The trial's rank among `recorded` distinct values at rung 1; it continues iff rank ≤ recorded / 3
    // (or fewer than 3 values are recorded).
    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(2, 2, false)] // fewer than η values: always continues
    [InlineData(3, 1, false)]
    [InlineData(3, 2, true)]  // 3 values: only the best continues
    [InlineData(5, 1, false)]
    [InlineData(5, 2, true)]  // 5/3 = 1.67: still only the best
    [InlineData(6, 2, false)] // 6/3 = 2: exactly the top two
    [InlineData(6, 3, true)]
    [InlineData(8, 2, false)]
    [InlineData(8, 3, true)]  // 8/3 = 2.67
    [InlineData(9, 3, false)]
    [InlineData(9, 4, true)]
    public void Exactly_the_top_one_over_eta_continue_at_a_rung(int recorded, int rank, bool stopped)
    {
        // Values 1..recorded; the trial takes the one with its rank, the others the rest.
        var values = Enumerable.Range(1, recorded).Select(v => (double)v).OrderDescending().ToList();
        var mine = values[rank - 1];
        var others = Others(values.Where(v => v != mine).Select(v => new[] { v }).ToArray());

        var decision = Decide(new AshaStopping(1, 3, 9), MetricGoal.Maximize, [mine], others);

        Assert.Equal(stopped, decision.Stop);
    }

    [Fact]
    public void The_reason_names_the_rank_and_how_many_continue()
    {
        var decision = EarlyStoppingPolicy.Decide(new AshaStopping(1, 3, 9), new SweepMetric("val_accuracy", MetricGoal.Maximize),
            History(1, 0.5), Others([0.9], [0.8], [0.7], [0.2], [0.1]));
        Assert.True(decision.Stop);
        Assert.Equal("epoch 1 (ASHA rung 1 of 2): val_accuracy 0.5 ranks 4th of 6 trials at this rung; only the top 2 (1/3) continue",
            decision.Reason);
    }

    [Fact]
    public void Ties_go_in_the_trials_favour()
    {
        var rule = new AshaStopping(1, 3, 9);
        // Three equal values: all share rank 1, so each continues.
        Assert.False(Decide(rule, MetricGoal.Maximize, [0.5], Others([0.5], [0.5])).Stop);
        // Six values 0.75 0.5 0.5 0.5 0.25 0.25: a 0.5 ranks 2nd (one strictly better) and 2 ≤ 6/3.
        Assert.False(Decide(rule, MetricGoal.Maximize, [0.5], Others([0.75], [0.5], [0.5], [0.25], [0.25])).Stop);
        // Six values 0.75 0.75 0.5 …: a 0.5 ranks 3rd, outside the top 2.
        Assert.True(Decide(rule, MetricGoal.Maximize, [0.5], Others([0.75], [0.75], [0.5], [0.25], [0.25])).Stop);
    }

    [Fact]
    public void Minimizing_flips_better_and_worse()
    {
        var rule = new AshaStopping(1, 3, 9);
        var others = Others([1.0], [2.0]);
        Assert.False(Decide(rule, MetricGoal.Minimize, [0.5], others).Stop);
        Assert.True(Decide(rule, MetricGoal.Minimize, [1.5], others).Stop);
        Assert.True(Decide(rule, MetricGoal.Maximize, [0.5], others).Stop);
        Assert.False(Decide(rule, MetricGoal.Maximize, [2.5], others).Stop);
    }

    [Fact]
    public void The_value_at_the_rung_epoch_counts_not_the_trials_best()
    {
        // Rung 3. The trial was 0.9 at epoch 1 but 0.1 at epoch 3, the worst of three at the rung.
        var rule = new AshaStopping(1, 3, 27);
        Assert.True(Decide(rule, MetricGoal.Maximize, [0.9, 0.1, 0.1], Others([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])).Stop);
    }

    [Fact]
    public void Others_count_with_their_value_at_the_rung_epoch_not_their_latest()
    {
        // Rung 3: the others were 0.25 and 0.125 at epoch 3, so the trial's 0.5 is the best there, whatever came later.
        var rule = new AshaStopping(1, 3, 27);
        var others = Others([0.0, 0.0, 0.25, 0.9, 0.9], [0.0, 0.0, 0.125, 0.9, 0.9]);
        Assert.False(Decide(rule, MetricGoal.Maximize, [0.0, 0.0, 0.5], others).Stop);
    }

    [Fact]
    public void Others_that_have_not_reached_the_rung_are_not_recorded_there()
    {
        // Rung 3: only one other reached it, so two values are recorded (< η = 3) and even the worst continues.
        var rule = new AshaStopping(1, 3, 27);
        var others = Others([1.0, 1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [1.0], [1.0]);
        var decision = Decide(rule, MetricGoal.Maximize, [0.0, 0.0, 0.0], others);
        Assert.False(decision.Stop);
        Assert.Equal("epoch 3 (ASHA rung 2 of 3): only 2 trials recorded at this rung, fewer than η = 3", decision.Reason);
    }

    [Fact]
    public void NaN_at_the_rung_is_the_worst_value()
    {
        var rule = new AshaStopping(1, 3, 9);
        var stopped = EarlyStoppingPolicy.Decide(rule, new SweepMetric("val_loss", MetricGoal.Minimize),
            History(1, double.NaN), Others([5.0], [9.0]));
        Assert.True(stopped.Stop);
        Assert.Contains("val_loss NaN ranks 3rd of 3", stopped.Reason);

        Assert.False(Decide(rule, MetricGoal.Minimize, [9.0], Others([double.NaN], [double.NaN])).Stop);
        Assert.False(Decide(rule, MetricGoal.Maximize, [double.NaN], Others([double.NaN], [double.NaN])).Stop); // a three-way tie
    }

    [Fact]
    public void A_scripted_sweep_of_nine_trials_stops_the_ones_derived_by_hand()
    {
        // grace 1, η 3, max 9 → rungs at epochs 1 and 3. Maximize. Values only matter at epochs 1 and 3.
        double[][] curves =
        [
            [0.50, 0.52, 0.55, 0.56, 0.57, 0.58, 0.59, 0.60, 0.61], // t0
            [0.20, 0.50, 0.85, 0.86, 0.87, 0.88, 0.89, 0.90, 0.91], // t1
            [0.80, 0.78, 0.75, 0.76, 0.77, 0.78, 0.79, 0.80, 0.81], // t2
            [0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10], // t3
            [0.60, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99, 0.99], // t4 would have been the best, but arrives late at rung 1
            [0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30, 0.30], // t5
            [0.90, 0.92, 0.95, 0.96, 0.97, 0.98, 0.99, 0.99, 0.99], // t6
            [0.40, 0.40, 0.40, 0.40, 0.40, 0.40, 0.40, 0.40, 0.40], // t7
            [0.70, 0.68, 0.65, 0.66, 0.67, 0.68, 0.69, 0.70, 0.71], // t8
        ];
        int[] schedule =
        [
            0,    // e1: rung 1 holds {0.5}; 1 < η → continues
            1,    // e1: {0.5, 0.2}; 2 < η → continues (early arrivals get the benefit of the doubt)
            2,    // e1: {0.5, 0.2, 0.8}: 0.8 ranks 1st, 1 ≤ 3/3 → continues
            0,    // e2: not a rung
            3,    // e1: 0.1 ranks 4th of 4, 4 > 4/3 → STOP t3 after epoch 1
            1,    // e2: not a rung
            4,    // e1: 0.6 ranks 2nd of 5 (0.8 above), 2 > 5/3 → STOP t4 after epoch 1
            0,    // e3: rung 3 holds {0.55}; continues
            2,    // e2: not a rung
            5,    // e1: 0.3 ranks 4th of 6 (0.5, 0.8, 0.6 above), 4 > 2 → STOP t5 after epoch 1
            1,    // e3: rung 3 {0.55, 0.85}; 2 < η → continues
            6,    // e1: 0.9 ranks 1st of 7 → continues
            2,    // e3: rung 3 {0.55, 0.85, 0.75}: 0.75 ranks 2nd of 3, 2 > 1 → STOP t2 after epoch 3
            7,    // e1: 0.4 ranks 5th of 8 (0.5, 0.8, 0.6, 0.9 above), 5 > 2.67 → STOP t7 after epoch 1
            8,    // e1: 0.7 ranks 3rd of 9 (0.8, 0.9 above), 3 ≤ 3 → continues (exactly at the boundary)
            6, 6, // e2: not a rung; e3: rung 3 {0.55, 0.85, 0.75, 0.95}: 1st of 4 → continues
            8, 8, // e2; e3: rung 3 adds 0.65: 0.85, 0.75, 0.95 above → 4th of 5, 4 > 1.67 → STOP t8 after epoch 3
            3, 4, 5, 7, 2, 8, // stopped: skipped
            .. Enumerable.Range(0, 6).SelectMany(_ => new[] { 0, 1, 6 }), // epochs 4–9 of the survivors: no rungs left
        ];

        var (stoppedAt, epochsRun) = Replay(new AshaStopping(1, 3, 9), MetricGoal.Maximize, curves, schedule);

        Assert.Equal(new Dictionary<int, int> { [3] = 1, [4] = 1, [5] = 1, [7] = 1, [2] = 3, [8] = 3 }, stoppedAt);
        Assert.Equal([9, 9, 3, 1, 1, 1, 9, 1, 3], epochsRun);
    }
}
