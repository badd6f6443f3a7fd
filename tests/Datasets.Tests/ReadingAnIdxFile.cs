using System.Buffers.Binary;
using System.IO.Compression;

namespace Experiments.Datasets.Tests;

public sealed class Reading_an_idx_file : IDisposable
{
    private static readonly string[] Digits = [.. Enumerable.Range(0, 10).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Round_trips_what_the_writer_wrote(bool gzip)
    {
        var suffix = gzip ? ".gz" : "";
        var pixels = Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)(i * 4)).ToArray();
        byte[] labels = [7, 0, 9];
        IdxWriter.WriteImages(_dir.Combine("images" + suffix), 4, 5, pixels);
        IdxWriter.WriteLabels(_dir.Combine("labels" + suffix), labels);

        var images = IdxReader.ReadImages(_dir.Combine("images" + suffix));
        Assert.Equal((3, 4, 5), (images.Count, images.Rows, images.Columns));
        Assert.Equal(pixels, images.Pixels);
        Assert.Equal(labels, IdxReader.ReadLabels(_dir.Combine("labels" + suffix)));

        var loaded = IdxReader.Load(_dir.Combine("images" + suffix), _dir.Combine("labels" + suffix), Digits);
        Assert.Equal(new TensorShape(1, 4, 5), loaded.SampleShape);
        Assert.Equal([7, 0, 9], loaded.Labels);
        Assert.Equal(LabelledImages.Normalise(pixels[20 + 7]), loaded.Sample(1)[7]);
    }

    [Fact]
    public void Writes_the_official_header_big_endian()
    {
        IdxWriter.WriteImages(_dir.Combine("images"), 28, 28, new byte[2 * 784]);
        var header = File.ReadAllBytes(_dir.Combine("images"))[..16];
        Assert.Equal([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28], header);
        Assert.Equal(16 + 2 * 784, new FileInfo(_dir.Combine("images")).Length);
    }

    [Fact]
    public void Fails_naming_the_file_when_truncated()
    {
        var path = _dir.Combine("train-images-idx3-ubyte");
        var bytes = new byte[5000];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 2051);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 10_000);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), 28);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<DatasetException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: truncated: header says 10000 images of 28×28 = 7840016 bytes, file has 5000 bytes", error.Message);
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void Fails_naming_the_file_when_a_gzipped_file_is_truncated_after_decompression()
    {
        var plain = _dir.Combine("labels");
        IdxWriter.WriteLabels(plain, new byte[100]);
        var gz = _dir.Combine("t10k-labels-idx1-ubyte.gz");
        using (var gzip = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
            gzip.Write(File.ReadAllBytes(plain).AsSpan(0, 50));

        var error = Assert.Throws<DatasetException>(() => IdxReader.ReadLabels(gz));
        Assert.Equal($"{gz}: truncated: header says 100 labels = 108 bytes, file has 50 bytes after decompression", error.Message);
    }

    [Fact]
    public void Fails_naming_the_file_when_it_is_longer_than_its_header_says()
    {
        var path = _dir.Combine("labels");
        IdxWriter.WriteLabels(path, new byte[10]);
        File.AppendAllText(path, "xx");
        var error = Assert.Throws<DatasetException>(() => IdxReader.ReadLabels(path));
        Assert.Equal($"{path}: too long: header says 10 labels = 18 bytes, file has 20 bytes", error.Message);
    }

    [Fact]
    public void Fails_naming_the_file_when_the_magic_number_is_wrong()
    {
        var path = _dir.Combine("train-images-idx3-ubyte");
        File.WriteAllBytes(path, [0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        var error = Assert.Throws<DatasetException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: bad magic number 305419896 (0x12345678); an IDX image file starts with 2051 (0x00000803)", error.Message);
    }

    [Fact]
    public void Says_when_the_image_and_label_files_are_swapped()
    {
        var path = _dir.Combine("labels");
        IdxWriter.WriteLabels(path, [1, 2]);
        var error = Assert.Throws<DatasetException>(() => IdxReader.ReadImages(path));
        Assert.StartsWith($"{path}: bad magic number 2049 (0x00000801) (that is an IDX label file: are the image and label files swapped?)", error.Message);
    }

    [Fact]
    public void Says_when_a_gzipped_file_lacks_the_gz_name()
    {
        var gz = _dir.Combine("images.gz");
        IdxWriter.WriteImages(gz, 2, 2, new byte[4]);
        var misnamed = _dir.Combine("train-images-idx3-ubyte");
        File.Move(gz, misnamed);
        var error = Assert.Throws<DatasetException>(() => IdxReader.ReadImages(misnamed));
        Assert.Equal($"{misnamed}: bad magic number: the file is gzip-compressed but its name does not end in .gz; rename it or gunzip it", error.Message);
    }

    [Fact]
    public void Fails_naming_both_files_when_image_and_label_counts_differ()
    {
        IdxWriter.WriteImages(_dir.Combine("images"), 28, 28, new byte[3 * 784]);
        IdxWriter.WriteLabels(_dir.Combine("labels"), [1, 2]);
        var error = Assert.Throws<DatasetException>(() => IdxReader.Load(_dir.Combine("images"), _dir.Combine("labels"), Digits));
        Assert.Equal($"{_dir.Combine("images")}: count mismatch: it holds 3 images but {_dir.Combine("labels")} holds 2 labels", error.Message);
    }

    [Fact]
    public void Fails_naming_the_label_file_when_a_label_is_out_of_range()
    {
        IdxWriter.WriteImages(_dir.Combine("images"), 28, 28, new byte[3 * 784]);
        IdxWriter.WriteLabels(_dir.Combine("labels"), [1, 12, 2]);
        var error = Assert.Throws<DatasetException>(() => IdxReader.Load(_dir.Combine("images"), _dir.Combine("labels"), Digits));
        Assert.Equal($"{_dir.Combine("labels")}: label out of range: item 1 has label 12, but this dataset has 10 classes (0–9)", error.Message);
    }

    [Fact]
    public void Fails_naming_the_file_when_the_images_have_the_wrong_size_for_the_dataset()
    {
        IdxWriter.WriteImages(_dir.Combine("images"), 32, 32, new byte[1024]);
        IdxWriter.WriteLabels(_dir.Combine("labels"), [1]);
        var error = Assert.Throws<DatasetException>(() => IdxReader.Load(_dir.Combine("images"), _dir.Combine("labels"), Digits, new TensorShape(1, 28, 28)));
        Assert.Equal($"{_dir.Combine("images")}: images are 1×32×32, but this dataset's images are 1×28×28", error.Message);
    }

    [Fact]
    public void Fails_naming_the_file_when_it_does_not_exist()
    {
        var path = _dir.Combine("nowhere");
        Assert.Equal($"{path}: not found", Assert.Throws<DatasetException>(() => IdxReader.ReadLabels(path)).Message);
    }

    [Fact]
    public void Fails_naming_the_file_when_it_is_not_valid_gzip()
    {
        var path = _dir.Combine("labels.gz");
        File.WriteAllBytes(path, [0x1F, 0x8B, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var error = Assert.Throws<DatasetException>(() => IdxReader.ReadLabels(path));
        Assert.StartsWith($"{path}: ", error.Message);
        Assert.Equal(path, error.FilePath);
    }

    [Fact]
    public void Finds_a_file_plain_or_gzipped()
    {
        File.WriteAllBytes(_dir.Combine("a"), []);
        File.WriteAllBytes(_dir.Combine("b.gz"), []);
        Assert.Equal(_dir.Combine("a"), IdxReader.Find(_dir.Path, "a"));
        Assert.Equal(_dir.Combine("b.gz"), IdxReader.Find(_dir.Path, "b"));
        Assert.Null(IdxReader.Find(_dir.Path, "c"));
    }
}
