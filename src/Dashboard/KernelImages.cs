using Experiments.Store;
using Experiments.Visualization;
using Experiments.Visualization.Snapshots;
using Microsoft.Extensions.Caching.Memory;

namespace Experiments.Dashboard;

/// <summary>
/// A layer's kernels at one epoch as a PNG, drawn on demand from the stored snapshot by the very code
/// <c>viz kernels --epochs E</c> runs (<see cref="TrialFigures.KernelsAsync"/>, default selection and scaling), so the
/// browser shows the pixels that command writes. Drawn pictures stay in memory; no activation or picture is stored.
/// </summary>
internal sealed class KernelImages(ResultsStore store, DashboardOptions options) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.CachedPictures });

    /// <summary>The PNG of <paramref name="layer"/> (an index such as "0" or a tensor name) at <paramref name="epoch"/>.</summary>
    /// <exception cref="ArgumentException">No such conv layer, or no snapshot at that epoch (the message says which exist).</exception>
    public async Task<byte[]> PngAsync(long trial, string layer, int epoch, CancellationToken ct) =>
        (await _cache.GetOrCreateAsync((trial, layer, epoch), async entry =>
        {
            entry.Size = 1;
            var folder = Directory.CreateTempSubdirectory("experiments-dashboard-kernels-");
            try
            {
                var files = await new TrialFigures(store).KernelsAsync(trial, layer, KernelSelection.Default,
                    new EpochSelection(epoch.ToString(System.Globalization.CultureInfo.InvariantCulture)), folder.FullName, ct: ct);
                return await File.ReadAllBytesAsync(files.Grid, ct);
            }
            finally
            {
                folder.Delete(recursive: true);
            }
        }))!;

    /// <summary>
    /// Draws and encodes one tiny kernel picture (PNG and GIF) off the request path, so the first picture a user asks
    /// for does not also pay for loading the drawing libraries, the fonts and their first compilation.
    /// </summary>
    public static void WarmUp()
    {
        var weights = new WeightTensor("warm-up.weight", [1, 1, 3, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
        using var picture = KernelPictures.Draw(new KernelHistory(weights.Name, [(0, weights)]));
        picture.Grid.EncodePng();
        Experiments.Visualization.Pictures.Animation.EncodeGif(picture.Frames, TimeSpan.FromMilliseconds(400));
    }

    public void Dispose() => _cache.Dispose();
}
