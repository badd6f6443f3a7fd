using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The sweep page's analysis after a change: a heartbeat moves nothing the analysis reads, so the one already worked
/// out is served again; a better epoch does, and the analysis is then the one a reader with no memory works out.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Keeping_a_sweeps_analysis_between_heartbeats(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task A_heartbeat_keeps_the_analysis_and_a_better_epoch_gives_the_one_worked_out_afresh()
    {
        var (sweep, trials) = await SyntheticSweep.WriteAsync(dashboard, "analysis-kept", [.. new[] { 1e-4, 1e-3, 1e-2, 1e-1 }.Select((lr, i) =>
            new SyntheticSweep.Trial(new Dictionary<string, double> { ["lr"] = lr, ["dropout"] = 0.1 * (i % 2) }, 0, [0.5, 0.4], [0.5 + 0.05 * i, 0.6 + 0.05 * i]))]);
        var reader = dashboard.App.Services.GetRequiredService<SweepAnalysisReader>();
        var table = dashboard.App.Services.GetRequiredService<DashboardReader>();
        var first = (await reader.AnalyseAsync(sweep, default))!;
        var read = (await table.SweepAsync(sweep, default))!.Trials;

        await using (var writer = NpgsqlDataSource.Create(dashboard.WriterConnection))
        await using (var heartbeat = writer.CreateCommand($"UPDATE trials SET heartbeat_at = clock_timestamp() WHERE id = {trials[0]}"))
            await heartbeat.ExecuteNonQueryAsync();
        // The table is read again (a new list of rows), with nothing the analysis reads changed.
        await TableWithinAsync(table, sweep, d => !ReferenceEquals(d.Trials, read));
        Assert.Same(first, await reader.AnalyseAsync(sweep, default));

        // Trial 0 (the lowest learning rate) becomes the best: the importance of lr changes.
        await using (var writer = await Store.ResultsStore.OpenAsync(dashboard.WriterConnection))
            await writer.WriteEpochAsync(trials[0], new Store.EpochRecord(3, 1e-4, new Store.SplitFigures(0.3, 0.9, 400), new Store.SplitFigures(0.3, 0.99, 50), null, 1.0, 400), []);
        await TableWithinAsync(table, sweep, d => d.Trials[0].Best == 0.99);
        var after = (await reader.AnalyseAsync(sweep, default))!;

        Assert.NotSame(first, after);
        var afresh = (await new SweepAnalysisReader(dashboard.ReadOnlyStore, table).AnalyseAsync(sweep, default))!;
        Assert.Equal(JsonSerializer.Serialize(afresh), JsonSerializer.Serialize(after));
        Assert.NotEqual(JsonSerializer.Serialize(first), JsonSerializer.Serialize(after));
    }

    /// <summary>The sweep's table once <paramref name="done"/> holds of it (the dashboard reads again after the live feed's next poll).</summary>
    private static async Task TableWithinAsync(DashboardReader reader, long sweep, Func<SweepDetail, bool> done)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!done((await reader.SweepAsync(sweep, default))!))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(5), "the table did not show the change within 5 s");
            await Task.Delay(100);
        }
    }
}
