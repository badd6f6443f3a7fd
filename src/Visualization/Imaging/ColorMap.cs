namespace Experiments.Visualization.Imaging;

/// <summary>
/// Maps a number in [0, 1] to a colour by linear interpolation between evenly spaced anchors. Values outside [0, 1]
/// are clamped; NaN maps to <see cref="NotANumber"/>, a magenta that none of the maps uses, so a diverged weight
/// stands out instead of passing for a small one.
/// </summary>
public sealed class ColorMap
{
    private readonly Rgb[] _anchors;

    private ColorMap(string name, params Rgb[] anchors)
    {
        Name = name;
        _anchors = anchors;
    }

    public string Name { get; }

    public static Rgb NotANumber { get; } = new(255, 0, 255);

    /// <summary>Black to white; level = round(255·t), so [0, 1] uses the whole 8-bit range.</summary>
    public static ColorMap Grey { get; } = new("grey", Rgb.Black, Rgb.White);

    /// <summary>Blue through near-white to red (ColorBrewer RdBu, reversed), for signed values: 0.5 is zero.</summary>
    public static ColorMap Diverging { get; } = new("diverging",
        Hex(0x053061), Hex(0x2166ac), Hex(0x4393c3), Hex(0x92c5de), Hex(0xd1e5f0), Hex(0xf7f7f7),
        Hex(0xfddbc7), Hex(0xf4a582), Hex(0xd6604d), Hex(0xb2182b), Hex(0x67001f));

    /// <summary>Dark purple to yellow through blue and green: matplotlib's viridis sampled at nine points; perceptually even.</summary>
    public static ColorMap Viridis { get; } = new("viridis",
        Hex(0x440154), Hex(0x472c7a), Hex(0x3b518b), Hex(0x2c718e), Hex(0x21908d), Hex(0x27ad81), Hex(0x5cc863), Hex(0xaadc32), Hex(0xfde725));

    public static IReadOnlyList<ColorMap> All { get; } = [Grey, Diverging, Viridis];

    public static ColorMap Parse(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown colour map '{name}'; use one of {string.Join(", ", All.Select(m => m.Name))}");

    public Rgb Map(double t)
    {
        if (double.IsNaN(t)) return NotANumber;
        t = Math.Clamp(t, 0, 1);
        var position = t * (_anchors.Length - 1);
        var index = Math.Min((int)position, _anchors.Length - 2);
        var fraction = position - index;
        var (from, to) = (_anchors[index], _anchors[index + 1]);
        return new Rgb(Mix(from.R, to.R, fraction), Mix(from.G, to.G, fraction), Mix(from.B, to.B, fraction));
    }

    /// <summary>Maps <paramref name="value"/> from [min, max] onto the map; a flat range (max = min) maps to the middle.</summary>
    public Rgb Map(double value, double min, double max) =>
        Map(max > min ? (value - min) / (max - min) : double.IsNaN(value) ? double.NaN : 0.5);

    /// <summary>For signed data: zero at the middle of the map, ±<paramref name="maxAbs"/> at its ends.</summary>
    public Rgb MapSigned(double value, double maxAbs) =>
        Map(maxAbs > 0 ? 0.5 + value / (2 * maxAbs) : double.IsNaN(value) ? double.NaN : 0.5);

    private static byte Mix(byte from, byte to, double fraction) => (byte)Math.Round(from + (to - from) * fraction);

    private static Rgb Hex(int rgb) => new((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);
}

/// <summary>An 8-bit colour.</summary>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    public static Rgb White { get; } = new(255, 255, 255);
    public static Rgb Black { get; } = new(0, 0, 0);

    /// <summary>#rrggbb, as SVG wants it.</summary>
    public string ToHex() => $"#{R:x2}{G:x2}{B:x2}";

    public static Rgb Grey(byte level) => new(level, level, level);

    /// <summary>The same colour, opaque, for SkiaSharp.</summary>
    public SkiaSharp.SKColor ToSkia() => new(R, G, B);
}
