using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Experiments.Dashboard;

/// <summary>The dashboard as a web application of its own, as <c>experiments dashboard</c> runs it.</summary>
public static class DashboardApp
{
    /// <summary>
    /// A dashboard listening on <paramref name="url"/> (e.g. <c>http://127.0.0.1:5170</c>; port 0 picks a free one,
    /// read it from <c>app.Urls</c> after start), logging warnings and errors only. Start it; dispose it.
    /// </summary>
    public static WebApplication Build(DashboardOptions options, string url)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(url);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // A host that cannot start (a port in use) throws to the caller, which says so in one line; its own log of the
        // same failure would be a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.Services.AddExperimentsDashboard(options);
        var app = builder.Build();
        app.MapExperimentsDashboard();
        return app;
    }
}
