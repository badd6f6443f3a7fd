using System.Collections.Concurrent;
using Experiments.Datasets;
using Microsoft.Extensions.Logging;

namespace Experiments.Worker.Node;

/// <summary>
/// Each dataset split is read once per process and shared by every trial (they only read it). A dataset that can be
/// fetched (MNIST, Fashion-MNIST) is fetched on first use, as `train`, `sweep run` and `demo` do, so a fresh worker
/// node needs no `data fetch` first; one that cannot (CIFAR-10 offline) fails the trial with the fetcher's message,
/// which names `data fetch cifar10 --from DIR`.
/// </summary>
public sealed class DatasetCache(string home, ILogger<DatasetCache>? logger = null)
{
    private readonly ConcurrentDictionary<(string Name, double ValSplit, int Limit), Lazy<DatasetSplits>> _loaded = new();
    private readonly SemaphoreSlim _fetching = new(1, 1);

    /// <summary>The splits as <see cref="DatasetCatalog.Load"/> makes them; a <paramref name="limit"/> of 0 or less means all images.</summary>
    public DatasetSplits Get(string name, double validationFraction, int limit = 0) =>
        _loaded.GetOrAdd((name.ToLowerInvariant(), validationFraction, Math.Max(0, limit)),
            // PublicationOnly: a failed load (dataset not fetchable now) is not cached, so a later trial can succeed.
            key => new Lazy<DatasetSplits>(() =>
            {
                FetchOnFirstUse(key.Name);
                return DatasetCatalog.Load(key.Name, home, key.ValSplit, limit: key.Limit);
            }, LazyThreadSafetyMode.PublicationOnly)).Value;

    private void FetchOnFirstUse(string name)
    {
        if (!DatasetCatalog.TryGet(name, out _) || DatasetCatalog.Status(name, home).Fetched) return;
        // One fetch at a time: slots that start together on a fresh node would otherwise each download the same files.
        _fetching.Wait();
        try
        {
            if (DatasetCatalog.Status(name, home).Fetched) return;
            logger?.LogInformation("First use of {Dataset}: fetching it into {Home}", name, home);
            var result = new DatasetFetcher(home).FetchAsync(name).GetAwaiter().GetResult();
            logger?.LogInformation("{Dataset}: fetched, {Train:N0} train + {Test:N0} test images", name, result.TrainCount, result.TestCount);
        }
        finally
        {
            _fetching.Release();
        }
    }
}
