using System.Buffers.Binary;
using System.IO.Compression;
using Experiments.Architectures;

namespace Experiments.Datasets;

/// <summary>Raw images of an IDX file: <see cref="Count"/> × <see cref="Rows"/> × <see cref="Columns"/> bytes, 0–255.</summary>
public sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels);

/// <summary>
/// Reads the IDX files MNIST and Fashion-MNIST ship as (<c>train-images-idx3-ubyte</c> and friends), plain or
/// <c>.gz</c>. Every check names the file: magic number, big-endian dimensions, exact length, label range,
/// and that images and labels agree in number.
/// </summary>
public static class IdxReader
{
    public const int ImagesMagic = 2051; // 0x00000803: unsigned bytes, 3 dimensions
    public const int LabelsMagic = 2049; // 0x00000801: unsigned bytes, 1 dimension

    public static IdxImages ReadImages(string path)
    {
        var (dimensions, body) = Read(path, ImagesMagic, "image", rank: 3,
            d => ((long)d[0] * d[1] * d[2], $"{d[0]} images of {d[1]}×{d[2]}"));
        return new IdxImages(dimensions[0], dimensions[1], dimensions[2], body);
    }

    public static byte[] ReadLabels(string path) =>
        Read(path, LabelsMagic, "label", rank: 1, d => (d[0], $"{d[0]} labels")).Body;

    /// <summary>
    /// Reads an image file and its label file into one normalised split, checking that they hold the same number
    /// of items, that the images have <paramref name="expectedShape"/> (if given) and that every label is a class.
    /// </summary>
    public static LabelledImages Load(string imagesPath, string labelsPath, IReadOnlyList<string> classNames, TensorShape? expectedShape = null) =>
        ReadPair(imagesPath, labelsPath, classNames.Count, expectedShape).ToLabelledImages(classNames);

    /// <summary>The raw bytes of an image file and its label file, with every check <see cref="Load"/> makes.</summary>
    public static RawImages ReadPair(string imagesPath, string labelsPath, int classes, TensorShape? expectedShape = null)
    {
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (images.Count != labels.Length)
            throw DatasetException.InFile(imagesPath, $"count mismatch: it holds {images.Count} images but {labelsPath} holds {labels.Length} labels");

        var shape = new TensorShape(1, images.Rows, images.Columns);
        if (expectedShape is not null && !shape.Equals(expectedShape))
            throw DatasetException.InFile(imagesPath, $"images are {shape}, but this dataset's images are {expectedShape}");

        CheckLabels(labelsPath, labels, classes);
        return new RawImages(shape, images.Pixels, labels);
    }

    /// <summary>The item count from the header alone (cheap; for listings). The file is not validated.</summary>
    public static int PeekCount(string path)
    {
        using var stream = OpenRead(path);
        Span<byte> header = stackalloc byte[8];
        stream.ReadExactly(header);
        return BinaryPrimitives.ReadInt32BigEndian(header[4..]);
    }

    /// <summary>
    /// <c>&lt;directory&gt;/&lt;name&gt;</c> if it exists, else <c>&lt;name&gt;.gz</c>, else null. The official downloads are
    /// gzipped; many copies are not.
    /// </summary>
    public static string? Find(string directory, string name)
    {
        var plain = Path.Combine(directory, name);
        if (File.Exists(plain)) return plain;
        var gzipped = plain + ".gz";
        return File.Exists(gzipped) ? gzipped : null;
    }

    private static void CheckLabels(string path, ReadOnlySpan<byte> labels, int classes)
    {
        for (var i = 0; i < labels.Length; i++)
            if (labels[i] >= classes)
                throw DatasetException.InFile(path, $"label out of range: item {i} has label {labels[i]}, but this dataset has {classes} classes ({RangeText.Indices(classes)})");
    }

