using Experiments.Architectures;

namespace Experiments.Datasets;

/// <summary>Raw records of one CIFAR-10 batch: a label per record and 3×32×32 bytes per record (R, G, B planes).</summary>
public sealed record CifarBatch(byte[] Labels, byte[] Pixels)
{
    public int Count => Labels.Length;
}

/// <summary>
/// The CIFAR-10 binary version: each record is 1 label byte then 3072 pixel bytes — the red plane, the green
/// plane, the blue plane, each 32×32 row-major. That is already C×H×W, so records copy straight into NCHW.
/// </summary>
public static class CifarBinary
{
    public const int Channels = 3;
    public const int Side = 32;
    public const int PixelsPerRecord = Channels * Side * Side; // 3072
    public const int RecordBytes = 1 + PixelsPerRecord;        // 3073
    public const int RecordsPerBatch = 10_000;
    public const int Classes = 10;

    public const string DirectoryName = "cifar-10-batches-bin";
    public const string MetaFileName = "batches.meta.txt";
    public const string TestBatchName = "test_batch.bin";
    public static IReadOnlyList<string> TrainBatchNames { get; } = [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin")];

    /// <summary>Every file the official <c>cifar-10-batches-bin</c> folder holds that we use, batches first.</summary>
    public static IReadOnlyList<string> RequiredFileNames { get; } = [.. TrainBatchNames, TestBatchName];

    /// <summary>
    /// Reads one batch file. Official batches hold exactly <see cref="RecordsPerBatch"/> records; a different
    /// <paramref name="expectedRecords"/> is for small hand-made files.
    /// </summary>
    public static CifarBatch ReadBatch(string path, int expectedRecords = RecordsPerBatch)
    {
        var labels = new byte[expectedRecords];
        var pixels = GC.AllocateUninitializedArray<byte>(checked(expectedRecords * PixelsPerRecord));
        ReadBatchInto(path, expectedRecords, new byte[1 << 20], labels, pixels);
        return new CifarBatch(labels, pixels);
    }

    /// <summary>Reads batches in order into one normalised split of 3×32×32 images.</summary>
    public static LabelledImages Load(IEnumerable<string> batchPaths, IReadOnlyList<string> classNames, int expectedRecordsPerBatch = RecordsPerBatch) =>
        LoadRaw(batchPaths, expectedRecordsPerBatch).ToLabelledImages(classNames);

    /// <summary>Reads batches in order into one array of raw records, copying each record once, straight into place.</summary>
    public static RawImages LoadRaw(IEnumerable<string> batchPaths, int expectedRecordsPerBatch = RecordsPerBatch)
    {
        var paths = batchPaths.ToList();
        var labels = new byte[checked(paths.Count * expectedRecordsPerBatch)];
        var pixels = GC.AllocateUninitializedArray<byte>(checked(labels.Length * PixelsPerRecord));
        var buffer = new byte[1 << 20];
        for (var b = 0; b < paths.Count; b++)
            ReadBatchInto(paths[b], expectedRecordsPerBatch, buffer,
                labels.AsSpan(b * expectedRecordsPerBatch, expectedRecordsPerBatch),
                pixels.AsSpan(b * expectedRecordsPerBatch * PixelsPerRecord, expectedRecordsPerBatch * PixelsPerRecord));
        return new RawImages(new(Channels, Side, Side), pixels, labels);
    }

    /// <summary>Streams one batch file through <paramref name="buffer"/>, checking its length first and every label as it goes.</summary>
    private static void ReadBatchInto(string path, int expectedRecords, byte[] buffer, Span<byte> labels, Span<byte> pixels)
    {
        if (!File.Exists(path)) throw DatasetException.InFile(path, "not found");
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
            var expectedBytes = (long)expectedRecords * RecordBytes;
            if (file.Length != expectedBytes)
            {
                var whole = file.Length % RecordBytes == 0 ? $"{file.Length / RecordBytes} whole records" : "not a whole number of records";
                throw DatasetException.InFile(path,
                    $"wrong length: a CIFAR-10 batch holds {expectedRecords} records of {RecordBytes} bytes (1 label + 3×32×32 pixels) = {expectedBytes} bytes, file has {file.Length} bytes ({whole})");
            }

            var recordsPerRead = buffer.Length / RecordBytes;
            for (var first = 0; first < expectedRecords; first += recordsPerRead)
            {
                var records = Math.Min(recordsPerRead, expectedRecords - first);
                var chunk = buffer.AsSpan(0, records * RecordBytes);
                file.ReadExactly(chunk);
                for (var i = 0; i < records; i++)
                {
                    var r = first + i;
                    var record = chunk.Slice(i * RecordBytes, RecordBytes);
                    if (record[0] >= Classes)
                        throw DatasetException.InFile(path, $"bad label: record {r} (byte offset {(long)r * RecordBytes}) has label {record[0]}; CIFAR-10 labels are {RangeText.Indices(Classes)}");
                    labels[r] = record[0];
                    record[1..].CopyTo(pixels.Slice(r * PixelsPerRecord, PixelsPerRecord));
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DatasetException.InFile(path, $"cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The class names in <c>batches.meta.txt</c>: one per line, blank lines ignored, exactly ten.</summary>
    public static IReadOnlyList<string> ReadClassNames(string path)
    {
        if (!File.Exists(path)) throw DatasetException.InFile(path, "not found");
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != Classes)
            throw DatasetException.InFile(path, $"expected {Classes} class names, one per line; found {names.Length}");
        return names;
    }

    /// <summary>Writes one batch in the official layout.</summary>
    /// <param name="pixels">count × 3072 bytes, each record's R, G and B planes in turn.</param>
    public static void WriteBatch(string path, ReadOnlySpan<byte> labels, ReadOnlySpan<byte> pixels)
    {
        if (pixels.Length != (long)labels.Length * PixelsPerRecord)
            throw new ArgumentException($"{labels.Length} records need {(long)labels.Length * PixelsPerRecord} pixel bytes; got {pixels.Length}.", nameof(pixels));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        for (var r = 0; r < labels.Length; r++)
        {
            file.WriteByte(labels[r]);
            file.Write(pixels.Slice(r * PixelsPerRecord, PixelsPerRecord));
        }
    }

    /// <summary>Writes <c>batches.meta.txt</c> as the official archive has it: a name per line, then a blank line.</summary>
    public static void WriteClassNames(string path, IReadOnlyList<string> classNames) =>
        File.WriteAllText(path, string.Join('\n', classNames) + "\n\n");
}
