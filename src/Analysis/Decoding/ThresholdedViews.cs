namespace Experiments.Analysis.Decoding;

/// <summary>
/// 003's thresholded decoded filters (Fig. 1, Fig. 4 a and e), which "enhance the positive and negative basic
/// patterns". 003 does not give its threshold, so here each decoded filter keeps the sign of the values whose
/// magnitude reaches <c>fraction</c> of its largest magnitude: +1, −1, and 0 for the rest.
/// </summary>
public static class ThresholdedViews
{
    public const double DefaultFraction = 0.5;

    public static FilterBank Of(FilterBank decoded, double fraction = DefaultFraction)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        if (!(fraction is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the threshold is a fraction in (0, 1]");
        var values = new float[decoded.Values.Length];
        for (var k = 0; k < decoded.Count; k++)
        {
            var filter = decoded.Filter(k);
            var largest = 0f;
            foreach (var value in filter) largest = Math.Max(largest, Math.Abs(value));
            if (largest == 0) continue;
            var threshold = fraction * largest;
            var target = values.AsSpan(k * decoded.FilterSize, decoded.FilterSize);
            for (var i = 0; i < filter.Length; i++)
                target[i] = filter[i] >= threshold ? 1 : filter[i] <= -threshold ? -1 : 0;
        }
        return new FilterBank(decoded.Count, decoded.Channels, decoded.Height, decoded.Width, values);
    }
}
