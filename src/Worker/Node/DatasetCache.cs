using System.Collections.Concurrent;
using Experiments.Datasets;

namespace Experiments.Worker.Node;

/// <summary>Each dataset split is read once per process and shared by every trial (they only read it).</summary>
public sealed class DatasetCache(string home)
{
    private readonly ConcurrentDictionary<(string Name, double ValSplit), Lazy<DatasetSplits>> _loaded = new();

    public DatasetSplits Get(string name, double validationFraction) =>
        _loaded.GetOrAdd((name.ToLowerInvariant(), validationFraction),
            // PublicationOnly: a failed load (dataset not fetched yet) is not cached, so a later trial can succeed.
            key => new Lazy<DatasetSplits>(() => DatasetCatalog.Load(key.Name, home, key.ValSplit), LazyThreadSafetyMode.PublicationOnly)).Value;
}
