using System.Globalization;

namespace Experiments.Coordinator;

/// <summary>One trial's metric per completed epoch, epoch 1..n in order (NaN allowed = diverged/missing).</summary>
public sealed record MetricHistory(long TrialId, IReadOnlyList<double> PerEpoch)
{
    /// <summary>The number of completed epochs.</summary>
    public int Epochs => PerEpoch.Count;
}

/// <summary>Whether to stop a trial now, and a sentence naming the numbers that led there (also when it continues).</summary>
public sealed record StopDecision(bool Stop, string Reason);

/// <summary>
/// The early-stopping decision, as a pure function of the metric histories recorded so far.
/// The rules are spelled out in docs/sweeps.md ("Early stopping: the exact rules"); in short:
/// <list type="bullet">
/// <item>Median (Golovin et al., Google Vizier 2017; Katib medianstop): at epoch e ≥ grace, stop when the trial's best value
/// so far is strictly worse than the median, over the ≥ min_trials other trials that reached e, of their running averages up to e.</item>
/// <item>ASHA (Li et al. 2018; Ray Tune's AsyncHyperBandScheduler): at a rung epoch grace·η^k &lt; max_epochs, continue only when the
/// trial's value at that epoch ranks in the top 1/η of the values recorded at the rung (itself included, ties in its favour).</item>
/// </list>
/// A NaN (or an infinity on the bad side) counts as the worst possible value.
/// </summary>
public static class EarlyStoppingPolicy
{
    /// <summary>The metric name used in reasons when the caller gives only a goal.</summary>
    public const string GenericMetricName = "metric";

    /// <summary>
    /// Decide, right after <paramref name="trial"/> completed its latest epoch (trial.PerEpoch.Count), whether to stop it.
    /// <paramref name="others"/> are the other trials of the same sweep as recorded so far (any length, including still running ones);
    /// an entry with the trial's own id is ignored.
    /// </summary>
    public static StopDecision Decide(EarlyStopping rule, MetricGoal goal, MetricHistory trial, IReadOnlyList<MetricHistory> others) =>
        Decide(rule, new SweepMetric(GenericMetricName, goal), trial, others);

    /// <summary>As the goal-only overload, with the metric's name in the reason.</summary>
    public static StopDecision Decide(EarlyStopping rule, SweepMetric metric, MetricHistory trial, IReadOnlyList<MetricHistory> others)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(others);

        if (rule is NoEarlyStopping) return new StopDecision(false, "early stopping is off");
        var epoch = trial.Epochs;
        if (epoch == 0) return new StopDecision(false, "no epoch completed yet");

