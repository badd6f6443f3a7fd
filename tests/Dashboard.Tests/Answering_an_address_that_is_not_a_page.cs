using System.Net;
using System.Text.Json;
using Xunit;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// An address no route takes (a trial id that is not a number, a mistyped API path) is a 404 that says so in words:
/// it was an empty body, which Chromium replaced with its own "page can't be found".
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Answering_an_address_that_is_not_a_page(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task A_page_address_with_a_word_for_an_id_names_the_pages_there_are()
    {
        using var client = new HttpClient { BaseAddress = new Uri(dashboard.Url) };
        using var response = await client.GetAsync("/trials/abc");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("There is no page at /trials/abc.", text, StringComparison.Ordinal);
        Assert.Contains("/trials/N", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_api_address_that_does_not_exist_answers_with_an_error_in_json()
    {
        using var client = new HttpClient { BaseAddress = new Uri(dashboard.Url) };
        using var response = await client.GetAsync("/api/trials/abc");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("there is nothing at /api/trials/abc: the JSON behind the pages is listed in docs/dashboard.md", body.RootElement.GetProperty("error").GetString());
        // A real page still answers with the page.
        using var page = await client.GetAsync($"/trials/{dashboard.Trials[0].Id}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }
}
