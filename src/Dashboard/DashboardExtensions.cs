using System.Globalization;
using Experiments.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The dashboard in any ASP.NET Core host: <see cref="AddExperimentsDashboard"/> registers what it reads with, and
/// <see cref="MapExperimentsDashboard"/> puts its pages (<c>/</c>, <c>/sweeps/{id}</c>, <c>/trials/{id}</c>), JSON
/// (<c>/api/…</c>), kernel pictures and live feed (server-sent events) on the host, behind the token when there is one.
/// </summary>
public static class DashboardExtensions
{
    /// <summary>Registers the dashboard's reader, its picture cache and the options (the store it reads, the token).</summary>
    public static IServiceCollection AddExperimentsDashboard(this IServiceCollection services, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(provider => new DashboardReader(options.Store, provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton(options.Store);
        services.AddSingleton(_ => new TrialPictures(options.Store, options));
        services.AddSingleton(provider => new SweepAnalysisReader(options.Store, provider.GetRequiredService<DashboardReader>()));
        services.AddSingleton(provider => new ChangeFeed(provider.GetRequiredService<DashboardReader>(), options, provider.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>Maps the dashboard at the root of <paramref name="app"/>.</summary>
    public static WebApplication MapExperimentsDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<DashboardOptions>();
        // The first page and picture after start would otherwise wait for first-use costs (EF Core's model, the drawing
        // libraries); a failure here is not the user's and shows again, with its message, on the page that needs it.
        var reader = app.Services.GetRequiredService<DashboardReader>();
        app.Lifetime.ApplicationStarted.Register(() => _ = Task.Run(async () =>
        {
            try
            {
                await reader.WarmUpAsync(app.Lifetime.ApplicationStopping);
                TrialPictures.WarmUp();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
            }
        }));
        app.Use(async (context, next) =>
        {
            if (options.Token is { } token && !DashboardToken.Admit(context, token))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync("This dashboard needs its token: open the address it printed when it started (…/?token=…).");
                return;
            }
            // Only this origin's own script, style and pictures: nothing is fetched off the machine, and no injected script runs.
            context.Response.Headers.ContentSecurityPolicy =
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
            context.Response.Headers.XContentTypeOptions = "nosniff";
            await next();
        });

        // One page shell for every page; its script reads which one from the address.
        foreach (var page in new[] { "/", "/sweeps/{id:long}", "/trials/{id:long}" }) app.MapGet(page, () => StaticAssets.Serve("page.html"));
        app.MapGet("/assets/{name}", (string name) => StaticAssets.Serve(name));

        var api = app.MapGroup("/api");
        api.MapGet("/sweeps", async (DashboardReader reader, CancellationToken ct) => Results.Json(await reader.SweepsAsync(ct)));
        api.MapGet("/sweeps/{id:long}", async (long id, DashboardReader reader, CancellationToken ct) =>
            await reader.SweepJsonAsync(id, ct) is { } sweep ? Results.Bytes(sweep, "application/json; charset=utf-8") : NotFound($"there is no sweep {id}"));
        api.MapGet("/sweeps/{id:long}/curves", async (long id, int? width, string? trials, DashboardReader reader, CancellationToken ct) =>
            width is < 1 or > 10_000 ? BadRequest("width must be a number of pixels from 1 to 10000")
            : !TrialIdList.TryParse(trials, out var ids, out var problem) ? BadRequest(problem)
            : await reader.CurvesAsync(id, width ?? 800, ids, ct) is { } curves ? Results.Json(curves) : NotFound($"there is no sweep {id}"));
        api.MapGet("/trials/{id:long}", async (long id, DashboardReader reader, CancellationToken ct) =>
            await reader.TrialAsync(id, ct) is { } trial ? Results.Json(trial) : NotFound($"there is no trial {id}"));
        api.MapTrialFigures();
        api.MapGet("/changes", ChangesAsync);
        api.MapSweepAnalysis();
        api.MapDecodedFilters();
        app.MapSqlPage();
        app.MapTrialExports();
        app.MapComparePage();
        // An address no route takes (/trials/abc, a mistyped API path) answers in words, not with an empty 404.
        app.MapFallback("/api/{**path}", (HttpContext context) =>
            NotFound($"there is nothing at {context.Request.Path}: the JSON behind the pages is listed in docs/dashboard.md"));
        app.MapFallback((HttpContext context) => Results.Text(
            $"There is no page at {context.Request.Path}. The pages are / (every sweep), /sweeps/N and /trials/N (N a sweep's or trial's id), " +
            "/compare?trials=N,M and /sql.", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound));
        return app;
    }

    /// <summary>
    /// Server-sent events: one message with a fingerprint whenever what the pages show has changed (a new epoch, a
    /// status, an attempt, a heartbeat, a sweep), as the shared <see cref="ChangeFeed"/> finds it: every open page
    /// hears the same poll, checked every <see cref="DashboardOptions.ChangePollInterval"/>.
    /// </summary>
    private static async Task ChangesAsync(HttpContext context, ChangeFeed feed, CancellationToken ct)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        try
        {
            await context.Response.Body.FlushAsync(ct);
            await foreach (var fingerprint in feed.ListenAsync(ct))
            {
                await context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"data: {fingerprint}\n\n"), ct);
                await context.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away, or the dashboard is stopping.
        }
    }

    private static IResult NotFound(string message) => Results.Json(new { error = message }, statusCode: StatusCodes.Status404NotFound);

    private static IResult BadRequest(string message) => Results.Json(new { error = message }, statusCode: StatusCodes.Status400BadRequest);
}