    private static Stream OpenRead(string path)
    {
        try
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return IsGzipName(path) ? new GZipStream(file, CompressionMode.Decompress) : file;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DatasetException.InFile(path, $"cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads an IDX file of unsigned bytes: checks the magic number and the exact length the header implies, and
    /// returns the dimensions and the body. A plain file is measured before anything is allocated and read
    /// straight into its final array; a gzipped one has to be inflated first to learn its length.
    /// </summary>
    private static (int[] Dimensions, byte[] Body) Read(string path, int magic, string kind, int rank, Func<int[], (long Bytes, string Contents)> describe)
    {
        if (!File.Exists(path)) throw DatasetException.InFile(path, "not found");
        var headerBytes = 4 + 4 * rank;
        try
        {
            if (IsGzipName(path))
            {
                byte[] all;
                using (var stream = OpenRead(path))
                using (var buffer = new MemoryStream())
                {
                    stream.CopyTo(buffer);
                    all = buffer.ToArray();
                }
                var gzDimensions = ReadHeader(path, all, magic, kind, rank);
                var (gzBytes, gzContents) = describe(gzDimensions);
                CheckLength(path, all.Length, headerBytes + gzBytes, gzContents);
                return (gzDimensions, all[headerBytes..]);
            }

            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            var header = new byte[Math.Min(file.Length, headerBytes)];
            file.ReadExactly(header);
            var dimensions = ReadHeader(path, header, magic, kind, rank);
            var (bytes, contents) = describe(dimensions);
            CheckLength(path, file.Length, headerBytes + bytes, contents);
            var body = GC.AllocateUninitializedArray<byte>(checked((int)bytes));
            file.ReadExactly(body);
            return (dimensions, body);
        }
        catch (InvalidDataException e)
        {
            throw DatasetException.InFile(path, $"is not a valid gzip file ({e.Message}); it may be truncated or not compressed at all", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DatasetException.InFile(path, $"cannot be read: {e.Message}", e);
        }
    }

    private static int[] ReadHeader(string path, byte[] bytes, int magic, string kind, int rank)
    {
        CheckMagic(path, bytes, magic, kind);
        var headerBytes = 4 + 4 * rank;
        if (bytes.Length < headerBytes)
            throw DatasetException.InFile(path, $"truncated: an IDX {kind} file needs a header of {headerBytes} bytes, file has {bytes.Length} bytes{GzipNote(path)}");
        string[] names = rank == 1 ? ["label count"] : ["image count", "row count", "column count"];
        return [.. Enumerable.Range(0, rank).Select(i => ReadDimension(path, bytes, 4 + 4 * i, names[i]))];
    }

    private static void CheckMagic(string path, byte[] bytes, int expected, string kind)
    {
        if (bytes.Length < 4)
            throw DatasetException.InFile(path, $"truncated: {bytes.Length} bytes is too short to hold an IDX magic number{GzipNote(path)}");
        if (bytes[0] == 0x1F && bytes[1] == 0x8B)
            throw DatasetException.InFile(path, "bad magic number: the file is gzip-compressed but its name does not end in .gz; rename it or gunzip it");

        var magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (magic == expected) return;
        var hint = magic switch
        {
            ImagesMagic => " (that is an IDX image file: are the image and label files swapped?)",
            LabelsMagic => " (that is an IDX label file: are the image and label files swapped?)",
            _ => "",
        };
        throw DatasetException.InFile(path, $"bad magic number {magic} (0x{magic:X8}){hint}; an IDX {kind} file starts with {expected} (0x{expected:X8})");
    }

    private static int ReadDimension(string path, byte[] bytes, int offset, string what)
    {
        var value = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
        if (value < 0)
            throw DatasetException.InFile(path, $"bad header: the {what} is {value} (the header is big-endian; was the file written little-endian?)");
        return value;
    }

    private static void CheckLength(string path, long actual, long expected, string contents)
    {
        if (actual < expected)
            throw DatasetException.InFile(path, $"truncated: header says {contents} = {expected} bytes, file has {actual} bytes{GzipNote(path)}");
        if (actual > expected)
            throw DatasetException.InFile(path, $"too long: header says {contents} = {expected} bytes, file has {actual} bytes{GzipNote(path)}");
    }

    private static string GzipNote(string path) => IsGzipName(path) ? " after decompression" : "";

    internal static bool IsGzipName(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
}
