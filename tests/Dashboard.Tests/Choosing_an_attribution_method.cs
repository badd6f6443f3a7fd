using Xunit;
using static Experiments.Dashboard.Tests.Browsing_a_trials_figures;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// CAM on a model it does not apply to (lenet-matconvnet ends in a linear layer without global average pooling) says
/// why once, in the page's words, and asks for no picture the server would refuse.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Choosing_an_attribution_method(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task Cam_on_a_model_without_global_average_pooling_says_why_in_the_pages_words_and_requests_no_picture()
    {
        var watched = await dashboard.OpenAsync($"/trials/{dashboard.Trial("lenet-matconvnet", 3e-3)}");
        var page = watched.Page;
        var camRequests = 0;
        page.Request += (_, request) => { if (request.Url.Contains("/cam.png", StringComparison.Ordinal)) camRequests++; };
        await ScrollIntoSightAsync(page, "#attribution-view");
        await WaitForPictureAsync(page, "#attribution-picture", "saliency.png");

        await page.Locator("#attribution-method button[data-method='cam']").ClickAsync();

        await Expect(page.Locator("#attribution-note")).ToContainTextAsync("CAM needs an architecture that ends in global average pooling");
        await Expect(page.Locator("#attribution-note")).ToContainTextAsync("press Grad-CAM and choose a \"Grad-CAM layer\" above");
        await Expect(page.Locator("#attribution-note")).Not.ToContainTextAsync("viz gradcam");
        await Expect(page.Locator("#attribution-picture")).ToBeHiddenAsync();
        await Expect(page.Locator("#attribution-picture-error")).ToBeEmptyAsync();
        Assert.Equal(0, camRequests);
        Assert.Empty(Unexpected(watched));
        await page.CloseAsync();
    }
}
