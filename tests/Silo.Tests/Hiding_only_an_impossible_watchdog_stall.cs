using Experiments.Silo.Hosting;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// Orleans's watchdog can report, as a silo starts, a participant stall as long as the machine's uptime (it reads a
/// timestamp not yet set). The console drops that warning, and only when the stall is longer than the process has run.
/// </summary>
public class Hiding_only_an_impossible_watchdog_stall
{
    private const string Category = "Orleans.Runtime.Watchdog";

    [Fact]
    public void A_participant_stall_longer_than_the_process_has_run_is_dropped()
    {
        var bootTime = TimeSpan.FromHours(13) + TimeSpan.FromMinutes(18);

        Assert.True(ImpossibleWatchdogStall.Matches(Category, Stall(bootTime), Message(bootTime)));
    }

    [Fact]
    public void A_stall_the_process_could_have_had_and_other_warnings_are_kept()
    {
        var real = TimeSpan.FromMilliseconds(1);
        var bootTime = TimeSpan.FromDays(3);

        Assert.False(ImpossibleWatchdogStall.Matches(Category, Stall(real), Message(real)));
        Assert.False(ImpossibleWatchdogStall.Matches("Orleans.Runtime.Silo", Stall(bootTime), Message(bootTime)));
        Assert.False(ImpossibleWatchdogStall.Matches(Category, Stall(bootTime), $".NET Runtime Platform stalled for {bootTime}."));
    }

    /// <summary>The state Orleans's generated log method passes: its template's values by name.</summary>
    private static IReadOnlyList<KeyValuePair<string, object?>> Stall(TimeSpan stalled) =>
        [new("TimeSinceLastTick", stalled), new("{OriginalFormat}", "Participant check thread has not completed for {TimeSinceLastTick}, …")];

    private static string Message(TimeSpan stalled) =>
        $"Participant check thread has not completed for {stalled}, potentially indicating lock contention or deadlock, CPU starvation, or another execution anomaly.";
}
