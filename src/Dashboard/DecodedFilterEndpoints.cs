using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using static Experiments.Dashboard.TrialFigureEndpoints;

namespace Experiments.Dashboard;

/// <summary>
/// The trial page's decoded filters (docs/dashboard.md, "Decoded filters"): seed 003's decoding of a chosen layer at a
/// chosen epoch, by the code <c>viz decode</c> runs (<see cref="TrialPictures.DecodedFiltersAsync"/>). A layer, filter or
/// epoch that does not exist is a 400 whose message lists what does.
/// </summary>
internal static class DecodedFilterEndpoints
{
    /// <summary>Maps <c>/api/trials/{id}/decode/…</c>.</summary>
    public static RouteGroupBuilder MapDecodedFilters(this RouteGroupBuilder api)
    {
        var decode = api.MapGroup("/trials/{id:long}/decode");
        decode.MapGet("/layers", async (long id, TrialPictures pictures, CancellationToken ct) =>
            await Answer(async () => Results.Json(await pictures.DecodableLayersAsync(id, ct))));
        decode.MapGet("", async (long id, int? layer, int? epoch, TrialPictures pictures, CancellationToken ct) =>
            layer is null || epoch is null ? BadRequest("name a layer and an epoch: decode?layer=2&epoch=1")
            : await Answer(async () => Results.Json(await pictures.DecodedFiltersAsync(id, layer.Value, epoch.Value, ct))));
        decode.MapGet("/filters.png", async (long id, int? layer, int? epoch, bool? thresholded, TrialPictures pictures, CancellationToken ct) =>
            layer is null || epoch is null ? BadRequest("name a layer and an epoch: decode/filters.png?layer=2&epoch=1")
            : await Figure(() => pictures.DecodedFilterGridAsync(id, layer.Value, epoch.Value, thresholded ?? false, ct)));
        decode.MapGet("/top.png", async (long id, int? layer, int? filter, int? epoch, TrialPictures pictures, CancellationToken ct) =>
            layer is null || filter is null || epoch is null ? BadRequest("name a layer, a filter and an epoch: decode/top.png?layer=2&filter=0&epoch=1")
            : await Figure(() => pictures.DecodedTopImagesAsync(id, layer.Value, filter.Value, epoch.Value, ct)));
        return api;
    }
}
