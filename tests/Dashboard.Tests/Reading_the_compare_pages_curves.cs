using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The compare page's learning curves in Chromium carry the sweep page's compact legend (one entry per trial with each
/// split's best value and epoch, train solid, validation dashed, test dotted) and its readout (hovering names the one line under the cursor), as
/// <see cref="Reading_the_learning_curves"/> checks them on the sweep page.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Reading_the_compare_pages_curves(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task The_legend_lists_each_compared_trial_once_with_each_splits_best_loss_and_its_epoch()
    {
        var (lenet, mlp) = (dashboard.Trial("lenet-matconvnet", 3e-3), dashboard.Trial("ffnn-100", 1e-3));
        var watched = await dashboard.OpenAsync($"/compare?trials={lenet},{mlp}");
        var legend = watched.Page.Locator("#compare-loss .curve-legend li");
        await Expect(legend).ToHaveCountAsync(2, new() { Timeout = 30_000 });
        // uPlot's own legend, which listed every line, is gone.
        await Expect(watched.Page.Locator("#compare-loss .u-legend")).ToHaveCountAsync(0);
        var names = await NamesAsync(lenet, mlp);
        foreach (var trial in new[] { lenet, mlp })
        {
            var epochs = await dashboard.ReadOnlyStore.GetEpochsAsync(trial);
            await Expect(legend.Filter(new() { HasText = $"trial {trial} · " })).ToHaveTextAsync(
                Reading_the_learning_curves.LegendEntry($"trial {trial} · {names[trial]}", epochs, "loss"));
        }
        // The test split is sent and drawn too, dotted, as on the sweep page.
        await Reading_the_learning_curves.AssertLineStylesAsync(watched.Page, "#compare-loss", 2);
        await Reading_the_learning_curves.AssertLineStylesAsync(watched.Page, "#compare-accuracy", 2);
        Assert.Empty(watched.Errors);
        await watched.Page.CloseAsync();
    }

    [Fact]
    public async Task Hovering_near_a_line_names_that_line_alone_with_its_value_at_that_epoch()
    {
        var (slow, fast) = (dashboard.Trial("lenet-matconvnet", 1e-3), dashboard.Trial("lenet-matconvnet", 3e-3));
        var watched = await dashboard.OpenAsync($"/compare?trials={slow},{fast}");
        var page = watched.Page;
        await Expect(page.Locator("#compare-loss .curve-readout")).ToHaveTextAsync("hover a line to read its value", new() { Timeout = 30_000 });
        var text = await HoverDownTheLastEpochAsync(page, "#compare-loss", "epoch 2 · ");
        var match = Regex.Match(text, @"^epoch 2 · trial (\d+) · (.+) (train|validation|test): (\d+\.\d{4})$");
        Assert.True(match.Success, $"the readout says \"{text}\"");
        var trial = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Contains(trial, new[] { slow, fast });
        Assert.Equal((await NamesAsync(slow, fast))[trial], match.Groups[2].Value);
        var epoch = (await dashboard.ReadOnlyStore.GetEpochsAsync(trial)).Single(e => e.Epoch == 2);
        Assert.Equal(Loss((match.Groups[3].Value switch { "train" => epoch.Train, "test" => epoch.Test, _ => epoch.Validation })!.Loss), match.Groups[4].Value);
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    /// <summary>
    /// Moves the mouse down the right edge of a chart's plot (its last epoch) until the readout above it starts with
    /// <paramref name="prefix"/>, i.e. the cursor came near a line, and returns what the readout then says.
    /// </summary>
    internal static async Task<string> HoverDownTheLastEpochAsync(IPage page, string chart, string prefix)
    {
        var readout = page.Locator($"{chart} .curve-readout");
        await page.Locator(chart).ScrollIntoViewIfNeededAsync();
        var plot = (await page.Locator($"{chart} .u-over").BoundingBoxAsync())!;
        var text = "";
        for (var y = plot.Y + 2; y < plot.Y + plot.Height && !text.StartsWith(prefix, StringComparison.Ordinal); y += 6)
        {
            await page.Mouse.MoveAsync(plot.X + plot.Width - 1, y);
            text = await readout.TextContentAsync() ?? "";
        }
        return text;
    }

    /// <summary>The compared trials' names as the compare page names them: the settings that tell those trials apart.</summary>
    private async Task<IReadOnlyDictionary<long, string>> NamesAsync(params long[] trials) =>
        Visualization.Charts.TrialNames.Distinguishing([.. (await dashboard.ReadOnlyStore.ListTrialsAsync(dashboard.SweepId, 100)).Where(r => trials.Contains(r.Id))]);

    private static string Loss(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
