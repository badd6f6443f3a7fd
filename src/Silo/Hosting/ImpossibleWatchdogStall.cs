using System.Diagnostics;

namespace Experiments.Silo.Hosting;

/// <summary>
/// Orleans 10.4.2's silo watchdog (category <c>Orleans.Runtime.Watchdog</c>) warns "Participant check thread has not
/// completed for {TimeSinceLastTick}" when its component checks stall. At start-up its platform thread can read the
/// component check's timestamp before the silo has set it, and so reports the time since the machine booted (e.g.
/// 13:18:47 on a machine up 13 hours): a false alarm Orleans offers no setting against. A stall longer than this
/// process has lived cannot be real, so only that warning is dropped; a genuine stall (shorter than the process's
/// life) is still shown.
/// </summary>
internal static class ImpossibleWatchdogStall
{
    private const string Category = "Orleans.Runtime.Watchdog";
    private const string Stalled = "TimeSinceLastTick";
    private const string StalledParticipant = "Participant check thread has not completed";
    private static readonly DateTime ProcessStarted = Process.GetCurrentProcess().StartTime.ToUniversalTime();

    /// <summary>True for the watchdog's participant-stall warning whose stall is longer than this process has run.</summary>
    public static bool Matches<TState>(string category, TState state, string message) =>
        category == Category && message.StartsWith(StalledParticipant, StringComparison.Ordinal)
        && state is IReadOnlyList<KeyValuePair<string, object?>> values
        && values.FirstOrDefault(v => v.Key == Stalled).Value is TimeSpan stalled
        && stalled > DateTime.UtcNow - ProcessStarted;
}
