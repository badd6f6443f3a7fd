using System.Diagnostics;
using System.Text.Json;

namespace Experiments.Visualization.Tests.Support;

/// <summary>One frame as the Python oracle decoded it; Pixels is null when decoded with --no-pixels.</summary>
/// <param name="FiltersUsed">The PNG row filter types (0 None … 4 Paeth) the frame's rows used.</param>
public sealed record DecodedFrame(int Width, int Height, int X, int Y, int? DelayNumerator, int? DelayDenominator, byte Min, byte Max, byte[]? Pixels,
    IReadOnlyList<int> FiltersUsed)
{
    public (byte R, byte G, byte B) Rgb(int x, int y, int channels)
    {
        var i = (y * Width + x) * channels;
        return (Pixels![i], Pixels[i + 1], Pixels[i + 2]);
    }
}

/// <summary>A PNG or APNG as tests/Visualization.Tests/oracle/png_decode.py (zlib + struct only) reads it.</summary>
public sealed record DecodedPng(int Width, int Height, int Channels, IReadOnlyList<string> Chunks, int? FrameCount, IReadOnlyList<DecodedFrame> Frames);

/// <summary>
/// Runs the independent Python decoder. It checks the signature, every chunk's CRC (zlib.crc32), APNG sequence
/// numbers and the decompressed lengths, and fails (so the test fails) on any of them.
/// </summary>
public static partial class PngOracle
{
    public static DecodedPng Decode(string path, bool withPixels = true)
    {
        using var json = JsonDocument.Parse(Run("png_decode.py", withPixels ? [path] : [path, "--no-pixels"]));
        var root = json.RootElement;
        var frames = root.GetProperty("frames").EnumerateArray().Select(f => new DecodedFrame(
            f.GetProperty("width").GetInt32(), f.GetProperty("height").GetInt32(), f.GetProperty("x").GetInt32(), f.GetProperty("y").GetInt32(),
            f.TryGetProperty("delay_num", out var dn) ? dn.GetInt32() : null, f.TryGetProperty("delay_den", out var dd) ? dd.GetInt32() : null,
            (byte)f.GetProperty("min").GetInt32(), (byte)f.GetProperty("max").GetInt32(),
            f.TryGetProperty("pixels", out var px) ? Convert.FromHexString(px.GetString()!) : null,
            f.GetProperty("filters").EnumerateArray().Select(t => t.GetInt32()).ToList())).ToList();
        return new DecodedPng(root.GetProperty("width").GetInt32(), root.GetProperty("height").GetInt32(), root.GetProperty("channels").GetInt32(),
            root.GetProperty("chunks").EnumerateArray().Select(c => c.GetString()!).ToList(),
            root.GetProperty("num_frames").ValueKind == JsonValueKind.Null ? null : root.GetProperty("num_frames").GetInt32(), frames);
    }
}

/// <summary>Runs one of the Python oracles of tests/Visualization.Tests/oracle and returns what it printed.</summary>
public static partial class PngOracle
{
    /// <exception cref="InvalidDataException">The oracle rejected the file (it exits non-zero on any structural error).</exception>
    public static string Run(string script, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Repository.Root(), "tests", "Visualization.Tests", "oracle", script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidDataException($"{script} rejected {arguments[0]}: {error.Result}");
        return output.Result;
    }
}

/// <summary>A temporary folder deleted afterwards.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("experiments-viz-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
