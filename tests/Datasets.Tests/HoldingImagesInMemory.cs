namespace Experiments.Datasets.Tests;

public sealed class Normalising_pixels
{
    [Fact]
    public void Maps_0_to_minus_1_and_255_to_1_exactly()
    {
        Assert.Equal(-1f, LabelledImages.Normalise(0));
        Assert.Equal(1f, LabelledImages.Normalise(255));
        Assert.Equal(2f * 128 / 255 - 1, LabelledImages.Normalise(128), 6);
    }

    [Fact]
    public void Is_increasing_and_inverted_by_ToByte()
    {
        for (var v = 0; v < 256; v++)
        {
            Assert.Equal(v, LabelledImages.ToByte(LabelledImages.Normalise((byte)v)));
            if (v > 0) Assert.True(LabelledImages.Normalise((byte)v) > LabelledImages.Normalise((byte)(v - 1)));
        }
    }

    [Fact]
    public void Applies_to_every_pixel_loaded_from_bytes()
    {
        var images = LabelledImages.FromBytes(new TensorShape(1, 1, 3), [0, 255, 51], [1], ["a", "b"]);
        Assert.Equal([-1f, 1f, 51f / 255 * 2 - 1], images.Pixels);
    }
}

public sealed class Holding_labelled_images
{
    /// <summary>Images whose every pixel is the image's own index, so a copy can be traced back.</summary>
    internal static LabelledImages Numbered(int count, int classes, Func<int, int>? label = null)
    {
        var shape = new TensorShape(1, 2, 2);
        var pixels = new float[count * 4];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = i / 4;
        var labels = Enumerable.Range(0, count).Select(label ?? (i => i % classes)).ToArray();
        return new LabelledImages(shape, pixels, labels, [.. Enumerable.Range(0, classes).Select(c => $"class {c}")]);
    }

    [Fact]
    public void A_subset_copies_the_chosen_images_in_the_chosen_order()
    {
        var images = Numbered(10, 3);
        var subset = images.Subset([7, 2, 7]);
        Assert.Equal(3, subset.Count);
        Assert.Equal([7f, 7, 7, 7, 2, 2, 2, 2, 7, 7, 7, 7], subset.Pixels);
        Assert.Equal([1, 2, 1], subset.Labels);
        Assert.Same(images.ClassNames, subset.ClassNames);
        Assert.Throws<ArgumentOutOfRangeException>(() => images.Subset([10]));
    }

    [Fact]
    public void Take_keeps_the_first_images_and_stops_at_the_end()
    {
        var images = Numbered(5, 2);
        Assert.Equal([0f, 0, 0, 0, 1, 1, 1, 1], images.Take(2).Pixels);
        Assert.Equal(5, images.Take(100).Count);
        Assert.Equal(0, images.Take(0).Count);
    }

    [Fact]
    public void Rejects_pixels_that_do_not_fit_the_labels_and_labels_outside_the_classes()
    {
        Assert.Throws<ArgumentException>(() => new LabelledImages(new TensorShape(1, 2, 2), new float[7], [0, 1], ["a", "b"]));
        Assert.Throws<ArgumentException>(() => new LabelledImages(new TensorShape(1, 2, 2), new float[8], [0, 2], ["a", "b"]));
        Assert.Throws<ArgumentException>(() => new LabelledImages(new TensorShape(4), new float[8], [0, 1], ["a", "b"]));
    }

    [Fact]
    public void Counts_images_per_class()
    {
        Assert.Equal([4, 3, 3], Numbered(10, 3).CountPerClass());
    }
}

public sealed class Holding_out_a_validation_set
{
    private static readonly LabelledImages Test = Holding_labelled_images.Numbered(3, 4);

    [Fact]
    public void Holds_out_ten_percent_by_default()
    {
        var splits = DatasetSplits.HoldOutValidation(Holding_labelled_images.Numbered(1000, 4), Test);
        Assert.Equal(900, splits.Train.Count);
        Assert.Equal(100, splits.Validation.Count);
        Assert.Same(Test, splits.Test);
    }

    [Fact]
    public void Is_the_same_for_the_same_seed_and_differs_for_another()
    {
        var training = Holding_labelled_images.Numbered(500, 4);
        var a = DatasetSplits.HoldOutValidation(training, Test, 0.2, seed: 42);
        var b = DatasetSplits.HoldOutValidation(training, Test, 0.2, seed: 42);
        var c = DatasetSplits.HoldOutValidation(training, Test, 0.2, seed: 43);
        Assert.Equal(a.Validation.Pixels, b.Validation.Pixels);
        Assert.Equal(a.Train.Pixels, b.Train.Pixels);
        Assert.NotEqual(a.Validation.Pixels, c.Validation.Pixels);
    }

    [Fact]
    public void Is_disjoint_and_covers_every_training_image_in_order()
    {
        var training = Holding_labelled_images.Numbered(1003, 7);
        var splits = DatasetSplits.HoldOutValidation(training, Test, 0.15, seed: 5);
        var train = Ids(splits.Train);
        var validation = Ids(splits.Validation);
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(Enumerable.Range(0, 1003), train.Concat(validation).Order());
        Assert.Equal(train.Order(), train);           // original order kept
        Assert.Equal(150, validation.Count);          // round(0.15 × 1003)
        Assert.All(splits.Train.Labels.Zip(train), p => Assert.Equal(training.Labels[p.Second], p.First));
    }

    [Fact]
    public void Keeps_each_class_share()
    {
        // 80% class 0, 20% class 1.
        var training = Holding_labelled_images.Numbered(1000, 2, i => i % 5 == 0 ? 1 : 0);
        var splits = DatasetSplits.HoldOutValidation(training, Test, 0.1, seed: 9);
        Assert.Equal([80, 20], splits.Validation.CountPerClass());
    }

    [Fact]
    public void Gives_an_empty_validation_set_for_a_fraction_of_zero()
    {
        var training = Holding_labelled_images.Numbered(10, 2);
        var splits = DatasetSplits.HoldOutValidation(training, Test, 0);
        Assert.Same(training, splits.Train);
        Assert.Equal(0, splits.Validation.Count);
        Assert.Equal(training.SampleShape, splits.Validation.SampleShape);
    }

    [Fact]
    public void Is_the_same_whether_split_from_normalised_images_or_from_raw_bytes()
    {
        // The catalog splits raw bytes (normalising each image once, in place); callers split LabelledImages.
        var raw = SyntheticDataset.GenerateBytes(700, seed: 3);
        var names = SyntheticDataset.ClassNames(10);
        var fromImages = DatasetSplits.HoldOutValidation(raw.ToLabelledImages(names), Test, 0.1, seed: 8);
        var fromRaw = DatasetSplits.HoldOutValidation(raw, Test, names, 0.1, seed: 8);
        Assert.Equal(fromImages.Train.Pixels, fromRaw.Train.Pixels);
        Assert.Equal(fromImages.Validation.Labels, fromRaw.Validation.Labels);
        Assert.Equal(fromImages.Validation.Pixels, fromRaw.Validation.Pixels);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void Rejects_a_fraction_outside_zero_to_one(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplits.HoldOutValidation(Holding_labelled_images.Numbered(10, 2), Test, fraction));
    }

    private static List<int> Ids(LabelledImages images) => [.. Enumerable.Range(0, images.Count).Select(i => (int)images.Sample(i)[0])];
}
