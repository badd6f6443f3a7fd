namespace Experiments.Contracts;

/// <summary>
/// A span of time written the one way the CLI and the dashboard (dashboard.js's <c>duration</c>) both write it:
/// "42 s" under a minute, "2 min 14 s" under an hour, "3 h 5 min" beyond, rounded to the second. A heartbeat then
/// reads "2 min 14 s ago" in <c>sweep status</c> as on the sweep page, not "134 s ago" in one and minutes in the other.
/// </summary>
public static class DurationText
{
    /// <summary>"42 s", "2 min 14 s" or "3 h 5 min"; a negative span (a clock a little ahead of ours) is "0 s".</summary>
    public static string Format(TimeSpan span)
    {
        var s = (long)Math.Round(Math.Max(0, span.TotalSeconds), MidpointRounding.AwayFromZero);
        return s switch
        {
            < 60 => FormattableString.Invariant($"{s} s"),
            < 3600 => FormattableString.Invariant($"{s / 60} min {s % 60} s"),
            _ => FormattableString.Invariant($"{s / 3600} h {s % 3600 / 60} min"),
        };
    }

    /// <summary>"2 min 14 s ago" for a moment <paramref name="at"/> before <paramref name="now"/>.</summary>
    public static string Ago(DateTimeOffset at, DateTimeOffset now) => $"{Format(now - at)} ago";
}