        // A caller that passes the whole sweep, the trial included, must not have the trial vote on itself.
        var peers = others.Where(o => o.TrialId != trial.TrialId).ToList();
        return rule switch
        {
            MedianStopping median => DecideMedian(median, metric, trial, peers),
            AshaStopping asha => DecideAsha(asha, metric, trial, peers),
            _ => throw new ArgumentException($"unknown early stopping rule {rule.GetType().Name}", nameof(rule)),
        };
    }

    /// <summary>
    /// The ASHA rung epochs grace·η^k (k = 0, 1, …) that are below max_epochs, in increasing order.
    /// A rung at max_epochs itself would decide nothing: a trial that reaches it has finished.
    /// </summary>
    public static IReadOnlyList<int> AshaRungs(AshaStopping rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.GraceEpochs < 1) throw new ArgumentOutOfRangeException(nameof(rule), $"ASHA grace_epochs must be ≥ 1, got {rule.GraceEpochs}");
        if (rule.ReductionFactor < 2) throw new ArgumentOutOfRangeException(nameof(rule), $"ASHA reduction_factor must be ≥ 2, got {rule.ReductionFactor}");
        var rungs = new List<int>();
        for (long rung = rule.GraceEpochs; rung < rule.MaxEpochs; rung *= rule.ReductionFactor) rungs.Add((int)rung);
        return rungs;
    }

    private static StopDecision DecideMedian(MedianStopping rule, SweepMetric metric, MetricHistory trial, List<MetricHistory> peers)
    {
        if (rule.GraceEpochs < 0) throw new ArgumentOutOfRangeException(nameof(rule), $"median grace_epochs must be ≥ 0, got {rule.GraceEpochs}");
        if (rule.MinTrials < 1) throw new ArgumentOutOfRangeException(nameof(rule), $"median min_trials must be ≥ 1, got {rule.MinTrials}");
        var epoch = trial.Epochs;
        if (epoch < rule.GraceEpochs)
            return new StopDecision(false, $"epoch {epoch}: within the grace period of {rule.GraceEpochs} epochs");

        var reached = peers.Where(p => p.Epochs >= epoch).ToList();
        if (reached.Count < rule.MinTrials)
            return new StopDecision(false,
                $"epoch {epoch}: {Trials(reached.Count, "other trial")} reached epoch {epoch}, fewer than min_trials {rule.MinTrials}");

        var order = new Scores(metric.Goal);
        var best = trial.PerEpoch.Select(order.Score).Max();
        var median = Median(reached.Select(p => RunningAverageScore(order, p.PerEpoch, epoch)).ToList());
        var bestText = order.Show(best);
        var medianText = order.Show(median);
        if (bestText == medianText) (bestText, medianText) = (order.ShowExactly(best), order.ShowExactly(median));
        var against = $"the median {medianText} of the running averages of {Trials(reached.Count, "other trial")} at epoch {epoch}";

        return best < median
            ? new StopDecision(true, $"epoch {epoch}: best {metric.Name} {bestText} is {order.Worse} {against}")
            : new StopDecision(false, $"epoch {epoch}: best {metric.Name} {bestText} is not {order.Worse} {against}");
    }

    private static StopDecision DecideAsha(AshaStopping rule, SweepMetric metric, MetricHistory trial, List<MetricHistory> peers)
    {
        var rungs = AshaRungs(rule);
        var epoch = trial.Epochs;
        var rungIndex = IndexOf(rungs, epoch);
        var rungList = rungs.Count == 0 ? "there are none" : $"rungs at {string.Join(", ", rungs)}";
        if (rungIndex < 0)
            return new StopDecision(false, $"epoch {epoch}: not an ASHA rung ({rungList})");

        var order = new Scores(metric.Goal);
        var mine = order.Score(trial.PerEpoch[epoch - 1]);
        var recorded = 1 + peers.Count(p => p.Epochs >= epoch);
        var rungName = $"epoch {epoch} (ASHA rung {rungIndex + 1} of {rungs.Count})";
        var eta = rule.ReductionFactor;
        if (recorded < eta)
            return new StopDecision(false, $"{rungName}: only {Trials(recorded, "trial")} recorded at this rung, fewer than η = {eta}");

        // Rank 1 is the best; ties share the better rank. In the top 1/η ⇔ rank ≤ recorded/η ⇔ η·rank ≤ recorded (exact, no rounding).
        var rank = 1 + peers.Count(p => p.Epochs >= epoch && order.Score(p.PerEpoch[epoch - 1]) > mine);
        var kept = recorded / eta;
        var standing = $"{metric.Name} {order.Show(mine)} ranks {Ordinal(rank)} of {Trials(recorded, "trial")} at this rung";
        return (long)eta * rank <= recorded
            ? new StopDecision(false, $"{rungName}: {standing}, within the top {kept} (1/{eta}) that continue")
            : new StopDecision(true, $"{rungName}: {standing}; only the top {kept} (1/{eta}) continue");
    }

    /// <summary>The mean of the first <paramref name="epochs"/> values, as a score; one NaN makes it the worst score.</summary>
    private static double RunningAverageScore(Scores order, IReadOnlyList<double> values, int epochs)
    {
        var sum = 0.0;
        for (var i = 0; i < epochs; i++)
        {
            var score = order.Score(values[i]);
            if (double.IsNegativeInfinity(score)) return double.NegativeInfinity;
            sum += score;
        }
        return sum / epochs; // no −∞ was added, so this is never NaN (+∞ is a legitimately best score)
    }

    /// <summary>The median of scores (mean of the two middle ones for an even count), defined for infinities too.</summary>
    private static double Median(List<double> scores)
    {
        scores.Sort();
        var n = scores.Count;
        if (n % 2 == 1) return scores[n / 2];
        var (lower, upper) = (scores[n / 2 - 1], scores[n / 2]);
        if (double.IsNegativeInfinity(lower)) return lower; // a diverged middle trial drags the median to the worst value
        if (double.IsPositiveInfinity(upper)) return upper;
        return lower / 2 + upper / 2; // halves first: no overflow for huge finite values
    }

    private static int IndexOf(IReadOnlyList<int> rungs, int epoch)
    {
        for (var i = 0; i < rungs.Count; i++) if (rungs[i] == epoch) return i;
        return -1;
    }

    private static string Trials(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static string Ordinal(int n) => (n % 100) switch
    {
        11 or 12 or 13 => $"{n}th",
        _ => (n % 10) switch { 1 => $"{n}st", 2 => $"{n}nd", 3 => $"{n}rd", _ => $"{n}th" },
    };

    /// <summary>
    /// Maps metric values to scores where higher is always better: the value itself when maximizing, its negation when minimizing,
    /// and −∞ for NaN, so that a diverged or missing value is worse than every real one and ties with other NaNs.
    /// </summary>
    private readonly record struct Scores(MetricGoal Goal)
    {
        public double Score(double value) =>
            double.IsNaN(value) ? double.NegativeInfinity : Goal == MetricGoal.Maximize ? value : -value;

        /// <summary>"below" when maximizing, "above" when minimizing.</summary>
        public string Worse => Goal == MetricGoal.Maximize ? "below" : "above";

        public string Show(double score) => Show(score, "G4");

        public string ShowExactly(double score) => Show(score, "R");

        private string Show(double score, string format)
        {
            // −∞ is where NaN went; a genuine −∞ (maximize) or +∞ (minimize) value is just as bad, and NaN names that honestly enough.
            if (double.IsNegativeInfinity(score)) return "NaN";
            var value = Goal == MetricGoal.Maximize ? score : -score;
            return value.ToString(format, CultureInfo.InvariantCulture);
        }
    }
}
