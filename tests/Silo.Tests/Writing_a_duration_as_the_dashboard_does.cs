using System.Diagnostics;
using System.Text.RegularExpressions;
using Experiments.Contracts;
using Experiments.Testing;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// <c>sweep status</c> writes a heartbeat's age through <see cref="DurationText"/>, the dashboard through dashboard.js's
/// <c>duration</c>: the same trial read "638 s ago" in one and "10 min 38 s ago" in the other. The dashboard's own
/// function, run by Node, is the oracle.
/// </summary>
public sealed partial class Writing_a_duration_as_the_dashboard_does
{
    [Theory]
    [InlineData(0, "0 s")]
    [InlineData(59.4, "59 s")]
    [InlineData(60, "1 min 0 s")]
    [InlineData(638, "10 min 38 s")]
    [InlineData(3599, "59 min 59 s")]
    [InlineData(3600, "1 h 0 min")]
    [InlineData(11_130, "3 h 5 min")]
    public void A_span_is_written_in_seconds_minutes_or_hours_as_the_dashboard_writes_it(double seconds, string expected)
    {
        Assert.Equal(expected, DurationText.Format(TimeSpan.FromSeconds(seconds)));
        Assert.Equal(expected, DashboardDuration(seconds));
    }

    [Fact]
    public void A_heartbeat_a_little_in_the_future_reads_as_just_now_not_a_negative_age()
    {
        var now = DateTimeOffset.UtcNow;
        Assert.Equal("0 s ago", DurationText.Ago(now.AddSeconds(2), now));
        Assert.Equal("2 min 14 s ago", DurationText.Ago(now.AddSeconds(-134), now));
    }

    /// <summary>dashboard.js's <c>duration(seconds)</c>, cut out of the file the dashboard serves and run by Node.</summary>
    private static string DashboardDuration(double seconds)
    {
        var script = File.ReadAllText(Path.Combine(Repository.Root(), "src", "Dashboard", "wwwroot", "dashboard.js"));
        var function = DurationFunction().Match(script);
        Assert.True(function.Success, "dashboard.js no longer defines function duration(seconds)");
        var node = new ProcessStartInfo("node", ["-e", $"{function.Value}\nprocess.stdout.write(duration({seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}));"])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(node)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
        return output;
    }

    [GeneratedRegex(@"^function duration\(seconds\) \{.*?^\}", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex DurationFunction();
}
