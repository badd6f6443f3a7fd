using Experiments.Worker.Engine;

namespace Experiments.Worker.Interpretability;

/// <summary>
/// Bilinear resizing of one map, exactly as PyTorch's <c>F.interpolate(x, size=(H, W), mode="bilinear",
/// align_corners=False)</c> (the half-pixel convention, also OpenCV's <c>cv2.resize</c>, which the reference Grad-CAM
/// code uses): output pixel centres are mapped back to the input by <c>src = (dst + 0.5)·in/out − 0.5</c>, clamped
/// at 0, and the two nearest input pixels on each axis are blended.
/// </summary>
public static class Bilinear
{
    /// <summary>Resizes an <c>h × w</c> map to <paramref name="height"/> × <paramref name="width"/>.</summary>
    public static Tensor Resize(Tensor map, int height, int width)
    {
        if (map.Shape.Length != 2) throw new ArgumentException($"a map must be h×w, got {string.Join('×', map.Shape)}.", nameof(map));
        if (height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(height), "the output size must be positive.");
        int inH = map.Shape[0], inW = map.Shape[1];
        var rows = Axis(inH, height);
        var columns = Axis(inW, width);
        var result = new float[height * width];
        for (var y = 0; y < height; y++)
        {
            var (y0, y1, wy) = rows[y];
            for (var x = 0; x < width; x++)
            {
                var (x0, x1, wx) = columns[x];
                double top = (1 - wx) * map.Data[y0 * inW + x0] + wx * map.Data[y0 * inW + x1];
                double bottom = (1 - wx) * map.Data[y1 * inW + x0] + wx * map.Data[y1 * inW + x1];
                result[y * width + x] = (float)((1 - wy) * top + wy * bottom);
            }
        }
        return new Tensor([height, width], result);
    }

    private static (int Low, int High, double Weight)[] Axis(int input, int output)
    {
        var scale = (double)input / output;
        var axis = new (int, int, double)[output];
        for (var i = 0; i < output; i++)
        {
            var source = Math.Max(0.0, (i + 0.5) * scale - 0.5);
            var low = Math.Min((int)Math.Floor(source), input - 1);
            var high = Math.Min(low + 1, input - 1);
            axis[i] = (low, high, source - low);
        }
        return axis;
    }
}
