using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;

namespace Experiments.Visualization.Pictures;

/// <summary>
/// Animated GIF, written by ImageSharp 2.1 (Apache-2.0): every browser plays it, and no package that restores here
/// writes APNG (SkiaSharp has no animated encoder; ImageSharp writes APNG only from version 3, which has another
/// licence). GIF holds 256 colours per frame: all frames share one <see cref="AnimationPalette"/>, exact when the frames
/// use at most 256 colours, otherwise each colour drawn in its nearest palette colour (no dithering), so colour maps lose
/// at most a little smoothness, never a crisp edge.
/// </summary>
public static class Animation
{
    /// <summary>
    /// Encodes <paramref name="frames"/> (all of one size) as a GIF that loops forever, each frame shown for
    /// <paramref name="frameDelay"/> (GIF counts in hundredths of a second: rounded, at least 1).
    /// </summary>
    public static byte[] EncodeGif(IReadOnlyList<Picture> frames, TimeSpan frameDelay)
    {
        if (frames.Count == 0) throw new ArgumentException("an animation needs at least one frame", nameof(frames));
        var (width, height) = (frames[0].Width, frames[0].Height);
        foreach (var frame in frames)
            if ((frame.Width, frame.Height) != (width, height))
                throw new ArgumentException($"every frame must be {width}×{height}; one is {frame.Width}×{frame.Height}", nameof(frames));
        var delay = (int)Math.Clamp(Math.Round(frameDelay.TotalMilliseconds / 10), 1, ushort.MaxValue);

        using var animation = Image.LoadPixelData<Rgba32>(frames[0].Rgba, width, height);
        animation.Metadata.GetGifMetadata().RepeatCount = 0;
        animation.Frames.RootFrame.Metadata.GetGifMetadata().FrameDelay = delay;
        foreach (var frame in frames.Skip(1))
        {
            using var image = Image.LoadPixelData<Rgba32>(frame.Rgba, width, height);
            var added = animation.Frames.AddFrame(image.Frames.RootFrame);
            added.Metadata.GetGifMetadata().FrameDelay = delay;
        }
        using var output = new MemoryStream();
        animation.SaveAsGif(output, new GifEncoder
        {
            // Every frame gets the same palette as its own (local) table: in global mode ImageSharp would quantise
            // the later frames with its PaletteQuantizer, whose cache draws neighbouring grey levels alike.
            ColorTableMode = GifColorTableMode.Local,
            Quantizer = AnimationPalette.Of(frames),
        });
        return output.ToArray();
    }

    /// <summary>Writes the GIF, creating the folder if needed.</summary>
    public static void WriteGif(string path, IReadOnlyList<Picture> frames, TimeSpan frameDelay)
    {
        if (Path.GetDirectoryName(path) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        File.WriteAllBytes(path, EncodeGif(frames, frameDelay));
    }
}
