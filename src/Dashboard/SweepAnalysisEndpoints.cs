using Experiments.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The sweep page's analysis views' JSON: <c>/api/sweeps/{id}/analysis</c> (swept parameters, their scales and importance).</summary>
public static class SweepAnalysisEndpoints
{
    /// <summary>Maps the analysis endpoints on the dashboard's <c>/api</c> group.</summary>
    public static RouteGroupBuilder MapSweepAnalysis(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);
        api.MapGet("/sweeps/{id:long}/analysis", async (long id, SweepAnalysisReader reader, CancellationToken ct) =>
            await reader.AnalyseAsync(id, ct) is { } analysis
                ? Results.Json(analysis)
                : Results.Json(new { error = $"there is no sweep {id}" }, statusCode: StatusCodes.Status404NotFound));
        return api;
    }
}
