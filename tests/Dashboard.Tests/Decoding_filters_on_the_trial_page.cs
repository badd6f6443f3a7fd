using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Experiments.Datasets;
using Xunit;
using static Experiments.Dashboard.Tests.Browsing_a_trials_figures;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The trial page's decoded filters (seed 003) in Chromium, against the sweep the CLI recorded: the picture, the
/// reconstruction error and a filter's top-activating images at a chosen layer and epoch are what <c>viz decode</c>
/// writes and prints for the same trial, layer, filter and epoch.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Decoding_filters_on_the_trial_page(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task Moving_the_epoch_slider_changes_the_decoded_filters_to_the_picture_and_reconstruction_error_viz_decode_gives_for_that_epoch()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 3e-3);
        var best = await BestEpochAsync(dashboard, trial);
        var other = best == 1 ? 2 : 1;
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        await ScrollIntoSightAsync(page, "#decode-view");
        // Layer 2, 003's L3, is chosen first: layer 0's decoded filters are its own kernels. The slider starts at the best epoch.
        await WaitForPictureAsync(page, "#decode-filters", $"layer=2&epoch={best}");
        await Expect(page.Locator("#decode-layer")).ToHaveValueAsync("2");
        var latest = await BytesAsync(page, "#decode-filters");

        await page.Locator("#decode-epoch-slider").FillAsync($"{other}");
        await WaitForPictureAsync(page, "#decode-filters", $"layer=2&epoch={other}");
        var (written, printed, report) = Decode(trial, "--layer", "2", "--epoch", $"{other}");
        var shown = await BytesAsync(page, "#decode-filters");
        AssertSamePixels(written.Single(p => p.EndsWith("-filters.png", StringComparison.Ordinal)), shown, "decoded filters");
        Assert.NotEqual(latest, shown);

        // The error line is the command's own, and the number behind it is the one its report holds.
        var words = printed.Split('\n').Single(l => l.StartsWith("reconstruction MSE (003, eq. 3): ", StringComparison.Ordinal))["reconstruction MSE (003, eq. 3): ".Length..].Trim();
        await Expect(page.Locator("#decode-error-note")).ToHaveTextAsync($"Reconstruction MSE (003, eq. 3) of layer 2 at epoch {other}: {words}", new() { Timeout = 60_000 });
        var mean = report.RootElement.GetProperty("reconstructionMse").GetProperty("mean").GetDouble();
        Assert.Equal(mean, double.Parse((await page.Locator("#decode-error-note").GetAttributeAsync("data-mean"))!, CultureInfo.InvariantCulture));
        Assert.Empty(Unexpected(watched));
        await page.CloseAsync();
    }

    [Fact]
    public async Task Choosing_a_filter_shows_its_top_activating_test_images_in_the_order_viz_decode_ranks_them()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 1e-3);
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        await ScrollIntoSightAsync(page, "#decode-view");
        await WaitForPictureAsync(page, "#decode-top", "layer=2&filter=0&epoch=2");
        await page.Locator("#decode-filter").SelectOptionAsync("3");
        await WaitForPictureAsync(page, "#decode-top", "layer=2&filter=3&epoch=2");
        var (written, _, report) = Decode(trial, "--layer", "2", "--epoch", "2", "--filter", "3");
        AssertSamePixels(written.Single(p => p.EndsWith("-top.png", StringComparison.Ordinal)), await BytesAsync(page, "#decode-top"), "top-activating images");

        var filter = report.RootElement.GetProperty("filters")[3];
        foreach (var (ranking, property) in new[] { ("network", "topByNetwork"), ("decoded", "topByDecodedFilter") })
        {
            var expected = filter.GetProperty(property).EnumerateArray().Select(t => t.GetProperty("testImage").GetInt32().ToString(CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(4, expected.Count);
            var listed = page.Locator($"#decode-top-list li[data-ranking='{ranking}'] .top-image");
            await Expect(listed).ToHaveCountAsync(expected.Count);
            Assert.Equal(expected, await listed.EvaluateAllAsync<string[]>("spans => spans.map(s => s.dataset.index)"));
        }
        // The first image named is the strongest by the network's response, its class and activation (four significant digits) said to be those.
        var strongest = filter.GetProperty("topByNetwork")[0];
        var text = await page.Locator("#decode-top-list li[data-ranking='network'] .top-image").First.TextContentAsync() ?? "";
        var match = Regex.Match(text, @"^#(\d+) \(class (.+) · activation (\S+)\)$");
        Assert.True(match.Success, $"the first top image reads \"{text}\"");
        Assert.Equal(strongest.GetProperty("testImage").GetInt32().ToString(CultureInfo.InvariantCulture), match.Groups[1].Value);
        var classes = SyntheticDataset.ClassNames(new SyntheticOptions().Classes);
        Assert.Equal(classes[strongest.GetProperty("label").GetInt32()], match.Groups[2].Value);
        var activation = strongest.GetProperty("activation").GetDouble();
        Assert.Equal(activation, double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture), Math.Abs(activation) * 5e-4);
        Assert.Empty(Unexpected(watched));
        await page.CloseAsync();
    }

    [Fact]
    public async Task Nothing_is_decoded_until_the_decoded_filters_are_scrolled_into_sight()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 1e-3);
        var best = await BestEpochAsync(dashboard, trial);
        var page = await dashboard.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1200, Height = 600 } });
        var asked = new List<string>();
        page.Request += (_, request) => { if (request.Url.Contains("/decode?", StringComparison.Ordinal) || request.Url.Contains("/decode/filters.png", StringComparison.Ordinal)) asked.Add(request.Url); };
        await page.GotoAsync($"{dashboard.Url}/trials/{trial}");
        // The page has listed the layers that decode and set the view's epochs, which would have drawn it at once.
        await Expect(page.Locator("#decode-layer")).ToHaveValueAsync("2", new() { Timeout = 30_000 });
        await Expect(page.Locator("#decode-epoch-label")).ToHaveTextAsync(EpochLabel(best, best, [0, 1, 2]));
        Assert.Null(await page.Locator("#decode-filters").GetAttributeAsync("src"));
        Assert.Empty(asked);

        await ScrollIntoSightAsync(page, "#decode-view");
        await WaitForPictureAsync(page, "#decode-filters", $"layer=2&epoch={best}");
        Assert.Contains(asked, url => url.Contains($"/decode/filters.png?layer=2&epoch={best}", StringComparison.Ordinal));
        await page.CloseAsync();
    }

    /// <summary>Runs <c>viz decode --trial T …</c> into a folder of its own: the files it wrote, what it printed on stderr, and its JSON report.</summary>
    private (string[] Files, string Printed, JsonDocument Report) Decode(long trial, params string[] arguments)
    {
        var folder = Path.Combine(dashboard.Cli.Home, $"viz-decode-{trial}-{Guid.NewGuid():N}");
        var run = dashboard.Cli.Run(["viz", "decode", "--trial", trial.ToString(CultureInfo.InvariantCulture), .. arguments, "--out", folder]);
        Assert.True(run.ExitCode == 0, run.All);
        var files = Directory.GetFiles(folder);
        return (files, run.Error, JsonDocument.Parse(File.ReadAllText(files.Single(p => p.EndsWith(".json", StringComparison.Ordinal)))));
    }
}
