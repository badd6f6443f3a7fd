using Xunit;
using static Experiments.Dashboard.Tests.Browsing_a_trials_figures;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The trial page's feature maps in Chromium: a grid of many channels is wider than the page, and shrunk to the page's
/// width its labels could not be read, so it is shown at its own pixel size in a frame that scrolls.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Reading_the_feature_maps_at_their_own_size(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task A_feature_map_grid_wider_than_the_page_is_drawn_pixel_for_pixel_in_a_frame_that_scrolls_to_its_far_end()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 3e-3);
        var best = await BestEpochAsync(dashboard, trial);
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        await page.SetViewportSizeAsync(900, 800);
        // Layer 0's twenty 24×24 maps, side by side.
        await Expect(page.Locator("#map-layer option")).Not.ToHaveCountAsync(0, new() { Timeout = 30_000 });
        await page.Locator("#map-layer").SelectOptionAsync("0");
        await ScrollIntoSightAsync(page, "#maps-view");
        await WaitForPictureAsync(page, "#maps-picture", $"layer=0&image=0&split=test&epoch={best}");

        var sizes = await page.Locator("#maps-picture").EvaluateAsync<double[]>(
            "i => [i.getBoundingClientRect().width, i.getBoundingClientRect().height, i.naturalWidth, i.naturalHeight, i.parentElement.clientWidth, i.parentElement.scrollWidth]");
        var (width, height, naturalWidth, naturalHeight, frameWidth, scrollWidth) = (sizes[0], sizes[1], sizes[2], sizes[3], sizes[4], sizes[5]);
        // The picture is wider than the room the page has for it, so this is the case that used to be shrunk ...
        Assert.True(naturalWidth > frameWidth, $"the feature maps are {naturalWidth} px wide and fit the {frameWidth} px frame; the test needs a wider picture");
        // ... and it is now drawn one screen pixel per picture pixel, its far end reached by scrolling the frame.
        Assert.Equal((naturalWidth, naturalHeight), (width, height));
        Assert.True(scrollWidth >= naturalWidth, $"the frame scrolls over {scrollWidth} px of a {naturalWidth} px picture");
        Assert.Empty(Unexpected(watched));
        await page.CloseAsync();
    }
}
