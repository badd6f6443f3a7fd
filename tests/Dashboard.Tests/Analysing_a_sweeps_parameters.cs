using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The sweep page's views of parameters against the metric in Chromium: brushing the parallel coordinates filters
/// the trial table.
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

    private static async Task<IReadOnlyList<long>> RowsAsync(Microsoft.Playwright.IPage page) =>
        [.. (await page.Locator("#trials tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.trial)")).Select(long.Parse)];
}
