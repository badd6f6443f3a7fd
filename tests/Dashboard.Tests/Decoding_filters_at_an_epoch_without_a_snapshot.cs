using System.Globalization;
using Xunit;
using static Experiments.Dashboard.Tests.Browsing_a_trials_figures;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The decoded filters' epoch slider lists every recorded epoch, as the other trial-page views' sliders do: on an epoch
/// without a weight snapshot (`train --snapshot-every 3`) it says so, shows no picture, names the nearest stored
/// epochs, and a click on one decodes that epoch.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Decoding_filters_at_an_epoch_without_a_snapshot(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task Sliding_the_decoded_filters_to_an_epoch_without_a_snapshot_says_so_and_a_click_on_the_nearest_stored_epoch_decodes_it()
    {
        var (trial, stored, missing, below, above, best) = await Browsing_epochs_without_a_snapshot.TrainWithSparseSnapshotsAsync(dashboard);
        var epochs = Browsing_epochs_without_a_snapshot.Epochs;

        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        await ScrollIntoSightAsync(page, "#decode-view");
        // Every epoch is on the slider, which starts at the best one, whose snapshot is always kept.
        await Expect(page.Locator("#decode-epoch-label")).ToHaveTextAsync(EpochLabel(best, best, epochs, stored));
        await WaitForPictureAsync(page, "#decode-filters", $"layer=2&epoch={best}");
        await Expect(page.Locator("#decode-error-note")).ToContainTextAsync($"at epoch {best}:", new() { Timeout = 60_000 });

        await page.Locator("#decode-epoch-slider").FillAsync(missing.ToString(CultureInfo.InvariantCulture));
        await Expect(page.Locator("#decode-no-snapshot")).ToHaveTextAsync($"epoch {missing} has no weight snapshot; nearest: epoch {below} epoch {above}");
        await Expect(page.Locator("#decode-filters")).ToBeHiddenAsync();
        await Expect(page.Locator("#decode-top")).ToBeHiddenAsync();
        // The best epoch's numbers are not left standing under another epoch.
        await Expect(page.Locator("#decode-error-note")).ToHaveTextAsync("");
        await Expect(page.Locator("#decode-top-list li")).ToHaveCountAsync(0);

        // The button's own click event, not a click at its coordinates: the page's other views draw as their pictures
        // arrive and shift the layout, so a coordinate click could land beside the button (seen once, under load).
        await page.Locator($"#decode-no-snapshot button[data-epoch='{above}']").DispatchEventAsync("click");
        await Expect(page.Locator("#decode-epoch-label")).ToHaveTextAsync(EpochLabel(above, best, epochs, stored));
        await Expect(page.Locator("#decode-no-snapshot")).ToHaveTextAsync("");
        await WaitForPictureAsync(page, "#decode-filters", $"layer=2&epoch={above}");
        await Expect(page.Locator("#decode-filters")).ToBeVisibleAsync();
        await Expect(page.Locator("#decode-error-note")).ToContainTextAsync($"at epoch {above}:", new() { Timeout = 60_000 });
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }
}
