using System.Globalization;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The sweep page's learning-curve controls in Chromium: TensorBoard's debiased EMA smoothing, seed repeats grouped
/// into a mean with a min–max band, the compact legend that lists each trial once, and a filter box that shows its
/// whole hint.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Reading_the_learning_curves(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task The_legend_lists_each_trial_once_with_each_splits_best_loss_and_accuracy_and_its_epoch()
    {
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var legend = watched.Page.Locator("#loss-chart .curve-legend li");
        await Expect(legend).ToHaveCountAsync(dashboard.Trials.Count);
        var trial = dashboard.Trial("lenet-matconvnet", 3e-3);
        var epochs = await dashboard.ReadOnlyStore.GetEpochsAsync(trial);
        await Expect(legend.Filter(new() { HasText = "lenet-matconvnet lr=3e-3" })).ToHaveTextAsync(LegendEntry("lenet-matconvnet lr=3e-3", epochs, "loss"));
        await Expect(watched.Page.Locator("#accuracy-chart .curve-legend li").Filter(new() { HasText = "lenet-matconvnet lr=3e-3" }))
            .ToHaveTextAsync(LegendEntry("lenet-matconvnet lr=3e-3", epochs, "accuracy"));
        Assert.Empty(watched.Errors);
        await watched.Page.CloseAsync();
    }

    [Fact]
    public async Task The_trial_page_draws_the_trials_own_curves_with_each_splits_best_value_and_epoch()
    {
        var trial = dashboard.Trial("ffnn-100", 3e-3);
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var epochs = await dashboard.ReadOnlyStore.GetEpochsAsync(trial);
        await Expect(watched.Page.Locator("#trial-loss .curve-legend li")).ToHaveTextAsync([LegendEntry($"trial {trial}", epochs, "loss")], new() { Timeout = 30_000 });
        await Expect(watched.Page.Locator("#trial-accuracy .curve-legend li")).ToHaveTextAsync([LegendEntry($"trial {trial}", epochs, "accuracy")]);
        await AssertLineStylesAsync(watched.Page, "#trial-loss", 1);
        await AssertLineStylesAsync(watched.Page, "#trial-accuracy", 1);
        Assert.Empty(watched.Errors);
        await watched.Page.CloseAsync();
    }

    [Fact]
    public async Task Train_is_drawn_solid_validation_dashed_and_test_dotted_in_the_charts_and_their_legends()
    {
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        await AssertLineStylesAsync(watched.Page, "#loss-chart", dashboard.Trials.Count);
        await AssertLineStylesAsync(watched.Page, "#accuracy-chart", dashboard.Trials.Count);
        Assert.Empty(watched.Errors);
        await watched.Page.CloseAsync();
    }

    /// <summary>
    /// Each of the chart's <paramref name="trials"/> legend entries has a sample of its train, validation and test
    /// line, solid, dashed and dotted, and the chart draws that many lines of each pattern (uPlot's series, read
    /// from the chart the page drew).
    /// </summary>
    internal static async Task AssertLineStylesAsync(Microsoft.Playwright.IPage page, string chart, int trials)
    {
        var entries = page.Locator($"{chart} .curve-legend li");
        await Expect(entries).ToHaveCountAsync(trials, new() { Timeout = 30_000 });
        foreach (var (split, dash) in new[] { ("train", (string?)null), ("validation", "6 4"), ("test", "2 3") })
        {
            var samples = page.Locator($"{chart} .curve-legend .legend-value.{split} svg.line-sample line");
            await Expect(samples).ToHaveCountAsync(trials);
            Assert.All(await samples.EvaluateAllAsync<string?[]>("lines => lines.map(l => l.getAttribute('stroke-dasharray'))"), d => Assert.Equal(dash, d));
        }
        var drawn = await page.Locator(chart).EvaluateAsync<string[]>("c => c.curveChart.series.slice(1).map(s => `${s.label.split(' ').pop()}:${(s.dash || []).join(' ')}`)");
        Assert.Equal(trials, drawn.Count(d => d == "train:"));
        Assert.Equal(trials, drawn.Count(d => d == "validation:6 4"));
        Assert.Equal(trials, drawn.Count(d => d == "test:2 3"));
    }

    /// <summary>
    /// A legend entry as the curve charts write it: the trial's name, then per split its best value (the lowest loss,
    /// the highest accuracy, the earliest epoch among equals) and that epoch, "val acc · best 97.50% @ 2".
    /// </summary>
    internal static string LegendEntry(string name, IReadOnlyList<Store.EpochRecord> epochs, string kind)
    {
        var trained = epochs.Where(e => e.Epoch > 0).OrderBy(e => e.Epoch).ToList();
        var text = name;
        foreach (var (split, read) in new (string, Func<Store.EpochRecord, Store.SplitFigures?>)[] { ("train", e => e.Train), ("val", e => e.Validation), ("test", e => e.Test) })
        {
            var values = trained.Select(e => (e.Epoch, Value: read(e) is { } f ? (kind == "loss" ? f.Loss : f.Accuracy) : double.NaN)).Where(v => double.IsFinite(v.Value)).ToList();
            if (values.Count == 0) continue;
            var best = kind == "loss" ? values.MinBy(v => v.Value) : values.MaxBy(v => v.Value);
            text += $" {split} {(kind == "loss" ? "loss" : "acc")} · best {(kind == "loss" ? Loss(best.Value) : Contracts.PercentText.Format(best.Value))} @ {best.Epoch}";
        }
        return text;
    }

    [Fact]
    public async Task Hovering_near_a_line_names_that_line_alone_with_its_value_at_that_epoch()
    {
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var page = watched.Page;
        await Expect(page.Locator("#loss-chart .curve-readout")).ToHaveTextAsync("hover a line to read its value");
        // Down the right edge of the plot, epoch 2, until the cursor comes near a line.
        var text = await Reading_the_compare_pages_curves.HoverDownTheLastEpochAsync(page, "#loss-chart", "epoch 2 · ");
        var match = System.Text.RegularExpressions.Regex.Match(text, @"^epoch 2 · (.+) (train|validation|test): (\d+\.\d{4})$");
        Assert.True(match.Success, $"the readout says \"{text}\"");
        var names = Visualization.Charts.TrialNames.Distinguishing([.. await dashboard.ReadOnlyStore.ListTrialsAsync(dashboard.SweepId, 100)]);
        var trial = names.Single(n => n.Value == match.Groups[1].Value).Key;
        var epoch = (await dashboard.ReadOnlyStore.GetEpochsAsync(trial)).Single(e => e.Epoch == 2);
        Assert.Equal(Loss((match.Groups[2].Value switch { "train" => epoch.Train, "test" => epoch.Test, _ => epoch.Validation })!.Loss), match.Groups[3].Value);
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Smoothing_draws_the_debiased_exponential_moving_average_of_each_trials_losses()
    {
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var page = watched.Page;
        var trial = dashboard.Trial("ffnn-100", 1e-3);
        var entry = page.Locator("#loss-chart .curve-legend li").Filter(new() { HasText = "ffnn-100 lr=1e-3" });
        await Expect(entry).ToHaveCountAsync(1);
        var losses = (await dashboard.ReadOnlyStore.GetEpochsAsync(trial)).Where(e => e.Epoch > 0).Select(e => e.Validation!.Loss).ToArray();
        await Expect(entry.Locator(".legend-value.validation")).ToHaveTextAsync($" val loss · best {Loss(losses.Min())} @ {Array.IndexOf(losses, losses.Min()) + 1}");

        await page.Locator("#smoothing").FillAsync("0.6");
        await Expect(page.Locator("#smoothing-value")).ToHaveTextAsync("0.60");
        // TensorBoard's debiased EMA at epoch n is the average of the values up to it weighted 0.6^(n−k): the
        // newest counts most, and the weights are normalised so the line does not start near zero. The legend gives
        // the smoothed line's best (lowest) value.
        var smoothed = losses.Select((_, n) =>
        {
            var weights = Enumerable.Range(0, n + 1).Select(k => Math.Pow(0.6, n - k)).ToArray();
            return losses.Take(n + 1).Zip(weights, (v, w) => v * w).Sum() / weights.Sum();
        }).ToArray();
        Assert.NotEqual(Loss(losses.Min()), Loss(smoothed.Min()));
        await Expect(entry.Locator(".legend-value.validation")).ToHaveTextAsync($" val loss · best {Loss(smoothed.Min())} @ {Array.IndexOf(smoothed, smoothed.Min()) + 1}");
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Grouping_repeats_draws_one_line_per_configuration_with_the_mean_and_the_seeds_range()
    {
        // Two learning rates × two seeds; the seeds' final validation losses are 0.2/0.4 and 0.5/0.7.
        var (sweep, _) = await SyntheticSweep.WriteAsync(dashboard, "seed-repeats", [
            new(new Dictionary<string, double> { ["lr"] = 1e-3 }, 0, [0.9, 0.2], [0.5, 0.9]),
            new(new Dictionary<string, double> { ["lr"] = 1e-3 }, 1, [0.8, 0.4], [0.5, 0.8]),
            new(new Dictionary<string, double> { ["lr"] = 3e-3 }, 0, [0.9, 0.5], [0.5, 0.7]),
            new(new Dictionary<string, double> { ["lr"] = 3e-3 }, 1, [0.7, 0.7], [0.5, 0.6])]);
        var watched = await dashboard.OpenAsync($"/sweeps/{sweep}");
        var page = watched.Page;
        var legend = page.Locator("#loss-chart .curve-legend li");
        await Expect(legend).ToHaveCountAsync(4);

        await page.Locator("#group-repeats").CheckAsync();
        await Expect(legend).ToHaveCountAsync(2);
        await Expect(page.Locator("#group-note")).ToHaveTextAsync("");
        await Expect(legend.Locator(".legend-name")).ToHaveTextAsync(["lr=1e-3 (2 seeds)", "lr=3e-3 (2 seeds)"]);
        await Expect(legend.Locator(".legend-value.validation")).ToHaveTextAsync([" val loss · best 0.3000 (0.2000–0.4000) @ 2", " val loss · best 0.6000 (0.5000–0.7000) @ 2"]);
        var accuracy = page.Locator("#accuracy-chart .curve-legend li .legend-value.validation");
        await Expect(accuracy).ToHaveTextAsync([" val acc · best 85.00% (80.00%–90.00%) @ 2", " val acc · best 65.00% (60.00%–70.00%) @ 2"]);

        await page.Locator("#group-repeats").UncheckAsync();
        await Expect(legend).ToHaveCountAsync(4);
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Grouping_a_sweep_without_repeats_says_there_is_nothing_to_group()
    {
        // The recorded sweep's four trials each have their own architecture and learning rate.
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var page = watched.Page;
        var legend = page.Locator("#loss-chart .curve-legend li");
        await Expect(legend).ToHaveCountAsync(dashboard.Trials.Count);
        await Expect(page.Locator("#group-note")).ToHaveTextAsync("");
        await page.Locator("#group-repeats").CheckAsync();
        await Expect(page.Locator("#group-note")).ToHaveTextAsync("nothing to group: every trial has a different setting");
        await Expect(legend).ToHaveCountAsync(dashboard.Trials.Count);
        await page.Locator("#group-repeats").UncheckAsync();
        await Expect(page.Locator("#group-note")).ToHaveTextAsync("");
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_filter_box_is_wide_enough_for_its_whole_hint()
    {
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var filter = watched.Page.Locator("#filter");
        await Expect(filter).ToHaveAttributeAsync("placeholder", new System.Text.RegularExpressions.Regex("lr < 1e-3 and arch = lenet-matconvnet"));
        // The hint's drawn width in the box's own font, against the room inside the box.
        var widths = await filter.EvaluateAsync<double[]>("""
            i => {
              const style = getComputedStyle(i);
              const context = document.createElement('canvas').getContext('2d');
              context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
              return [context.measureText(i.placeholder).width, i.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)];
            }
            """);
        Assert.True(widths[0] <= widths[1], $"the hint is {widths[0]:F0} px wide, the box has {widths[1]:F0} px");
        Assert.Empty(watched.Errors);
        await watched.Page.CloseAsync();
    }

    private static string Loss(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
