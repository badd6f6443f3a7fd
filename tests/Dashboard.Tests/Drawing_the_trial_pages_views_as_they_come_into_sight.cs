using System.Collections.Concurrent;
using Xunit;
using static Experiments.Dashboard.Tests.Browsing_a_trials_figures;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The trial page asks for a view's figures only once the view has been scrolled into sight, so the server draws the
/// one a user looks at first instead of a dozen figures and the misclassified gallery at once.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Drawing_the_trial_pages_views_as_they_come_into_sight(RecordedSweepDashboard dashboard)
{
    /// <summary>What the views at the foot of the page ask for: feature maps, attribution, class probabilities and the misclassified gallery.</summary>
    private static readonly string[] FooterRequests = ["/activations.png?", "/saliency.png?", "/probabilities.svg?", "/misclassified?", "/image.png?"];

    [Fact]
    public async Task A_view_below_the_fold_asks_for_nothing_until_it_is_scrolled_into_sight_and_then_draws_its_picture()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 3e-3);
        var best = await BestEpochAsync(dashboard, trial);
        var page = await dashboard.Browser.NewPageAsync(new() { ViewportSize = new() { Width = 1200, Height = 600 } });
        var asked = new ConcurrentQueue<string>();
        page.Request += (_, request) => { if (FooterRequests.Any(r => request.Url.Contains(r, StringComparison.Ordinal))) asked.Enqueue(request.Url); };
        await page.GotoAsync($"{dashboard.Url}/trials/{trial}");
        // The views below know their epochs: a page that drew them at once would have set their pictures' addresses
        // and asked for the gallery in the same step that wrote these labels.
        await Expect(page.Locator("#probabilities-epoch-label")).ToHaveTextAsync(EpochLabel(best, best, [0, 1, 2]), new() { Timeout = 30_000 });
        await Expect(page.Locator("#misclassified-epoch-label")).ToHaveTextAsync(EpochLabel(best, best, [0, 1, 2]));
        foreach (var picture in new[] { "#maps-picture", "#attribution-picture", "#probabilities-picture" })
            Assert.Null(await page.Locator(picture).GetAttributeAsync("src"));
        Assert.Empty(asked);

        await ScrollIntoSightAsync(page, "#probabilities-view");
        await WaitForPictureAsync(page, "#probabilities-picture", $"/probabilities.svg?image=0&split=test&epoch={best}");
        await Expect(page.Locator("#probabilities-picture")).ToBeVisibleAsync();
        Assert.Contains(asked, url => url.Contains($"/probabilities.svg?image=0&split=test&epoch={best}", StringComparison.Ordinal));
        await page.CloseAsync();
    }
}
