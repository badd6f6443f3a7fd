namespace Experiments.Coordinator.Tests;

/// <summary>
/// Properties checked over many seeded random sweeps. (FsCheck is not referenced by this test project; each case is
/// generated from its own seed, and a failure names the seed and the rule so it can be replayed.)
/// </summary>
public class Early_stopping_properties
{
    private const int Cases = 2_000;

    /// <summary>A random rule: median or ASHA with small parameters, so that grace periods, min_trials and rungs all come up.</summary>
    private static EarlyStopping RandomRule(Random random) => random.Next(2) == 0
        ? new MedianStopping(GraceEpochs: random.Next(0, 4), MinTrials: random.Next(1, 5))
        : new AshaStopping(GraceEpochs: random.Next(1, 3), ReductionFactor: random.Next(2, 5), MaxEpochs: random.Next(1, 20));

    /// <summary>Values from a coarse grid (ties are common) with some NaN, or arbitrary doubles of both signs.</summary>
    private static double RandomValue(Random random, bool coarse) => random.Next(12) switch
    {
        0 => double.NaN,
        _ when coarse => random.Next(0, 9) / 8.0,
        _ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 4)),
    };

    private static List<MetricHistory> RandomOthers(Random random, bool coarse) =>
        Enumerable.Range(0, random.Next(0, 10))
            .Select(i => new MetricHistory(100 + i,
                Enumerable.Range(0, random.Next(0, 15)).Select(_ => RandomValue(random, coarse)).ToArray()))
            .ToList();

    private static MetricHistory RandomTrial(Random random, bool coarse) =>
        new(1, Enumerable.Range(0, random.Next(1, 15)).Select(_ => RandomValue(random, coarse)).ToArray());

    private static void ForAll(Action<Random, int> property)
    {
        for (var seed = 0; seed < Cases; seed++) property(new Random(seed), seed);
    }

    [Fact]
    public void A_trial_at_least_as_good_as_every_other_at_every_epoch_is_never_stopped()
    {
        ForAll((random, seed) =>
        {
            var goal = random.Next(2) == 0 ? MetricGoal.Maximize : MetricGoal.Minimize;
            var rule = RandomRule(random);
            var others = RandomOthers(random, coarse: random.Next(2) == 0);
            var epochs = random.Next(1, 15);
            // At each epoch: the best real value any other recorded there (ties included), or anything if none did.
            var best = Enumerable.Range(0, epochs).Select(e =>
            {
                var there = others.Where(o => o.Epochs > e && !double.IsNaN(o.PerEpoch[e])).Select(o => o.PerEpoch[e]).ToList();
                if (there.Count == 0) return random.NextDouble();
                return goal == MetricGoal.Maximize ? there.Max() : there.Min();
            }).ToArray();

            var decision = EarlyStoppingPolicy.Decide(rule, goal, new MetricHistory(1, best), others);

            Assert.False(decision.Stop, $"seed {seed}, {rule}, {goal}: {decision.Reason}");
        });
    }

    [Fact]
    public void No_early_stopping_never_stops()
    {
        ForAll((random, seed) =>
        {
            var decision = EarlyStoppingPolicy.Decide(EarlyStopping.None, MetricGoal.Maximize, RandomTrial(random, true), RandomOthers(random, true));
            Assert.False(decision.Stop, $"seed {seed}");
        });
    }

    [Fact]
    public void Negating_every_value_and_flipping_the_goal_gives_the_same_decision()
    {
        static MetricHistory Negated(MetricHistory h) => h with { PerEpoch = h.PerEpoch.Select(v => -v).ToArray() };
        ForAll((random, seed) =>
        {
            var rule = RandomRule(random);
            var coarse = random.Next(2) == 0;
            var (trial, others) = (RandomTrial(random, coarse), RandomOthers(random, coarse));

            var maximized = EarlyStoppingPolicy.Decide(rule, MetricGoal.Maximize, trial, others);
            var minimized = EarlyStoppingPolicy.Decide(rule, MetricGoal.Minimize, Negated(trial), others.Select(Negated).ToList());

            Assert.True(maximized.Stop == minimized.Stop, $"seed {seed}, {rule}: {maximized.Reason} / {minimized.Reason}");
        });
    }

    [Fact]
    public void The_order_of_the_other_trials_does_not_matter()
    {
        ForAll((random, seed) =>
        {
            var rule = RandomRule(random);
            var goal = random.Next(2) == 0 ? MetricGoal.Maximize : MetricGoal.Minimize;
            var (trial, others) = (RandomTrial(random, true), RandomOthers(random, true));
            var shuffled = others.ToArray();
            random.Shuffle(shuffled);

            Assert.Equal(EarlyStoppingPolicy.Decide(rule, goal, trial, others), EarlyStoppingPolicy.Decide(rule, goal, trial, shuffled));
        });
    }

    [Fact]
    public void Asha_stops_only_at_rung_epochs()
    {
        ForAll((random, seed) =>
        {
            var rule = new AshaStopping(random.Next(1, 4), random.Next(2, 5), random.Next(1, 30));
            var trial = RandomTrial(random, true);
            var decision = EarlyStoppingPolicy.Decide(rule, MetricGoal.Maximize, trial, RandomOthers(random, true));
            if (decision.Stop) Assert.Contains(trial.Epochs, EarlyStoppingPolicy.AshaRungs(rule));
        });
    }

    [Fact]
    public void Of_n_distinct_values_at_an_asha_rung_exactly_n_over_eta_rounded_down_continue()
    {
        // Every trial at the rung is judged against all the others, as if it had arrived last.
        ForAll((random, seed) =>
        {
            var eta = random.Next(2, 6);
            var n = random.Next(eta, 30);
            var values = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
            random.Shuffle(values);
            var goal = random.Next(2) == 0 ? MetricGoal.Maximize : MetricGoal.Minimize;
            var all = values.Select((v, i) => new MetricHistory(i, [v])).ToList();

            var continuing = all.Count(t => !EarlyStoppingPolicy.Decide(new AshaStopping(1, eta, 2), goal, t, all).Stop);

            Assert.True(continuing == n / eta, $"seed {seed}: η {eta}, {n} values, {continuing} continued");
        });
    }

    [Fact]
    public void A_median_stopped_trial_stays_stopped_when_its_values_get_worse()
    {
        ForAll((random, seed) =>
        {
            var rule = new MedianStopping(random.Next(0, 3), random.Next(1, 4));
            var (trial, others) = (RandomTrial(random, true), RandomOthers(random, true));
            if (!EarlyStoppingPolicy.Decide(rule, MetricGoal.Maximize, trial, others).Stop) return;

            var worse = trial with { PerEpoch = trial.PerEpoch.Select(v => random.Next(3) == 0 ? double.NaN : v - random.Next(0, 3) / 8.0).ToArray() };

            Assert.True(EarlyStoppingPolicy.Decide(rule, MetricGoal.Maximize, worse, others).Stop, $"seed {seed}");
        });
    }
}
