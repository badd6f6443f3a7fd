using Experiments.Datasets;
using Experiments.Worker.Node;
using Xunit;

namespace Experiments.Worker.Tests.Node;

/// <summary>
/// A worker on a fresh node (a silo started before anyone ran `data fetch`) fetches what can be fetched on first use,
/// as `train` and `sweep run` do, and fails a trial on CIFAR-10 with the message that says how to import it.
/// </summary>
public class Loading_a_trials_dataset : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("experiments-dataset-cache-").FullName;

    [Fact]
    public void Fetches_mnist_on_first_use_then_reads_it_from_the_cache()
    {
        var cache = new DatasetCache(_home);

        var data = cache.Get("mnist", 0.1);

        Assert.True(DatasetCatalog.Status("mnist", _home).Fetched);
        Assert.Equal(8_000, data.Train.Count + data.Validation.Count);
        Assert.Same(data, cache.Get("MNIST", 0.1));
    }

    [Fact]
    public void Fails_on_cifar10_with_the_message_naming_the_import_from_a_folder()
    {
        var error = Assert.Throws<DatasetException>(() => new DatasetCache(_home).Get("cifar10", 0.1));

        Assert.Contains("data fetch cifar10 --from DIR", error.Message);
    }

    public void Dispose() => Directory.Delete(_home, recursive: true);
}
