using System.Text.RegularExpressions;
using Npgsql;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// Values that used to wrap over several lines and make whole rows tall stay on one line: the sweep table's last
/// heartbeat ("20 min 0 s ago") and the SQL page's JSON values, which are cut with their whole text as the tooltip.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Keeping_long_values_on_one_line(RecordedSweepDashboard dashboard)
{
    /// <summary>How many lines an element's text is laid out on: the distinct tops of its text's line boxes.</summary>
    private const string Lines = "e => { const range = document.createRange(); range.selectNodeContents(e); return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }";

    [Fact]
    public async Task The_sweep_tables_heartbeat_stays_on_one_line_in_a_narrow_window()
    {
        // Two trials whose last heartbeat was 20 minutes ago: "20 min 7 s ago" is the text that used to wrap.
        var (sweep, trials) = await SyntheticSweep.WriteAsync(dashboard, "old-heartbeats", [
            new(new Dictionary<string, double> { ["lr"] = 1e-3 }, 0, [0.5, 0.4], [0.6, 0.7]),
            new(new Dictionary<string, double> { ["lr"] = 3e-3 }, 0, [0.5, 0.3], [0.6, 0.8])]);
        await using (var connection = new NpgsqlConnection(dashboard.WriterConnection))
        {
            await connection.OpenAsync();
            await using var update = new NpgsqlCommand("update trials set heartbeat_at = now() - interval '20 minutes 7 seconds' where id = any(@trials)", connection);
            update.Parameters.AddWithValue("trials", trials.ToArray());
            Assert.Equal(trials.Count, await update.ExecuteNonQueryAsync());
        }
        var watched = await dashboard.OpenAsync($"/sweeps/{sweep}");
        var page = watched.Page;
        // Narrow enough that the table's columns are squeezed and a wrapping cell breaks "20 min 7 s ago" apart.
        await page.SetViewportSizeAsync(600, 900);
        var heartbeats = page.Locator("#trials td.heartbeat");
        await Expect(heartbeats).ToHaveTextAsync([new Regex(@"^20 min \d+ s ago$"), new Regex(@"^20 min \d+ s ago$")]);
        // Read in one step: a live update redraws the table, and a cell read after it would be one no longer shown.
        var lines = await heartbeats.EvaluateAllAsync<int[]>($"cells => cells.map({Lines})");
        Assert.Equal(new[] { 1, 1 }, lines);
        // Allowed to wrap, the same cells break: the window is narrow enough for the case that used to.
        var wrapped = await heartbeats.EvaluateAllAsync<int[]>($"cells => {{ for (const c of cells) c.style.whiteSpace = 'normal'; return cells.map({Lines}); }}");
        Assert.All(wrapped, n => Assert.True(n > 1, $"a wrapping heartbeat cell took {n} line(s)"));
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_json_value_on_the_sql_page_is_cut_to_one_line_with_the_whole_value_as_its_tooltip()
    {
        var watched = await dashboard.OpenAsync("/sql");
        var page = watched.Page;
        await page.Locator("#sql-query").FillAsync($"select id, hyperparameters, architecture from trials where sweep_id = {dashboard.SweepId} order by id");
        await page.Locator("#sql-run").ClickAsync();
        await Expect(page.Locator("#sql-result tbody tr")).ToHaveCountAsync(dashboard.Trials.Count);

        var json = page.Locator("#sql-result tbody td.json");
        await Expect(json).ToHaveCountAsync(dashboard.Trials.Count);
        foreach (var cell in await json.AllAsync())
        {
            var full = (await cell.TextContentAsync())!;
            Assert.StartsWith("{", full, StringComparison.Ordinal);
            await Expect(cell).ToHaveAttributeAsync("title", full);
            Assert.Equal(1, await cell.EvaluateAsync<int>(Lines));
            // The value is longer than the cell shows, so this is the case that used to wrap.
            Assert.True(await cell.EvaluateAsync<bool>("c => c.scrollWidth > c.clientWidth"), $"the cell shows all of {full}");
        }
        // The other columns are written out as before.
        await Expect(page.Locator("#sql-result tbody td:not(.json)").Nth(1)).ToHaveTextAsync(dashboard.Trials[0].Architecture);
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }
}
