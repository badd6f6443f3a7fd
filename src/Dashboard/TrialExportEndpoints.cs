using System.Globalization;
using Experiments.Visualization;
using Experiments.Visualization.Exports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Experiments.Dashboard;

/// <summary>
/// The trial page's downloads, written by the same code as the CLI's (<see cref="EpochMetricsCsv"/> for
/// <c>results export --format csv --trial T</c>, <see cref="WeightsExport"/> for <c>results export-weights</c>), so a
/// file from the browser is byte for byte the command's.
/// </summary>
public static class TrialExportEndpoints
{
    /// <summary>
    /// <c>GET /api/trials/{id}/epochs.csv</c>: every epoch's metrics; <c>GET /api/trials/{id}/weights.safetensors?epoch=E</c>:
    /// that epoch's state dict (default: the best epoch). <c>GET /api/trials/{id}/weights/default-epoch</c>: that default,
    /// <c>{ epoch, why }</c>, as <c>results export-weights</c> picks it without <c>--epoch</c>, for the page to name it. No
    /// such trial, or no snapshot at the epoch: 404 with the reason.
    /// </summary>
    public static WebApplication MapTrialExports(this WebApplication app)
    {
        app.MapGet("/api/trials/{id:long}/epochs.csv", async (long id, DashboardOptions options, CancellationToken ct) =>
        {
            try
            {
                using var text = new StringWriter(CultureInfo.InvariantCulture);
                await EpochMetricsCsv.WriteAsync(options.Store, [id], text, ct);
                return Results.File(System.Text.Encoding.UTF8.GetBytes(text.ToString()), "text/csv; charset=utf-8", $"trial-{id}-epochs.csv");
            }
            catch (VizInputException e)
            {
                return Results.Json(new { error = e.Message }, statusCode: StatusCodes.Status404NotFound);
            }
        });
        app.MapGet("/api/trials/{id:long}/weights.safetensors", async (long id, int? epoch, DashboardOptions options, CancellationToken ct) =>
        {
            try
            {
                var weights = await WeightsExport.ReadAsync(options.Store, id, epoch, ct);
                using var file = new MemoryStream();
                weights.WriteTo(file);
                return Results.File(file.ToArray(), "application/octet-stream", $"trial-{id}-epoch-{weights.Shown.Epoch}.safetensors");
            }
            catch (VizInputException e)
            {
                return Results.Json(new { error = e.Message }, statusCode: StatusCodes.Status404NotFound);
            }
        });
        app.MapGet("/api/trials/{id:long}/weights/default-epoch", async (long id, DashboardOptions options, CancellationToken ct) =>
        {
            try
            {
                if (await options.Store.GetTrialAsync(id, ct) is null) throw new VizInputException($"there is no trial {id}");
                return Results.Json(await FigureEpoch.ResolveWeightsAsync(options.Store, id, null, ct));
            }
            catch (VizInputException e)
            {
                return Results.Json(new { error = e.Message }, statusCode: StatusCodes.Status404NotFound);
            }
        });
        return app;
    }
}
