using System.Collections.Concurrent;
using Experiments.Datasets;

namespace Experiments.Worker.Node;

/// <summary>Each dataset split is read once per process and shared by every trial (they only read it).</summary>
public sealed class DatasetCache(string home)
{
    private readonly ConcurrentDictionary<(string Name, double ValSplit, int Limit), Lazy<DatasetSplits>> _loaded = new();

    /// <summary>The splits as <see cref="DatasetCatalog.Load"/> makes them; a <paramref name="limit"/> of 0 or less means all images.</summary>
    public DatasetSplits Get(string name, double validationFraction, int limit = 0) =>
        _loaded.GetOrAdd((name.ToLowerInvariant(), validationFraction, Math.Max(0, limit)),
            // PublicationOnly: a failed load (dataset not fetched yet) is not cached, so a later trial can succeed.
            key => new Lazy<DatasetSplits>(() => DatasetCatalog.Load(key.Name, home, key.ValSplit, limit: key.Limit), LazyThreadSafetyMode.PublicationOnly)).Value;
}
