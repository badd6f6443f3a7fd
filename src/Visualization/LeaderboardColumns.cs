namespace Experiments.Visualization;

/// <summary>The columns a leaderboard shows, shared by the <c>results</c> tables and the sweep report so the two never differ.</summary>
public static class LeaderboardColumns
{
    /// <summary>
    /// The metric a leaderboard needs its own column for: none when it ranks by one of the accuracies every leaderboard
    /// shows anyway (validation and test accuracy at the best epoch), so no figure appears twice.
    /// </summary>
    public static string? ExtraRankedColumn(string? rankedBy) => rankedBy is null or "val_accuracy" or "test_accuracy" ? null : rankedBy;
}
