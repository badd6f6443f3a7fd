using System.Net;
using System.Text.RegularExpressions;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The compare page, reached from the sweep page's ticked rows: the settings diff marks what differs, the curves of
/// just those trials share one chart, and one epoch slider moves every trial's kernel picture.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Comparing_trials_side_by_side(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task Ticking_two_trials_and_pressing_compare_shows_their_settings_diff_curves_and_kernels_at_one_epoch()
    {
        var (slow, fast) = (dashboard.Trial("lenet-matconvnet", 1e-3), dashboard.Trial("lenet-matconvnet", 3e-3));
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var page = watched.Page;
        await Expect(page.Locator("#compare")).ToBeDisabledAsync();
        await page.Locator($"#trials tr[data-trial='{fast}'] input[type=checkbox]").CheckAsync();
        await page.Locator($"#trials tr[data-trial='{slow}'] input[type=checkbox]").CheckAsync();
        await Expect(page.Locator("#compare")).ToHaveTextAsync("Compare 2 trials");
        await page.Locator("#compare").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/compare\\?trials={slow},{fast}$"));

        await Expect(page.Locator("#compare-title")).ToHaveTextAsync($"Compare trials {slow}, {fast}");
        // The learning rate differs and is marked; the architecture is the same and is not.
        var lr = page.Locator("#compare-settings tr[data-setting='learning rate']");
        await Expect(lr.Locator("td")).ToHaveTextAsync(["1e-3", "3e-3"]);
        await Expect(lr).ToHaveClassAsync("differs");
        var architecture = page.Locator("#compare-settings tr[data-setting='architecture']");
        await Expect(architecture.Locator("td")).ToHaveTextAsync(["lenet-matconvnet", "lenet-matconvnet"]);
        await Expect(architecture).Not.ToHaveClassAsync("differs");

        // One chart per kind with the two trials' train, validation and test lines, and nothing of the other trials.
        var legend = page.Locator("#compare-loss .curve-legend li");
        await Expect(legend).ToHaveCountAsync(2);
        await Expect(legend.Nth(0)).ToContainTextAsync($"trial {slow} · lr=1e-3 train");
        await Expect(legend.Nth(1)).ToContainTextAsync($"trial {fast} · lr=3e-3 train");
        await Expect(legend.Nth(1)).ToContainTextAsync(" val loss · best ");

        // Both pictures start at the latest epoch both kept (2); the one slider takes both to epoch 0.
        await WaitForPicturesAsync(page, 2);
        var latest = await PicturesAsync(page);
        await page.Locator("#compare-epoch").FillAsync("0");
        await WaitForPicturesAsync(page, 0);
        await Expect(page.Locator("#compare-epoch-label")).ToHaveTextAsync("0 (of 0, 1, 2)");
        var first = await PicturesAsync(page);
        // Each picture is that trial's own kernels.png (the one viz kernels draws, as Browsing_the_dashboard checks).
        using var client = new HttpClient { BaseAddress = new Uri(dashboard.Url) };
        for (var i = 0; i < 2; i++)
        {
            var trial = new[] { slow, fast }[i];
            Assert.Equal(await client.GetByteArrayAsync($"/api/trials/{trial}/kernels.png?layer=0&epoch=0"), first[i]);
            Assert.Equal(await client.GetByteArrayAsync($"/api/trials/{trial}/kernels.png?layer=0&epoch=2"), latest[i]);
            Assert.NotEqual(first[i], latest[i]);
        }
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Trials_without_a_shared_conv_layer_are_compared_without_kernels_and_say_why()
    {
        var (cnn, mlp) = (dashboard.Trial("lenet-matconvnet", 1e-3), dashboard.Trial("ffnn-100", 1e-3));
        var watched = await dashboard.OpenAsync($"/compare?trials={cnn},{mlp}");
        var page = watched.Page;
        await Expect(page.Locator("#compare-settings tr[data-setting='architecture'] td")).ToHaveTextAsync(["lenet-matconvnet", "ffnn-100"]);
        await Expect(page.Locator("#compare-settings tr[data-setting='architecture']")).ToHaveClassAsync("differs");
        await Expect(page.Locator("#compare-kernels-note")).ToHaveTextAsync("These trials share no conv layer, so there are no kernels to set side by side.");
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Theory]
    [InlineData("5", "compare 2 to 4 different trials, e.g. compare?trials=3,4; got 1")]
    [InlineData("1,2,3,4,5", "compare 2 to 4 different trials, e.g. compare?trials=3,4; got 5")]
    [InlineData("1,x", "'x' is not a trial id: compare?trials=3,4")]
    public async Task A_trial_list_that_is_not_two_to_four_trial_ids_is_a_400_that_says_what_is_wrong(string trials, string message)
    {
        using var client = new HttpClient { BaseAddress = new Uri(dashboard.Url) };
        var response = await client.GetAsync($"/api/compare?trials={trials}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Four_trials_with_long_settings_fit_the_window_without_a_sideways_scroll()
    {
        var ids = string.Join(',', dashboard.Trials.Select(t => t.Id));
        var watched = await dashboard.OpenAsync($"/compare?trials={ids}");
        var page = watched.Page;
        await page.SetViewportSizeAsync(1000, 800);
        await Expect(page.Locator("#compare-settings tbody tr").First).ToBeVisibleAsync();
        // The code version is recorded as the build's full commit hash, the longest value in the diff.
        var version = page.Locator("#compare-settings tr[data-setting='code version'] td").First;
        await Expect(version).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("[0-9a-f]{40}"));
        var (scrollWidth, windowWidth) = (await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth"),
            await page.EvaluateAsync<int>("() => window.innerWidth"));
        Assert.True(scrollWidth <= windowWidth, $"the page is {scrollWidth} px wide in a window of {windowWidth} px");
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    private static Task WaitForPicturesAsync(Microsoft.Playwright.IPage page, int epoch) =>
        page.WaitForFunctionAsync(
            "epoch => { const images = [...document.querySelectorAll('#compare-kernels img')]; " +
            "return images.length === 2 && images.every(i => i.complete && i.naturalWidth > 0 && i.src.endsWith('epoch=' + epoch)); }", epoch);

    /// <summary>The bytes of each picture the page shows, fetched as the browser fetched them.</summary>
    private static async Task<List<byte[]>> PicturesAsync(Microsoft.Playwright.IPage page)
    {
        var sources = await page.Locator("#compare-kernels img").EvaluateAllAsync<string[]>("images => images.map(i => i.src)");
        var pictures = new List<byte[]>();
        foreach (var source in sources) pictures.Add(await (await page.APIRequest.GetAsync(source)).BodyAsync());
        return pictures;
    }
}
