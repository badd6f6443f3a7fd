using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Experiments.Visualization.Imaging;

/// <summary>
/// Writes PNG (ISO/IEC 15948) and animated PNG (APNG 1.0) files: 8-bit truecolour, with or without alpha,
/// non-interlaced. Each row takes the filter (None, Sub, Up, Average or Paeth) whose output has the smallest sum of
/// absolute values, the heuristic the PNG specification recommends; the scanlines are then deflated by zlib.
/// </summary>
public static class PngEncoder
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public static byte[] Encode(RasterImage image)
    {
        using var output = new MemoryStream();
        output.Write(Signature);
        WriteChunk(output, "IHDR", Header(image.Width, image.Height, image.HasAlpha));
        WriteChunk(output, "IDAT", CompressScanlines(image));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    public static void Write(string path, RasterImage image) => File.WriteAllBytes(path, Encode(image));

    /// <summary>
    /// An animated PNG that loops forever, one frame per image, each shown for <paramref name="frameDelay"/>. All
    /// frames must share the first frame's size and alpha. The first frame is also the still image that viewers
    /// without APNG support show.
    /// </summary>
    public static byte[] EncodeAnimation(IReadOnlyList<RasterImage> frames, TimeSpan frameDelay, int plays = 0)
    {
        if (frames.Count == 0) throw new ArgumentException("an animation needs at least one frame", nameof(frames));
        var first = frames[0];
        foreach (var frame in frames)
            if (frame.Width != first.Width || frame.Height != first.Height || frame.HasAlpha != first.HasAlpha)
                throw new ArgumentException($"every frame must be {first.Width}×{first.Height}; one is {frame.Width}×{frame.Height}", nameof(frames));

        // fcTL's delay is a fraction of seconds in 16-bit parts: milliseconds over 1000 fit up to 65.5 s.
        var delayMilliseconds = (ushort)Math.Clamp(Math.Round(frameDelay.TotalMilliseconds), 1, ushort.MaxValue);
        using var output = new MemoryStream();
        output.Write(Signature);
        WriteChunk(output, "IHDR", Header(first.Width, first.Height, first.HasAlpha));
        var animationControl = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(animationControl, (uint)frames.Count);
        BinaryPrimitives.WriteUInt32BigEndian(animationControl.AsSpan(4), (uint)plays);
        WriteChunk(output, "acTL", animationControl);

        // Frames compress independently, so on every core at once; the chunks are then written in order.
        var compressed = new byte[frames.Count][];
        Parallel.For(0, frames.Count, i => compressed[i] = CompressScanlines(frames[i]));

        // fcTL and fdAT chunks share one sequence, starting at 0.
        uint sequence = 0;
        for (var i = 0; i < frames.Count; i++)
        {
            WriteChunk(output, "fcTL", FrameControl(sequence++, frames[i], delayMilliseconds));
            var data = compressed[i];
            if (i == 0)
            {
                WriteChunk(output, "IDAT", data);
                continue;
            }
            var frameData = new byte[4 + data.Length];
            BinaryPrimitives.WriteUInt32BigEndian(frameData, sequence++);
            data.CopyTo(frameData, 4);
            WriteChunk(output, "fdAT", frameData);
        }
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    public static void WriteAnimation(string path, IReadOnlyList<RasterImage> frames, TimeSpan frameDelay) =>
        File.WriteAllBytes(path, EncodeAnimation(frames, frameDelay));

    private static byte[] Header(int width, int height, bool alpha)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)height);
        header[8] = 8;                      // bit depth
        header[9] = (byte)(alpha ? 6 : 2);  // colour type: truecolour with alpha, or truecolour
        header[10] = 0;                     // compression: deflate
        header[11] = 0;                     // filter method 0
        header[12] = 0;                     // no interlace
        return header;
    }

    private static byte[] FrameControl(uint sequence, RasterImage frame, ushort delayMilliseconds)
    {
        var control = new byte[26];
        var span = control.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(span, sequence);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)frame.Width);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], (uint)frame.Height);
        BinaryPrimitives.WriteUInt32BigEndian(span[12..], 0); // x offset
        BinaryPrimitives.WriteUInt32BigEndian(span[16..], 0); // y offset
        BinaryPrimitives.WriteUInt16BigEndian(span[20..], delayMilliseconds);
        BinaryPrimitives.WriteUInt16BigEndian(span[22..], 1000);
        control[24] = 0; // dispose: none (the next frame covers the whole canvas)
        control[25] = 0; // blend: source (replace, so alpha never accumulates)
        return control;
    }

    private static byte[] CompressScanlines(RasterImage image)
    {
        var stride = image.Stride;
        var bpp = image.Channels;
        var pixels = image.Pixels;
        var raw = new byte[image.Height * (stride + 1)];
        var candidate = new byte[stride];
        var best = new byte[stride];
        for (var y = 0; y < image.Height; y++)
        {
            var row = pixels.AsSpan(y * stride, stride);
            var previous = y == 0 ? default : pixels.AsSpan((y - 1) * stride, stride);
            var offset = y * (stride + 1);
            if (y > 0 && row.SequenceEqual(previous))
            {
                // A repeated row (every row of an enlarged pixel but the first): Up makes it all zeros, the best possible.
                raw[offset] = 2;
                continue;
            }
            byte bestFilter = 0;
            var bestScore = long.MaxValue;
            for (byte filter = 0; filter <= 4; filter++)
            {
                ApplyFilter(filter, row, previous, bpp, candidate);
                var score = 0L;
                foreach (var b in candidate) score += b < 128 ? b : 256 - b; // bytes read as signed
                if (score >= bestScore) continue;
                bestScore = score;
                bestFilter = filter;
                candidate.CopyTo(best, 0);
            }
            raw[offset] = bestFilter;
            best.CopyTo(raw, offset + 1);
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(raw);
        return compressed.ToArray();
    }

    // Filters as the PNG specification section 9.2 defines them; previous is empty for the first row (all zero).
    // One loop per filter (no per-byte dispatch): this is the encoder's hot path.
    private static void ApplyFilter(byte filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, int bpp, Span<byte> output)
    {
        var length = row.Length;
        var hasPrevious = !previous.IsEmpty;
        switch (filter)
        {
            case 0:
                row.CopyTo(output);
                break;
            case 1:
                row[..bpp].CopyTo(output);
                for (var i = bpp; i < length; i++) output[i] = (byte)(row[i] - row[i - bpp]);
                break;
            case 2:
                if (!hasPrevious) row.CopyTo(output);
                else for (var i = 0; i < length; i++) output[i] = (byte)(row[i] - previous[i]);
                break;
            case 3:
                for (var i = 0; i < length; i++)
                    output[i] = (byte)(row[i] - (((i >= bpp ? row[i - bpp] : 0) + (hasPrevious ? previous[i] : 0)) >> 1));
                break;
            default:
                if (!hasPrevious)
                {
                    // With no row above, b = c = 0 and Paeth always predicts a: the Sub filter.
                    ApplyFilter(1, row, previous, bpp, output);
                    break;
                }
                for (var i = 0; i < bpp; i++) output[i] = (byte)(row[i] - previous[i]); // a = c = 0: predicts b
                for (var i = bpp; i < length; i++) output[i] = (byte)(row[i] - Paeth(row[i - bpp], previous[i], previous[i - bpp]));
                break;
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        return pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)data.Length);
        output.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        var crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        output.Write(crcBytes);
    }
}
