using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing.Processors.Quantization;

namespace Experiments.Visualization.Pictures;

/// <summary>
/// One palette of at most 256 colours for every frame of an animation, for ImageSharp's GIF encoder (plugged in as its
/// <see cref="IQuantizer"/>). The palette is every colour the frames use when there are at most 256 of them, so such an
/// animation is exact; otherwise it is ImageSharp's octree palette of those distinct colours, each colour then drawn
/// as its nearest palette entry (Euclidean in RGB): grey kernels (256 levels plus anti-aliased text) move by a level
/// or two, never across an edge. No dithering.
/// <para>Why not ImageSharp's own quantisers: its octree builds a tree from every pixel of every frame, which was
/// about two thirds of a kernel animation's time; its <see cref="PaletteQuantizer"/> looks colours up in a cache keyed
/// by 5 bits a channel, so it draws neighbouring grey levels alike. Here the colours are found once per animation
/// (a frame's pixels mostly repeat their left neighbour) and each pixel is one table look-up.</para>
/// </summary>
public sealed class AnimationPalette : IQuantizer
{
    /// <summary>GIF's largest colour table.</summary>
    public const int MaxColours = 256;

    // Palette index of every colour in the frames, by its 24-bit RGB value (the frames are opaque): 16 MiB, of which
    // only the entries of colours that occur are written or read.
    private readonly byte[] _indexOfRgb;

    private AnimationPalette(Rgba32[] colours, byte[] indexOfRgb)
    {
        Colours = colours;
        _indexOfRgb = indexOfRgb;
    }

    /// <summary>The palette, at most <see cref="MaxColours"/> opaque colours.</summary>
    public IReadOnlyList<Rgba32> Colours { get; }

    /// <summary>No dithering: it would speckle flat tiles and anti-aliased labels.</summary>
    public QuantizerOptions Options { get; } = new() { Dither = null, MaxColors = MaxColours };

    /// <summary>The palette of <paramref name="frames"/> (opaque pictures).</summary>
    public static AnimationPalette Of(IReadOnlyList<Picture> frames)
    {
        // Frames are scanned on every core; each keeps its own set, merged after.
        var distinct = new ConcurrentBag<HashSet<uint>>();
        Parallel.ForEach(frames, () => new HashSet<uint>(), (frame, _, seen) =>
        {
            var pixels = MemoryMarshal.Cast<byte, uint>(frame.Rgba);
            var previous = ~0u;
            foreach (var pixel in pixels)
                if (pixel != previous) seen.Add((previous = pixel) & 0x00FF_FFFF);
            return seen;
        }, distinct.Add);
        var colours = distinct.SelectMany(s => s).Distinct().Order().Select(Opaque).ToArray();

        var palette = colours.Length <= MaxColours ? colours : OctreePalette(colours);
        var indexOfRgb = GC.AllocateUninitializedArray<byte>(1 << 24);
        foreach (var colour in colours) indexOfRgb[Rgb24(colour)] = Nearest(palette, colour);
        return new AnimationPalette(palette, indexOfRgb);
    }

    /// <summary>The palette entry <paramref name="colour"/> is drawn as (a colour of the frames this palette was made from).</summary>
    public Rgba32 Draw(Rgba32 colour) => Colours[_indexOfRgb[Rgb24(colour)]];

    public IQuantizer<TPixel> CreatePixelSpecificQuantizer<TPixel>(Configuration configuration) where TPixel : unmanaged, IPixel<TPixel> =>
        CreatePixelSpecificQuantizer<TPixel>(configuration, Options);

    public IQuantizer<TPixel> CreatePixelSpecificQuantizer<TPixel>(Configuration configuration, QuantizerOptions options) where TPixel : unmanaged, IPixel<TPixel>
    {
        var palette = new TPixel[Colours.Count];
        for (var i = 0; i < palette.Length; i++) palette[i].FromRgba32(Colours[i]);
        return new FrameQuantizer<TPixel>(configuration, Options, palette, _indexOfRgb);
    }

    /// <summary>
    /// ImageSharp calls <see cref="GetQuantizedColor"/> for every pixel, from several threads at once: it only reads
    /// the table.
    /// </summary>
    private readonly struct FrameQuantizer<TPixel>(Configuration configuration, QuantizerOptions options, TPixel[] palette, byte[] indexOfRgb)
        : IQuantizer<TPixel> where TPixel : unmanaged, IPixel<TPixel>
    {
        public Configuration Configuration { get; } = configuration;
        public QuantizerOptions Options { get; } = options;
        public ReadOnlyMemory<TPixel> Palette => palette;

        public void AddPaletteColors(SixLabors.ImageSharp.Memory.Buffer2DRegion<TPixel> pixelRegion)
        {
            // The palette is fixed before the first frame.
        }

        public IndexedImageFrame<TPixel> QuantizeFrame(ImageFrame<TPixel> source, Rectangle bounds)
        {
            var self = this;
            return QuantizerUtilities.QuantizeFrame(ref self, source, bounds);
        }

        public byte GetQuantizedColor(TPixel color, out TPixel match)
        {
            Rgba32 rgba = default;
            color.ToRgba32(ref rgba);
            var index = indexOfRgb[Rgb24(rgba)];
            match = palette[index];
            return index;
        }

        public void Dispose()
        {
            // Nothing is pooled.
        }
    }

    private static int Rgb24(Rgba32 colour) => colour.R << 16 | colour.G << 8 | colour.B;

    private static Rgba32 Opaque(uint packed) => new(packed | 0xFF00_0000);

    /// <summary>ImageSharp's octree palette (no dithering) of the distinct colours, each counted once.</summary>
    private static Rgba32[] OctreePalette(Rgba32[] colours)
    {
        using var swatch = Image.LoadPixelData<Rgba32>(colours, colours.Length, 1);
        using var octree = new OctreeQuantizer(new QuantizerOptions { Dither = null, MaxColors = MaxColours })
            .CreatePixelSpecificQuantizer<Rgba32>(Configuration.Default);
        using var quantized = octree.BuildPaletteAndQuantizeFrame(swatch.Frames.RootFrame, swatch.Bounds());
        return quantized.Palette.ToArray();
    }

    private static byte Nearest(Rgba32[] palette, Rgba32 colour)
    {
        var (best, bestDistance) = (0, int.MaxValue);
        for (var i = 0; i < palette.Length; i++)
        {
            var (r, g, b) = (palette[i].R - colour.R, palette[i].G - colour.G, palette[i].B - colour.B);
            var distance = r * r + g * g + b * b;
            if (distance < bestDistance) (best, bestDistance) = (i, distance);
        }
        return (byte)best;
    }
}
