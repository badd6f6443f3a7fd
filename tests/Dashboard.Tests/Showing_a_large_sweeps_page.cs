using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Experiments.Store;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// What keeps the sweep page fast at thousands of trials without changing what it shows: the trial table's best value
/// and epoch found by PostgreSQL (the best finite value, the earliest epoch of equals), the table kept between viewers
/// yet fresh after a new epoch, curves fetched only for the trials asked for, and the chart drawing the best 20 trials
/// by default until "draw all" is pressed.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Showing_a_large_sweeps_page(RecordedSweepDashboard dashboard)
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task The_tables_best_is_the_highest_finite_validation_accuracy_at_the_earliest_of_equal_epochs()
    {
        var (sweep, trials) = await SyntheticSweep.WriteAsync(dashboard, "best-epochs", [
            new(new Dictionary<string, double> { ["lr"] = 1e-3 }, 0, [0.5, 0.4, 0.3], [0.5, 0.7, 0.7]),
            new(new Dictionary<string, double> { ["lr"] = 2e-3 }, 0, [0.5, 0.4], [double.NaN, 0.6]),
            new(new Dictionary<string, double> { ["lr"] = 3e-3 }, 0, [0.5, 0.4], [0.9, 0.8]),
            new(new Dictionary<string, double> { ["lr"] = 4e-3 }, 0, [], []),
        ]);
        var detail = await TableAsync(sweep);
        // (best, epoch) per trial, from the figures written above: 0.7 first at epoch 2; NaN never counts; a failed trial has none.
        var expected = new (double?, int?)[] { (0.7, 2), (0.6, 2), (0.9, 1), (null, null) };
        Assert.Equal(expected, trials.Select(id => detail.Trials.Single(t => t.Id == id)).Select(t => (t.Best, t.BestEpoch)));
        Assert.Equal(["70.00%", "60.00%", "90.00%", "–"], trials.Select(id => detail.Trials.Single(t => t.Id == id).BestText));
        Assert.True(detail.Maximize);
    }

    [Fact]
    public async Task A_better_epoch_recorded_after_a_viewer_read_the_table_is_in_the_next_read()
    {
        var (sweep, trials) = await SyntheticSweep.WriteAsync(dashboard, "kept-table", [
            new(new Dictionary<string, double> { ["lr"] = 1e-3 }, 0, [0.5, 0.4], [0.5, 0.6]),
            new(new Dictionary<string, double> { ["lr"] = 2e-3 }, 0, [0.5, 0.4], [0.55, 0.65]),
        ]);
        var before = await TableAsync(sweep);
        Assert.Equal((0.6, 2), (before.Trials[0].Best, before.Trials[0].BestEpoch));
        // A second viewer reads the same table.
        Assert.Equal(before.Trials.Select(t => t.Best), (await TableAsync(sweep)).Trials.Select(t => t.Best));

        await using (var writer = await ResultsStore.OpenAsync(dashboard.WriterConnection))
            await writer.WriteEpochAsync(trials[0], new EpochRecord(3, 1e-3, new SplitFigures(0.3, 0.9, 400), new SplitFigures(0.3, 0.8, 50), null, 1.0, 400), []);
        // While a page listens, the kept table is keyed by the live feed's last poll: fresh within a poll, as pages are told.
        var after = await TableWithinAsync(sweep, t => t.Trials[0].EpochsTrained == 3);
        Assert.Equal((0.8, 3, 3), (after.Trials[0].Best, after.Trials[0].BestEpoch, after.Trials[0].EpochsTrained));
        Assert.Equal((0.65, 2), (after.Trials[1].Best, after.Trials[1].BestEpoch));

        // A trial added to the sweep joins the table, named and with columns as among the three (the names are kept between reads).
        long added;
        await using (var writer = await ResultsStore.OpenAsync(dashboard.WriterConnection))
        {
            var model = (await writer.GetTrialAsync(trials[0]))!;
            var hyperparameters = System.Text.Json.Nodes.JsonNode.Parse(model.HyperparametersJson)!.AsObject();
            hyperparameters["dropout"] = 0.5;
            added = await writer.CreateTrialAsync(new TrialDefinition(sweep, model.Architecture, (await writer.GetArchitectureSpecAsync(model.Id))!,
                model.Dataset, hyperparameters.ToJsonString(), model.Seed));
        }
        var grown = await TableWithinAsync(sweep, t => t.Trials.Count == 3);
        Assert.Equal([.. trials, added], grown.Trials.Select(t => t.Id));
        Assert.Contains("dropout", grown.Parameters);
        var names = Visualization.Charts.TrialNames.Distinguishing([.. (await dashboard.ReadOnlyStore.ListTrialsAsync(sweep, 100)).OrderBy(r => r.Id)]);
        Assert.Equal(grown.Trials.Select(t => names[t.Id]), grown.Trials.Select(t => t.Name));
        Assert.Contains("dropout=0.5", grown.Trials[2].Name, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_curves_answer_holds_only_the_trials_asked_for_and_a_malformed_list_is_refused_in_one_line()
    {
        using var client = new HttpClient { BaseAddress = new Uri(dashboard.Url) };
        var (first, second) = (dashboard.Trials[0].Id, dashboard.Trials[2].Id);
        var curves = (await client.GetFromJsonAsync<List<TrialCurve>>($"/api/sweeps/{dashboard.SweepId}/curves?width=800&trials={first},{second}", Web))!;
        Assert.Equal([first, second], curves.Select(c => c.Trial).Distinct().Order());
        // Each of them with the same six curves the unfiltered answer holds.
        var all = (await client.GetFromJsonAsync<List<TrialCurve>>($"/api/sweeps/{dashboard.SweepId}/curves?width=800", Web))!;
        Assert.Equal(dashboard.Trials.Count, all.Select(c => c.Trial).Distinct().Count());
        Assert.Equal(all.Where(c => c.Trial == first || c.Trial == second).Select(c => (c.Trial, c.Metric, string.Join(',', c.Points.Y))),
            curves.Select(c => (c.Trial, c.Metric, string.Join(',', c.Points.Y))));

        using var refused = await client.GetAsync($"/api/sweeps/{dashboard.SweepId}/curves?trials=3,x");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("'x' is not a trial id: trials is a comma-separated list such as trials=3,4,9",
            (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_sweep_of_25_trials_draws_the_curves_of_its_best_20_by_the_metric_until_all_are_asked_for()
    {
        // Trial i reaches a validation accuracy of 0.50 + 0.017·((7·i) mod 25): distinct, and not in the order of the ids.
        var accuracies = Enumerable.Range(0, 25).Select(i => 0.5 + 0.017 * (7 * i % 25)).ToArray();
        var (sweep, trials) = await SyntheticSweep.WriteAsync(dashboard, "twenty-five",
            accuracies.Select((a, i) => new SyntheticSweep.Trial(new Dictionary<string, double> { ["lr"] = 1e-4 * (i + 1) }, 0, [0.6, 0.5], [a - 0.1, a])));
        var watched = await dashboard.OpenAsync($"/sweeps/{sweep}");
        var page = watched.Page;
        await Expect(page.Locator("main")).ToHaveAttributeAsync("data-rendered", new System.Text.RegularExpressions.Regex(@"^\d+$"));
        await Expect(page.Locator("#curves-note")).ToHaveTextAsync("showing the best 20 of the 25 trial(s) the table lists, by val_accuracy; tick trials to choose, or draw all 25");

        var names = (await TableAsync(sweep)).Trials.ToDictionary(t => t.Id, t => t.Name);
        var best20 = trials.Select((id, i) => (id, accuracies[i])).OrderByDescending(t => t.Item2).Take(20).Select(t => names[t.id]).Order(StringComparer.Ordinal);
        var legend = page.Locator("#accuracy-chart .curve-legend li .legend-name");
        await Expect(legend).ToHaveCountAsync(20);
        Assert.Equal(best20, (await legend.AllTextContentsAsync()).Order(StringComparer.Ordinal));

        await page.Locator("#all-curves").ClickAsync();
        await Expect(legend).ToHaveCountAsync(25);
        await Expect(page.Locator("#curves-note")).ToHaveTextAsync("showing all 25 trial(s)");
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_table_of_105_trials_draws_100_rows_a_page_while_its_filter_and_curves_count_every_trial()
    {
        // Trial i's validation accuracy is 0.3 + 0.006·i: the last trial is the best.
        var (sweep, trials) = await SyntheticSweep.WriteAsync(dashboard, "hundred-and-five",
            Enumerable.Range(0, 105).Select(i => new SyntheticSweep.Trial(new Dictionary<string, double> { ["lr"] = 1e-5 * (i + 1) }, 0, [0.5], [0.3 + 0.006 * i])));
        var watched = await dashboard.OpenAsync($"/sweeps/{sweep}");
        var page = watched.Page;
        var rows = page.Locator("#trials tbody tr");
        await Expect(rows).ToHaveCountAsync(100);
        await Expect(page.Locator("#table-range")).ToHaveTextAsync("rows 1–100 of 105");
        Assert.Equal(trials.Take(100).Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)), await page.Locator("#trials tbody tr td:nth-child(2)").AllTextContentsAsync());

        await page.Locator("#table-next").ClickAsync();
        await Expect(page.Locator("#table-range")).ToHaveTextAsync("rows 101–105 of 105");
        Assert.Equal(trials.Skip(100).Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)), await page.Locator("#trials tbody tr td:nth-child(2)").AllTextContentsAsync());

        // The curves follow every row the table keeps, not only the page's: the best 20 of 105.
        await Expect(page.Locator("#curves-note")).ToContainTextAsync("showing the best 20 of the 105 trial(s) the table lists");
        // A filter that keeps 10 trials leaves one page, with no pager.
        await page.Locator("#filter").FillAsync($"id > {trials[94]}");
        await Expect(rows).ToHaveCountAsync(10);
        await Expect(page.Locator("#table-range")).ToHaveCountAsync(0);
        await Expect(page.Locator("#curves-note")).ToHaveTextAsync("showing the 10 trial(s) the table lists");
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    /// <summary>The sweep's table once <paramref name="done"/> holds, read again for up to 2 s (the live updates' promise); the last read otherwise.</summary>
    private async Task<SweepDetail> TableWithinAsync(long sweep, Func<SweepDetail, bool> done)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var table = await TableAsync(sweep);
        while (!done(table) && waited.Elapsed < TimeSpan.FromSeconds(2))
        {
            await Task.Delay(100);
            table = await TableAsync(sweep);
        }
        return table;
    }

    private async Task<SweepDetail> TableAsync(long sweep)
    {
        using var client = new HttpClient { BaseAddress = new Uri(dashboard.Url) };
        return (await client.GetFromJsonAsync<SweepDetail>($"/api/sweeps/{sweep}", Web))!;
    }
}
