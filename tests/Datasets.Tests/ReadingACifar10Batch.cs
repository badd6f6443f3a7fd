namespace Experiments.Datasets.Tests;

public sealed class Reading_a_cifar10_batch : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Puts_every_pixel_in_its_channel_row_and_column()
    {
        // Two records. Record r, channel c, row y, column x holds (r*97 + c*50 + y*7 + x) % 256, except for a few
        // marked pixels, so a mix-up of planes, rows or records shows as a wrong value.
        byte Value(int r, int c, int y, int x) => (byte)((r * 97 + c * 50 + y * 7 + x) % 256);
        var pixels = new byte[2 * 3072];
        for (var r = 0; r < 2; r++)
        for (var c = 0; c < 3; c++)
        for (var y = 0; y < 32; y++)
        for (var x = 0; x < 32; x++)
            pixels[r * 3072 + c * 1024 + y * 32 + x] = Value(r, c, y, x);
        pixels[0 * 3072 + 0 * 1024 + 0 * 32 + 0] = 255; // record 0, red, top-left
        pixels[1 * 3072 + 2 * 1024 + 31 * 32 + 31] = 0;  // record 1, blue, bottom-right
        pixels[1 * 3072 + 1 * 1024 + 5 * 32 + 9] = 200;  // record 1, green, row 5, column 9
        var path = _dir.Combine("data_batch_1.bin");
        CifarBinary.WriteBatch(path, [3, 9], pixels);

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(2 * 3073, bytes.Length);
        Assert.Equal(3, bytes[0]);
        Assert.Equal(255, bytes[1]);          // the red plane comes first, right after the label
        Assert.Equal(9, bytes[3073]);         // the second record's label
        Assert.Equal(200, bytes[3073 + 1 + 1024 + 5 * 32 + 9]);

        var images = CifarBinary.Load([path], DatasetCatalog.Cifar10.ClassNames, expectedRecordsPerBatch: 2);
        Assert.Equal(new TensorShape(3, 32, 32), images.SampleShape);
        Assert.Equal([3, 9], images.Labels);
        float At(int n, int c, int y, int x) => images.Pixels[((n * 3 + c) * 32 + y) * 32 + x];
        Assert.Equal(1f, At(0, 0, 0, 0));
        Assert.Equal(-1f, At(1, 2, 31, 31));
        Assert.Equal(LabelledImages.Normalise(200), At(1, 1, 5, 9));
        Assert.Equal(LabelledImages.Normalise(Value(0, 1, 0, 0)), At(0, 1, 0, 0));   // green starts 1024 floats in
        Assert.Equal(LabelledImages.Normalise(Value(0, 2, 17, 3)), At(0, 2, 17, 3));
        Assert.Equal(LabelledImages.Normalise(Value(1, 0, 31, 0)), At(1, 0, 31, 0));
    }

    [Fact]
    public void Fails_naming_the_file_when_its_length_is_not_that_of_a_batch()
    {
        var path = _dir.Combine("data_batch_3.bin");
        File.WriteAllBytes(path, new byte[3073 * 2 + 5]);
        var error = Assert.Throws<DatasetException>(() => CifarBinary.ReadBatch(path));
        Assert.Equal(
            $"{path}: wrong length: a CIFAR-10 batch holds 10000 records of 3073 bytes (1 label + 3×32×32 pixels) = 30730000 bytes, file has 6151 bytes (not a whole number of records)",
            error.Message);
    }

    [Fact]
    public void Fails_naming_the_file_when_it_holds_too_few_records()
    {
        var path = _dir.Combine("test_batch.bin");
        File.WriteAllBytes(path, new byte[3073 * 4]);
        var error = Assert.Throws<DatasetException>(() => CifarBinary.ReadBatch(path));
        Assert.EndsWith("file has 12292 bytes (4 whole records)", error.Message);
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void Fails_naming_the_file_and_record_when_a_label_is_10_or_more()
    {
        var path = _dir.Combine("data_batch_2.bin");
        var bytes = new byte[3073 * 3];
        bytes[2 * 3073] = 10;
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<DatasetException>(() => CifarBinary.ReadBatch(path, expectedRecords: 3));
        Assert.Equal($"{path}: bad label: record 2 (byte offset 6146) has label 10; CIFAR-10 labels are 0–9", error.Message);
    }

    [Fact]
    public void Reads_the_class_names_from_the_meta_file()
    {
        var path = _dir.Combine("batches.meta.txt");
        CifarBinary.WriteClassNames(path, DatasetCatalog.Cifar10.ClassNames);
        Assert.Equal(DatasetCatalog.Cifar10.ClassNames, CifarBinary.ReadClassNames(path));

        File.WriteAllText(path, "airplane\ncat\n");
        Assert.Equal($"{path}: expected 10 class names, one per line; found 2", Assert.Throws<DatasetException>(() => CifarBinary.ReadClassNames(path)).Message);
    }
}
