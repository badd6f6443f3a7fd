using System.Globalization;

namespace Experiments.Contracts;

/// <summary>
/// A fraction (an accuracy of 0.91375) written as a percentage the one way every table, report, title and label writes
/// it: the fraction × 100, rounded half away from zero to two decimals, with no space before the sign ("91.38%").
/// .NET's "P2" rounds the fraction's exact binary value instead (0.91375 is stored as 0.913749999…, so "91.37 %") and
/// puts a space before the sign in the invariant culture: the same trial read 91.38% in one place and 91.37 % in another.
/// </summary>
public static class PercentText
{
    /// <summary>"91.38%" for 0.91375; a missing value is "–", and NaN or an infinity is written as such ("NaN").</summary>
    public static string Format(double? fraction) => fraction switch
    {
        null => "–",
        { } f when !double.IsFinite(f) => f.ToString(CultureInfo.InvariantCulture),
        { } f => Math.Round(f * 100, 2, MidpointRounding.AwayFromZero).ToString("F2", CultureInfo.InvariantCulture) + "%",
    };
}
