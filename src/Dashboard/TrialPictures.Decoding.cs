using Experiments.Analysis.Decoding;
using Experiments.Visualization;
using Experiments.Visualization.Interpretability;
using Experiments.Worker.Decoding;
using Experiments.Worker.Interpretability;
using Microsoft.Extensions.Caching.Memory;

namespace Experiments.Dashboard;

/// <summary>
/// The decoded-filters view (seed 003): one layer's decoding at one epoch, computed once by the code <c>viz decode</c>
/// runs (<see cref="InterpretabilityFigures.DecodeFilters"/> and <see cref="InterpretabilityFigures.Evaluate"/>, with the
/// command's defaults) and kept in the picture cache, from which the grids, the top-images figures and the numbers are
/// all drawn. The grids need the weights alone and come first; the error and the top images need the first 1,000 test
/// images through the network, and follow.
/// </summary>
internal sealed partial class TrialPictures
{
    /// <summary>The layers of the trial's model that decode (<see cref="DecodingPlanner.DecodableLayers"/>); no weights are read.</summary>
    public async Task<IReadOnlyList<DecodableLayer>> DecodableLayersAsync(long trial, CancellationToken ct)
    {
        using var model = await StoredModel.OpenAsync(store, trial, ct);
        var plan = model.Model.Plan;
        return [.. DecodingPlanner.DecodableLayers(plan).Select(i => new DecodableLayer(i, plan.Layers[i].Description, plan.Layers[i].Output.Dims[0]))];
    }

    /// <summary>The numbers of layer <paramref name="layer"/>'s decoding at <paramref name="epoch"/>: its reconstruction MSE and every filter's top images.</summary>
    public async Task<DecodedFiltersView> DecodedFiltersAsync(long trial, int layer, int epoch, CancellationToken ct)
    {
        var decoding = await Decoding(trial, layer, epoch).Evaluated.WaitAsync(ct);
        var (f, evaluation) = (decoding.Decoded.Filters, decoding.Evaluation);
        IReadOnlyList<TopImage> Tops(IReadOnlyList<ImageActivation> top) => [.. top.Select(a => new TopImage(a.Image, decoding.Images.Labels[a.Image], a.Activation))];
        return new DecodedFiltersView(trial, layer, decoding.Filters.Epoch, [f.Count, f.Channels, f.Height, f.Width],
            evaluation.Error.Mean, evaluation.Error.StandardDeviation, evaluation.Error.Images, decoding.ErrorInWords(), decoding.Images.ClassNames,
            [.. Enumerable.Range(0, f.Count).Select(k => new DecodedFilterTop(k, Tops(evaluation.TopByNetwork[k]), Tops(evaluation.TopByDecodedFilter[k])))]);
    }

    /// <summary><c>viz decode --layer L --epoch E</c>'s grid of every decoded filter (…-filters.png), or with <paramref name="thresholded"/> of their thresholded views (…-thresholded.png).</summary>
    public Task<FigureFile> DecodedFilterGridAsync(long trial, int layer, int epoch, bool thresholded, CancellationToken ct) =>
        CachedAsync(new(trial, thresholded ? "decode-thresholded" : "decode-filters", $"layer {layer}", epoch), async () =>
        {
            var filters = await Decoding(trial, layer, epoch).Decoded.WaitAsync(ct);
            return thresholded ? filters.ThresholdedGrid() : filters.FilterGrid();
        });

    /// <summary><c>viz decode --layer L --epoch E --filter K</c>'s top-images figure (…-top.png) of one filter.</summary>
    public Task<FigureFile> DecodedTopImagesAsync(long trial, int layer, int filter, int epoch, CancellationToken ct) =>
        CachedAsync(new(trial, "decode-top", $"layer {layer}, filter {filter}", epoch), async () =>
            (await Decoding(trial, layer, epoch).Evaluated.WaitAsync(ct)).TopImages([filter]));

    /// <summary>
    /// One layer's decoding at one epoch, started once however many requests ask for it at the same time (the page asks
    /// for the grid, the numbers and a filter's top images together): the cache holds the work itself, which runs to the
    /// end even if the request that started it goes away. A failed one is dropped, so a later request tries again.
    /// </summary>
    private DecodingWork Decoding(long trial, int layer, int epoch)
    {
        var key = new FigureKey(trial, "decoding", $"layer {layer}", epoch);
        return _cache.GetOrCreate(key, entry =>
        {
            entry.Size = 1;
            var work = new DecodingWork(decoded => DecodeAsync(trial, layer, epoch, decoded));
            work.Evaluated.ContinueWith(failed =>
            {
                _ = failed.Exception; // observed here: the requests that wanted it have their own copy of the error
                _cache.Remove(key);
            }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return work;
        })!;
    }

    /// <summary>Opens the model once, decodes the layer (handing the filters to <paramref name="decoded"/> at once), then evaluates them on the test images.</summary>
    private async Task<LayerDecoding> DecodeAsync(long trial, int layer, int epoch, TaskCompletionSource<DecodedFilters> decoded)
    {
        var row = await store.GetTrialAsync(trial) ?? throw new ArgumentException($"there is no trial {trial}");
        using var model = await StoredModel.OpenAsync(store, trial, await WeightsEpochAsync(trial, epoch, CancellationToken.None));
        var filters = InterpretabilityFigures.DecodeFilters(model, layer, Unpooling.Bicubic, ThresholdedViews.DefaultFraction);
        decoded.SetResult(filters);
        var images = Split(row.Dataset, "test").Take(InterpretabilityFigures.DecodeSampleDefault);
        if (images.Count == 0) throw new ArgumentException($"the test split of {row.Dataset} is empty");
        return InterpretabilityFigures.Evaluate(model, filters, images, InterpretabilityFigures.DecodeTopDefault);
    }

    /// <summary>The decoded filters (as soon as the weights are decoded) and then their evaluation on the test images, from one run of <see cref="DecodeAsync"/>.</summary>
    private sealed class DecodingWork
    {
        private readonly TaskCompletionSource<DecodedFilters> _decoded = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public DecodingWork(Func<TaskCompletionSource<DecodedFilters>, Task<LayerDecoding>> run) =>
            Evaluated = Task.Run(async () =>
            {
                try
                {
                    return await run(_decoded);
                }
                catch (Exception e)
                {
                    // A failure before the filters were decoded (no such layer, epoch or trial) answers the grid's request too.
                    _decoded.TrySetException(e);
                    throw;
                }
            });

        public Task<DecodedFilters> Decoded => _decoded.Task;

        public Task<LayerDecoding> Evaluated { get; }
    }
}
