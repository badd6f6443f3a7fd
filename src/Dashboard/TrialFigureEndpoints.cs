using Experiments.Visualization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Experiments.Dashboard;

/// <summary>
/// The trial page's figures, each drawn by the code the matching <c>viz</c> command runs (<see cref="TrialPictures"/>).
/// A request naming something that does not exist is a 400 whose message lists what does.
/// </summary>
internal static class TrialFigureEndpoints
{
    /// <summary>Maps the figures under <c>/api/trials/{id}/…</c>.</summary>
    public static RouteGroupBuilder MapTrialFigures(this RouteGroupBuilder api)
    {
        var trial = api.MapGroup("/trials/{id:long}");
        trial.MapGet("/kernels.png", async (long id, string? layer, int? epoch, bool? change, TrialPictures pictures, CancellationToken ct) =>
            string.IsNullOrWhiteSpace(layer) || epoch is null
                ? BadRequest("name a layer and an epoch: kernels.png?layer=0&epoch=1")
                : await Figure(() => pictures.KernelsAsync(id, layer, epoch.Value, change ?? false, ct)));
        return api;
    }

    private static async Task<IResult> Figure(Func<Task<FigureFile>> draw) =>
        await Answer(async () =>
        {
            var figure = await draw();
            return Results.Bytes(figure.Content, figure.MediaType);
        });

    private static async Task<IResult> Answer(Func<Task<IResult>> answer)
    {
        try
        {
            return await answer();
        }
        catch (ArgumentException e)
        {
            return BadRequest(e.Message);
        }
    }

    private static IResult BadRequest(string message) => Results.Json(new { error = message }, statusCode: StatusCodes.Status400BadRequest);
}
