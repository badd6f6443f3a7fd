namespace Experiments.Analysis.Decoding;

/// <summary>
/// 003's <c>unpool</c>: upsampling of every map by an integer factor. 003 names the interpolations (nearest, bilinear,
/// bicubic) but not their conventions, so these follow PyTorch's <c>F.interpolate(scale_factor=f,
/// align_corners=False)</c>: pixel centres aligned, borders replicated, and the bicubic kernel of Keys with
/// a = −0.75. That makes them checkable against PyTorch, and nearest reproduces 003's Fig. 2 (each value becomes an
/// f×f block).
/// </summary>
public static class Upsampling
{
    private const double CubicA = -0.75;

    /// <summary>Tasks per core for the planes: enough that a core slowed by other work does not hold up the rest.</summary>
    private const int TasksPerCore = 8;

    public static FeatureMaps Upsample(FeatureMaps maps, int factorH, int factorW, Unpooling method)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (factorH < 1 || factorW < 1) throw new ArgumentException($"upsampling factors must be at least 1, got {factorH}×{factorW}");
        var height = maps.Height * factorH;
        var width = maps.Width * factorW;
        var output = new float[(long)maps.Channels * height * width];
        if (method == Unpooling.Nearest)
        {
            // Each value becomes a factorH×factorW block: plain copies.
            for (var c = 0; c < maps.Channels; c++)
            {
                var plane = maps.Map(c);
                var target = output.AsSpan(c * height * width, height * width);
                for (var y = 0; y < height; y++)
                {
                    var row = target.Slice(y * width, width);
                    var sourceRow = plane.Slice(y / factorH * maps.Width, maps.Width);
                    for (var x = 0; x < width; x++) row[x] = sourceRow[x / factorW];
                }
            }
            return new FeatureMaps(maps.Channels, height, width, output);
        }

        var (rowIndex, rowWeight, rowTaps) = Flatten(Weights(maps.Height, factorH, method));
        var (columnIndex, columnWeight, columnTaps) = Flatten(Weights(maps.Width, factorW, method));
        // Planes are independent: blocks of them go to the cores, each plane computed in the same order as alone.
        var planesPerTask = Math.Max(1, maps.Channels / (Environment.ProcessorCount * TasksPerCore));
        Parallel.For(0, (maps.Channels + planesPerTask - 1) / planesPerTask, () => new double[height * maps.Width], (task, _, temporary) =>
        {
            for (var c = task * planesPerTask; c < Math.Min((task + 1) * planesPerTask, maps.Channels); c++)
            {
                var plane = maps.Map(c);
                // Separable: along the rows first, then along the columns, in double so the order hardly matters.
                for (var y = 0; y < height; y++)
                for (var x = 0; x < maps.Width; x++)
                {
                    var sum = 0.0;
                    for (var t = y * rowTaps; t < (y + 1) * rowTaps; t++) sum += rowWeight[t] * plane[rowIndex[t] * maps.Width + x];
                    temporary[y * maps.Width + x] = sum;
                }
                var target = output.AsSpan(c * height * width, height * width);
                for (var y = 0; y < height; y++)
                for (var x = 0; x < width; x++)
                {
                    var sum = 0.0;
                    var row = y * maps.Width;
                    for (var t = x * columnTaps; t < (x + 1) * columnTaps; t++) sum += columnWeight[t] * temporary[row + columnIndex[t]];
                    target[y * width + x] = (float)sum;
                }
            }
            return temporary;
        }, _ => { });
        return new FeatureMaps(maps.Channels, height, width, output);
    }

    // The taps of every output position side by side (each position has the same number), for tight loops.
    private static (int[] Index, double[] Weight, int Taps) Flatten((int Index, double Weight)[][] weights)
    {
        var taps = weights[0].Length;
        var index = new int[weights.Length * taps];
        var weight = new double[weights.Length * taps];
        for (var o = 0; o < weights.Length; o++)
            for (var t = 0; t < taps; t++) (index[o * taps + t], weight[o * taps + t]) = weights[o][t];
        return (index, weight, taps);
    }

    /// <summary>For each output position along one axis, the input positions it reads and their weights.</summary>
    internal static (int Index, double Weight)[][] Weights(int inputSize, int factor, Unpooling method)
    {
        var outputSize = inputSize * factor;
        var result = new (int, double)[outputSize][];
        for (var o = 0; o < outputSize; o++)
        {
            // PyTorch's area_pixel_compute_source_index with align_corners=False: the centre of output pixel o.
            var source = (o + 0.5) / factor - 0.5;
            result[o] = method switch
            {
                Unpooling.Nearest => [(Math.Min(o / factor, inputSize - 1), 1.0)],
                Unpooling.Bilinear => Linear(Math.Max(source, 0), inputSize),
                Unpooling.Bicubic => Cubic(source, inputSize),
                _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown unpooling"),
            };
        }
        return result;
    }

    private static (int, double)[] Linear(double source, int inputSize)
    {
        var low = (int)Math.Floor(source);
        var high = Math.Min(low + 1, inputSize - 1);
        var fraction = source - low;
        return [(Math.Min(low, inputSize - 1), 1 - fraction), (high, fraction)];
    }

    private static (int, double)[] Cubic(double source, int inputSize)
    {
        var floor = (int)Math.Floor(source);
        var t = source - floor;
        double[] weights = [Far(t + 1), Near(t), Near(1 - t), Far(2 - t)];
        var taps = new (int, double)[4];
        for (var i = 0; i < 4; i++) taps[i] = (Math.Clamp(floor - 1 + i, 0, inputSize - 1), weights[i]);
        return taps;

        static double Near(double x) => ((CubicA + 2) * x - (CubicA + 3)) * x * x + 1;
        static double Far(double x) => ((CubicA * x - 5 * CubicA) * x + 8 * CubicA) * x - 4 * CubicA;
    }
}
