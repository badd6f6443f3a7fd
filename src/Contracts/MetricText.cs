using System.Globalization;

namespace Experiments.Contracts;

/// <summary>
/// A recorded metric's value written the way every table, title and report writes it: an accuracy (any metric named
/// "…accuracy") as a percentage through <see cref="PercentText"/>, so "0.9062" never stands beside "90.63%" for the
/// same trial; any other metric (a loss, in nats) to four significant digits.
/// </summary>
public static class MetricText
{
    /// <summary>"97.50%" for val_accuracy 0.975; "0.09146" for val_loss 0.091457; a missing value is "–".</summary>
    public static string Format(string metric, double? value) =>
        metric.EndsWith("accuracy", StringComparison.Ordinal) ? PercentText.Format(value)
        : value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "–";

    /// <summary>A loss in nats as every per-epoch table writes it, to 4 decimals ("0.0915"); a missing one is "–".</summary>
    public static string Loss(double? nats) => nats is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "–";

    /// <summary>What a per-epoch table's weights column shows for an epoch that kept its weight snapshot, and for one that did not.</summary>
    public const string WeightsKept = "✓", NoWeights = "—";
}
