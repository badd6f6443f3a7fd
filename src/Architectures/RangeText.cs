using System.Globalization;

namespace Experiments.Architectures;

/// <summary>
/// A run of whole numbers (layer, filter, image, class, page or epoch indices) written the one way every message,
/// caption, title and help text writes it: first and last joined by an en dash, "0–3", as the figures' captions
/// always have; never "0 to 3" or "0..3". It lives in this project because every other one references it (the
/// datasets' readers included, which do not reference the contracts).
/// </summary>
public static class RangeText
{
    /// <summary>"0–3" from 0 to 3; "4" when <paramref name="first"/> and <paramref name="last"/> are the same number.</summary>
    public static string Of(long first, long last) =>
        first == last ? Number(first) : $"{Number(first)}–{Number(last)}";

    /// <summary>The indices of <paramref name="count"/> things, "0–9" for 10; "none" for none.</summary>
    public static string Indices(long count) => count < 1 ? "none" : Of(0, count - 1);

    /// <summary>
    /// Sorted numbers for a message: "0–9" when three or more run without a gap, else each one ("0, 5, 10"; "3, 4").
    /// </summary>
    public static string List(IReadOnlyList<int> sorted)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return sorted.Count > 2 && sorted[^1] - sorted[0] == sorted.Count - 1 && sorted.Distinct().Count() == sorted.Count
            ? Of(sorted[0], sorted[^1])
            : string.Join(", ", sorted.Select(n => Number(n)));
    }

    private static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
