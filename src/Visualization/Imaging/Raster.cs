namespace Experiments.Visualization.Imaging;

/// <summary>Turning numbers into pictures, scaling pictures, and laying pictures out in grids.</summary>
public static class Raster
{
    /// <summary>
    /// A width×height picture of row-major <paramref name="values"/>, each mapped from [min, max] through
    /// <paramref name="map"/>. With no range given, the values' own finite minimum and maximum are used, so the
    /// smallest value is the map's first colour and the largest its last (for grey: 0 and 255).
    /// </summary>
    public static RasterImage FromValues(ReadOnlySpan<float> values, int width, int height, ColorMap map, double? min = null, double? max = null)
    {
        if (values.Length != width * height)
            throw new ArgumentException($"{values.Length} values do not make a {width}×{height} picture", nameof(values));
        var (low, high) = min is { } lo && max is { } hi ? (lo, hi) : FiniteRange(values);
        var image = new RasterImage(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                image.SetPixel(x, y, float.IsInfinity(values[y * width + x]) ? ColorMap.NotANumber : map.Map(values[y * width + x], low, high));
        return image;
    }

    /// <summary>The smallest and largest finite values; (0, 0) when there are none.</summary>
    public static (double Min, double Max) FiniteRange(ReadOnlySpan<float> values)
    {
        var (min, max) = (double.PositiveInfinity, double.NegativeInfinity);
        foreach (var v in values)
        {
            if (!float.IsFinite(v)) continue;
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return min > max ? (0, 0) : (min, max);
    }

    /// <summary>Nearest-neighbour enlargement by a whole factor: every pixel becomes a factor×factor block, so a 5×5 kernel stays 25 crisp squares.</summary>
    public static RasterImage Upscale(RasterImage image, int factor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1);
        if (factor == 1) return image;
        var result = new RasterImage(image.Width * factor, image.Height * factor, image.HasAlpha);
        var channels = image.Channels;
        for (var y = 0; y < result.Height; y++)
        {
            var sourceRow = y / factor * image.Stride;
            var targetRow = y * result.Stride;
            for (var x = 0; x < result.Width; x++)
                Array.Copy(image.Pixels, sourceRow + x / factor * channels, result.Pixels, targetRow + x * channels, channels);
        }
        return result;
    }

    /// <summary>Nearest-neighbour resampling to any size (for fitting, e.g. a 28×28 map beside a 5×5 one).</summary>
    public static RasterImage Resize(RasterImage image, int width, int height)
    {
        var result = new RasterImage(width, height, image.HasAlpha);
        var channels = image.Channels;
        for (var y = 0; y < height; y++)
        {
            var sy = (int)((long)y * image.Height / height);
            for (var x = 0; x < width; x++)
            {
                var sx = (int)((long)x * image.Width / width);
                Array.Copy(image.Pixels, sy * image.Stride + sx * channels, result.Pixels, y * result.Stride + x * channels, channels);
            }
        }
        return result;
    }

    /// <summary>Copies <paramref name="source"/> into <paramref name="target"/> with its top-left corner at (left, top), clipped.</summary>
    public static void Paste(RasterImage target, RasterImage source, int left, int top)
    {
        if (target.Channels != source.Channels) throw new ArgumentException("both images must be RGB, or both RGBA");
        var x0 = Math.Max(0, left);
        var x1 = Math.Min(target.Width, left + source.Width);
        if (x1 <= x0) return;
        for (var y = Math.Max(0, top); y < Math.Min(target.Height, top + source.Height); y++)
            Array.Copy(source.Pixels, (y - top) * source.Stride + (x0 - left) * source.Channels,
                target.Pixels, y * target.Stride + x0 * target.Channels, (x1 - x0) * target.Channels);
    }
}

/// <summary>
/// How a grid of equally sized tiles is laid out. Columns come in groups of <see cref="GroupSize"/> (for instance the
/// input channels of one filter): tiles are <see cref="Padding"/> pixels apart inside a group and groups
/// <see cref="GroupGap"/> apart. Rows come in groups of <see cref="RowGroupSize"/> (for instance the lines of one
/// epoch's panel): <see cref="RowGap"/> apart inside a group (default: the padding), groups <see cref="RowGroupGap"/>
/// apart (default: the row gap). The whole grid has a <see cref="Margin"/> all round. A group size of 0 means one group.
/// <para>Width = 2·margin + cols·tileWidth + (cols − groups)·padding + (groups − 1)·groupGap, where groups = ⌈cols / groupSize⌉;
/// Height = 2·margin + rows·tileHeight + (rows − rowGroups)·rowGap + (rowGroups − 1)·rowGroupGap.</para>
/// </summary>
public sealed record GridLayout(int TileWidth, int TileHeight, int Rows, int Columns, int Padding = 1, int GroupSize = 0, int GroupGap = 4, int Margin = 2,
    int? RowGap = null, int RowGroupSize = 0, int? RowGroupGap = null)
{
    private int RowSpacing => RowGap ?? Padding;
    private int RowGroupSpacing => RowGroupGap ?? RowSpacing;

    private static int Count(int items, int size) => size <= 0 ? 1 : (items + size - 1) / size;

    public int Width => 2 * Margin + Columns * TileWidth + (Columns - Count(Columns, GroupSize)) * Padding + (Count(Columns, GroupSize) - 1) * GroupGap;
    public int Height => 2 * Margin + Rows * TileHeight + (Rows - Count(Rows, RowGroupSize)) * RowSpacing + (Count(Rows, RowGroupSize) - 1) * RowGroupSpacing;

    public int Left(int column)
    {
        var group = GroupSize <= 0 ? 0 : column / GroupSize;
        return Margin + column * TileWidth + (column - group) * Padding + group * GroupGap;
    }

    public int Top(int row)
    {
        var group = RowGroupSize <= 0 ? 0 : row / RowGroupSize;
        return Margin + row * TileHeight + (row - group) * RowSpacing + group * RowGroupSpacing;
    }
}

/// <summary>Draws tiles into a grid.</summary>
public static class ImageGrid
{
    /// <summary>
    /// A picture of <paramref name="tiles"/> (rows of tiles; a null tile stays background), every tile the layout's
    /// size. Background shows in the padding, gaps and margin.
    /// </summary>
    public static RasterImage Compose(IReadOnlyList<IReadOnlyList<RasterImage?>> tiles, GridLayout layout, Rgb background)
    {
        var image = new RasterImage(layout.Width, layout.Height);
        image.Fill(background);
        for (var row = 0; row < tiles.Count; row++)
            for (var column = 0; column < tiles[row].Count; column++)
            {
                if (tiles[row][column] is not { } tile) continue;
                if (tile.Width != layout.TileWidth || tile.Height != layout.TileHeight)
                    throw new ArgumentException($"tile ({row}, {column}) is {tile.Width}×{tile.Height}, the layout's tiles are {layout.TileWidth}×{layout.TileHeight}");
                Raster.Paste(image, tile, layout.Left(column), layout.Top(row));
            }
        return image;
    }
}
