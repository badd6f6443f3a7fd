namespace Experiments.Datasets.Tests;

public sealed class Generating_synthetic_data : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Is_the_same_for_the_same_seed()
    {
        Assert.Equal(SyntheticDataset.Generate(50, 3).Pixels, SyntheticDataset.Generate(50, 3).Pixels);
        Assert.NotEqual(SyntheticDataset.Generate(50, 3).Pixels, SyntheticDataset.Generate(50, 4).Pixels);
    }

    [Fact]
    public void Balances_the_classes_and_shuffles_them()
    {
        var images = SyntheticDataset.Generate(1000, 1, new SyntheticOptions(Classes: 4));
        Assert.Equal([250, 250, 250, 250], images.CountPerClass());
        Assert.NotEqual(images.Labels.Order(), images.Labels);
        Assert.Equal(4, images.Classes);
    }

    [Theory]
    [InlineData(1, 28, 28, 10)]
    [InlineData(3, 32, 32, 12)]
    [InlineData(2, 16, 16, 6)]
    public void Is_learnable_even_by_a_nearest_centroid_classifier(int channels, int height, int width, int classes)
    {
        // If class means alone separate held-out images, a tiny CNN will too, and quickly.
        var options = new SyntheticOptions(channels, height, width, classes);
        var splits = SyntheticDataset.GenerateSplits(2000, 500, dataSeed: 11, validationFraction: 0, options: options);
        var size = splits.Train.SampleSize;
        var centroids = new double[classes, size];
        var counts = splits.Train.CountPerClass();
        for (var n = 0; n < splits.Train.Count; n++)
        {
            var sample = splits.Train.Sample(n);
            for (var p = 0; p < size; p++) centroids[splits.Train.Labels[n], p] += sample[p] / counts[splits.Train.Labels[n]];
        }
        var correct = 0;
        for (var n = 0; n < splits.Test.Count; n++)
        {
            var sample = splits.Test.Sample(n).ToArray();
            var best = Enumerable.Range(0, classes).MinBy(c =>
            {
                double d = 0;
                for (var p = 0; p < size; p++) d += (sample[p] - centroids[c, p]) * (sample[p] - centroids[c, p]);
                return d;
            });
            if (best == splits.Test.Labels[n]) correct++;
        }
        Assert.True(correct >= 0.9 * splits.Test.Count, $"nearest centroid got {correct} of {splits.Test.Count}");
    }

    [Fact]
    public void Writes_idx_files_that_the_reader_loads()
    {
        SyntheticDataset.WriteIdx(_dir.Path, 120, 30, seed: 2, gzip: true);
        var train = IdxReader.Load(_dir.Combine("train-images-idx3-ubyte.gz"), _dir.Combine("train-labels-idx1-ubyte.gz"), SyntheticDataset.ClassNames(10));
        var test = IdxReader.Load(_dir.Combine("t10k-images-idx3-ubyte.gz"), _dir.Combine("t10k-labels-idx1-ubyte.gz"), SyntheticDataset.ClassNames(10));
        Assert.Equal((120, 30), (train.Count, test.Count));
        Assert.Equal(SyntheticDataset.Generate(120, 2).Pixels, train.Pixels);
    }

    [Fact]
    public void Writes_cifar10_batches_in_the_official_layout()
    {
        var folder = SyntheticDataset.WriteCifar10(_dir.Path, recordsPerBatch: 20, seed: 4);
        Assert.Equal(_dir.Combine("cifar-10-batches-bin"), folder);
        foreach (var name in CifarBinary.RequiredFileNames)
            Assert.Equal(20 * 3073, new FileInfo(Path.Combine(folder, name)).Length);
        Assert.Equal(DatasetCatalog.Cifar10.ClassNames, CifarBinary.ReadClassNames(Path.Combine(folder, "batches.meta.txt")));
        var images = CifarBinary.Load([Path.Combine(folder, "data_batch_1.bin")], DatasetCatalog.Cifar10.ClassNames, 20);
        Assert.Equal(20, images.Count);
        Assert.Equal(new TensorShape(3, 32, 32), images.SampleShape);
    }

    [Fact]
    public void Rejects_more_classes_than_it_has_patterns()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticDataset.Generate(10, 1, new SyntheticOptions(Classes: SyntheticDataset.MaxClasses + 1)));
    }
}
