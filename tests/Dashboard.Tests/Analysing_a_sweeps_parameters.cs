using System.Globalization;
using System.Text.Json;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The sweep page's views of parameters against the metric in Chromium: brushing the parallel coordinates filters
/// the trial table, the importance bars give a grid's exact main-effect shares (and say when the grid has holes) or a
/// random search's PED-ANOVA, and the slices draw every trial's value against the metric.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Analysing_a_sweeps_parameters(RecordedSweepDashboard dashboard)
{
    // A random search's learning rates (one per trial), with a dropout each and a validation accuracy that peaks near 2e-3.
    private static readonly double[] RandomLearningRates = [1e-4, 3e-4, 1e-3, 2e-3, 5e-3, 1e-2, 3e-2, 1e-1];

    private static SyntheticSweep.Trial[] RandomSearch() => [.. RandomLearningRates.Select((lr, i) =>
    {
        var accuracy = 0.95 - 0.1 * Math.Pow(Math.Log10(lr) + 2.7, 2) - 0.01 * (i % 3);
        return new SyntheticSweep.Trial(new Dictionary<string, double> { ["lr"] = lr, ["dropout"] = 0.1 * (i % 3) }, 0, [0.5, 0.4], [accuracy - 0.1, accuracy]);
    })];

    [Fact]
    public async Task Brushing_a_range_on_the_learning_rate_axis_leaves_exactly_the_trials_inside_it_in_the_table()
    {
        var (sweep, trials) = await SyntheticSweep.WriteAsync(dashboard, "random-lr", RandomSearch());
        var watched = await dashboard.OpenAsync($"/sweeps/{sweep}");
        var page = watched.Page;
        await Expect(page.Locator("#trials tbody tr")).ToHaveCountAsync(8);
        await Expect(page.Locator("#parallel-chart")).ToHaveAttributeAsync("data-trials", string.Join(',', trials));

        // The lr axis is the first; it is logarithmic (1e-4 to 1e-1), so the brush runs from log10(5e-4) to log10(6e-3).
        var (low, high) = (5e-4, 6e-3);
        await page.Locator("#parallel-chart").ScrollIntoViewIfNeededAsync();
        var points = await page.EvaluateAsync<double[]>("""
            ([low, high]) => {
              const chart = echarts.getInstanceByDom(document.getElementById('parallel-chart'));
              const parallel = chart.getModel().getComponent('parallel').coordinateSystem;
              const box = chart.getDom().getBoundingClientRect();
              const [x1, y1] = parallel.dataToPoint(Math.log10(low), parallel.dimensions[0]);
              const [x2, y2] = parallel.dataToPoint(Math.log10(high), parallel.dimensions[0]);
              return [box.left + x1, box.top + y1, box.left + x2, box.top + y2];
            }
            """, new[] { low, high });
        await page.Mouse.MoveAsync((float)points[0], (float)points[1]);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync((float)points[2], (float)points[3], new() { Steps = 8 });
        await page.Mouse.UpAsync();

        var inside = trials.Where((_, i) => RandomLearningRates[i] is >= 5e-4 and <= 6e-3).ToList();
        Assert.Equal(3, inside.Count);
        await Expect(page.Locator("#trials tbody tr")).ToHaveCountAsync(inside.Count);
        Assert.Equal(inside, await RowsAsync(page));
        await Expect(page.Locator("#brush-note")).ToContainTextAsync("3 of 8 trial(s)");
        // The curves follow the table.
        await Expect(page.Locator("#loss-chart .curve-legend li")).ToHaveCountAsync(3);

        // The filter expression narrows the brushed rows further: both hold at once.
        await page.Locator("#filter").FillAsync("lr > 1.5e-3");
        Assert.Equal(inside.Where((_, i) => i > 0), await RowsAsync(page));

        await page.Locator("#clear-brush").ClickAsync();
        await page.Locator("#filter").FillAsync("");
        await Expect(page.Locator("#trials tbody tr")).ToHaveCountAsync(8);
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_full_grid_shows_each_parameters_exact_share_of_the_metrics_variance()
    {
        // 3 learning rates × 2 decays; the accuracy's cell means, and their main effects worked out by hand below.
        double[] lrs = [1e-3, 3e-3, 1e-2], decays = [0, 5e-4];
        double[,] accuracy = { { 0.80, 0.82 }, { 0.90, 0.94 }, { 0.70, 0.71 } };
        var cells = (from i in Enumerable.Range(0, 3) from j in Enumerable.Range(0, 2)
                     select new SyntheticSweep.Trial(new Dictionary<string, double> { ["lr"] = lrs[i], ["weight_decay"] = decays[j] }, 0, [0.5, 0.4],
                         [accuracy[i, j] - 0.1, accuracy[i, j]])).ToList();
        var (sweep, _) = await SyntheticSweep.WriteAsync(dashboard, "grid-importance", cells);

        var all = accuracy.Cast<double>().ToArray();
        var grand = all.Average();
        var total = all.Average(v => (v - grand) * (v - grand));
        var lrEffect = Enumerable.Range(0, 3).Average(i => Math.Pow((accuracy[i, 0] + accuracy[i, 1]) / 2 - grand, 2));
        var decayEffect = Enumerable.Range(0, 2).Average(j => Math.Pow((accuracy[0, j] + accuracy[1, j] + accuracy[2, j]) / 3 - grand, 2));

        var watched = await dashboard.OpenAsync($"/sweeps/{sweep}");
        var page = watched.Page;
        await Expect(page.Locator("#importance-method")).ToContainTextAsync("main-effect ANOVA, on val_accuracy at each trial's best epoch, 6 of 6 trials.");
        await Expect(page.Locator("#importance-bars tr[data-parameter='lr'] .share")).ToHaveTextAsync(Percent(lrEffect / total));
        await Expect(page.Locator("#importance-bars tr[data-parameter='weight_decay'] .share")).ToHaveTextAsync(Percent(decayEffect / total));
        await Expect(page.Locator("#importance-bars tr.interactions .share")).ToHaveTextAsync(Percent(1 - (lrEffect + decayEffect) / total));

        // The same figures, unrounded, in the JSON behind the page.
        var response = await page.APIRequest.GetAsync($"{dashboard.Url}/api/sweeps/{sweep}/analysis");
        var analysis = JsonDocument.Parse(await response.TextAsync()).RootElement;
        var bars = analysis.GetProperty("importance").GetProperty("bars").EnumerateArray().ToDictionary(b => b.GetProperty("parameter").GetString()!, b => b.GetProperty("importance").GetDouble());
        Assert.Equal(lrEffect / total, bars["lr"], 1e-9);
        Assert.Equal(decayEffect / total, bars["weight_decay"], 1e-9);
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_grid_with_a_failed_cell_says_which_cell_is_missing_instead_of_showing_shares()
    {
        var (sweep, _) = await SyntheticSweep.WriteAsync(dashboard, "grid-with-a-hole", [
            new(new Dictionary<string, double> { ["lr"] = 1e-3, ["weight_decay"] = 0 }, 0, [0.5], [0.8]),
            new(new Dictionary<string, double> { ["lr"] = 1e-3, ["weight_decay"] = 5e-4 }, 0, [0.5], [0.7]),
            new(new Dictionary<string, double> { ["lr"] = 3e-3, ["weight_decay"] = 0 }, 0, [0.5], [0.9]),
            new(new Dictionary<string, double> { ["lr"] = 3e-3, ["weight_decay"] = 5e-4 }, 0, [], [])]);
        var watched = await dashboard.OpenAsync($"/sweeps/{sweep}");
        var page = watched.Page;
        await Expect(page.Locator("#importance-note")).ToContainTextAsync("the grid is incomplete: 1 of 4 cells have no val_accuracy (1 failed), e.g. lr=3e-3 weight_decay=5e-4.");
        await Expect(page.Locator("#importance-bars")).ToHaveCountAsync(0);
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_random_search_ranks_its_parameters_by_ped_anova()
    {
        var (sweep, trials) = await SyntheticSweep.WriteAsync(dashboard, "random-importance", RandomSearch());
        var watched = await dashboard.OpenAsync($"/sweeps/{sweep}");
        var page = watched.Page;
        await Expect(page.Locator("#importance-method")).ToContainTextAsync("PED-ANOVA, on val_accuracy at each trial's best epoch, 8 of 8 trials.");
        // The accuracy follows the learning rate; the dropout moves it by at most 0.02.
        var shares = await page.Locator("#importance-bars tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.parameter + ' ' + r.querySelector('.share').textContent)");
        Assert.Equal(["lr", "dropout"], shares.Select(s => s.Split(' ')[0]));
        Assert.True(Share(shares[0]) > Share(shares[1]), string.Join("; ", shares));
        Assert.Empty(watched.Errors);
        await page.CloseAsync();

        static double Share(string text) => double.Parse(text.Split(' ')[1].TrimEnd('%'), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task The_slices_draw_every_trials_value_against_the_metric_with_the_learning_rate_on_a_log_axis()
    {
        var (sweep, _) = await SyntheticSweep.WriteAsync(dashboard, "random-slices", RandomSearch());
        var watched = await dashboard.OpenAsync($"/sweeps/{sweep}");
        var page = watched.Page;

        // One slice per parameter; the learning rate's on a log axis, each trial's point at its (lr, accuracy %).
        await Expect(page.Locator("#slices .slice")).ToHaveCountAsync(2);
        var slice = await page.EvaluateAsync<JsonElement>("""
            () => {
              const option = echarts.getInstanceByDom(document.querySelector("#slices .slice[data-parameter='lr']")).getOption();
              return { axis: option.xAxis[0].type, points: option.series[0].data.map(d => [d[0], d[1]]) };
            }
            """);
        Assert.Equal("log", slice.GetProperty("axis").GetString());
        var expected = RandomSearch().Select(t => (t.Set["lr"], t.ValAccuracy[^1] * 100)).ToList();
        var drawn = slice.GetProperty("points").EnumerateArray().Select(p => (p[0].GetDouble(), p[1].GetDouble())).ToList();
        Assert.Equal(expected.Count, drawn.Count);
        foreach (var ((lr, percent), (x, y)) in expected.Zip(drawn))
        {
            Assert.Equal(lr, x, 1e-12);
            Assert.Equal(percent, y, 1e-9);
        }
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_slices_title_has_its_own_band_above_every_axis_label()
    {
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var page = watched.Page;
        await Expect(page.Locator("#slices .slice")).ToHaveCountAsync(2);
        foreach (var parameter in new[] { "arch", "lr" })
        {
            // Every text the chart drew (title, axis names, tick labels) with its box, read from the chart itself.
            var texts = await page.Locator($"#slices .slice[data-parameter='{parameter}']").EvaluateAsync<JsonElement>("""
                box => echarts.getInstanceByDom(box).getZr().storage.getDisplayList(true)
                  .filter(e => e.style && typeof e.style.text === 'string' && e.style.text !== '')
                  .map(e => { const r = e.getBoundingRect().clone(); if (e.transform) r.applyTransform(e.transform); return { text: e.style.text, top: r.y, bottom: r.y + r.height }; })
                """);
            var all = texts.EnumerateArray().Select(t => (Text: t.GetProperty("text").GetString()!, Top: t.GetProperty("top").GetDouble(), Bottom: t.GetProperty("bottom").GetDouble())).ToList();
            var title = all.Single(t => t.Text == $"val_accuracy by {parameter}");
            Assert.Contains(all, t => t.Text == "%");
            foreach (var other in all.Where(t => t != title))
                Assert.True(other.Top >= title.Bottom, $"\"{other.Text}\" (from {other.Top:F1} px) runs into the title \"{title.Text}\" (down to {title.Bottom:F1} px)");
        }
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    private static string Percent(double share) => (share * 100).ToString("F1", CultureInfo.InvariantCulture) + "%";

    private static async Task<IReadOnlyList<long>> RowsAsync(Microsoft.Playwright.IPage page) =>
        [.. (await page.Locator("#trials tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.trial)")).Select(long.Parse)];
}
