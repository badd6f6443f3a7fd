using System.Numerics;

namespace Experiments.Analysis.Decoding;

/// <summary>
/// Images correlated with a bank of decoded filters at a layer's response positions (<see cref="ReconstructionError.Correlate"/>),
/// prepared once for many images: the reconstruction error and the top images by decoded filter (003, eq. 3 and Fig. 4 d)
/// correlate the first 1,000 test images with every filter, which one filter at a time took seconds on the dashboard.
/// </summary>
/// <remarks>
/// The filters are laid out across the filters (C×H×W×K, K padded to whole SIMD blocks with zeros), so one pixel times
/// a run of filters is one vector multiply. Each filter's sum is still taken in the one-filter-at-a-time order, channel,
/// row, column, each float product widened to double and added: every value is bit for bit the same as summing one
/// filter alone, so the error and the rankings do not depend on the machine's vector width.
/// </remarks>
public sealed class FilterCorrelation
{
    /// <summary>Vectors of filters summed together in registers: enough to hide the adds' latency, few enough to stay in registers.</summary>
    private const int VectorsPerBlock = 4;

    private static readonly int FiltersPerBlock = Vector<float>.Count * VectorsPerBlock;

    private readonly float[] _acrossFilters;
    private readonly int _padded;
    private readonly int _channels, _height, _width, _outHeight, _outWidth;
    private readonly FilterBank _decoded;
    private readonly ResponseGeometry _geometry;

    /// <summary>
    /// Correlation of C×<paramref name="height"/>×<paramref name="width"/> images (C: the bank's channels) with
    /// <paramref name="decoded"/> at <paramref name="outHeight"/>×<paramref name="outWidth"/> positions placed by <paramref name="geometry"/>.
    /// </summary>
    public FilterCorrelation(FilterBank decoded, int height, int width, ResponseGeometry geometry, int outHeight, int outWidth)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        ArgumentNullException.ThrowIfNull(geometry);
        (_decoded, _geometry, _channels, _height, _width, _outHeight, _outWidth) = (decoded, geometry, decoded.Channels, height, width, outHeight, outWidth);
        _padded = (decoded.Count + FiltersPerBlock - 1) / FiltersPerBlock * FiltersPerBlock;
        var size = decoded.FilterSize;
        _acrossFilters = new float[(long)size * _padded];
        for (var k = 0; k < decoded.Count; k++)
        {
            var filter = decoded.Filter(k);
            for (var i = 0; i < size; i++) _acrossFilters[i * _padded + k] = filter[i];
        }
    }

    /// <summary>
    /// One image (C×H×W, row-major) correlated with every filter: K×outH×outW values,
    /// <c>out[k, y, x] = Σ_c Σ_u Σ_v image[c, CornerH + y·JumpH + u, CornerW + x·JumpW + v] · df[k, c, u, v]</c>, zeros outside the image.
    /// </summary>
    public float[] Correlate(ReadOnlySpan<float> image)
    {
        if (image.Length != _channels * _height * _width)
            throw new ArgumentException($"an image of {_channels}×{_height}×{_width} has {_channels * _height * _width} values, got {image.Length}", nameof(image));
        var (count, fh, fw) = (_decoded.Count, _decoded.Height, _decoded.Width);
        var output = new float[(long)count * _outHeight * _outWidth];
        Span<double> sums = stackalloc double[FiltersPerBlock];
        var lanes = Vector<double>.Count;
        for (var y = 0; y < _outHeight; y++)
        for (var x = 0; x < _outWidth; x++)
        {
            var top = _geometry.CornerH + y * _geometry.JumpH;
            var left = _geometry.CornerW + x * _geometry.JumpW;
            // Only the part of the window inside the image contributes: padding is zeros.
            int u0 = Math.Max(0, -top), u1 = Math.Min(fh, _height - top);
            int v0 = Math.Max(0, -left), v1 = Math.Min(fw, _width - left);
            for (var block = 0; block < _padded; block += FiltersPerBlock)
            {
                Vector<double> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
                for (var c = 0; c < _channels; c++)
                for (var u = u0; u < u1; u++)
                {
                    var imageRow = (c * _height + top + u) * _width + left;
                    var filterRow = (c * fh + u) * fw;
                    for (var v = v0; v < v1; v++)
                    {
                        var pixel = new Vector<float>(image[imageRow + v]);
                        var weights = _acrossFilters.AsSpan((filterRow + v) * _padded + block, FiltersPerBlock);
                        // float × float, then widened and added in double: the scalar sum's own steps, lane by lane.
                        Vector.Widen(pixel * new Vector<float>(weights), out var low, out var high);
                        (s0, s1) = (s0 + low, s1 + high);
                        Vector.Widen(pixel * new Vector<float>(weights[Vector<float>.Count..]), out low, out high);
                        (s2, s3) = (s2 + low, s3 + high);
                        Vector.Widen(pixel * new Vector<float>(weights[(2 * Vector<float>.Count)..]), out low, out high);
                        (s4, s5) = (s4 + low, s5 + high);
                        Vector.Widen(pixel * new Vector<float>(weights[(3 * Vector<float>.Count)..]), out low, out high);
                        (s6, s7) = (s6 + low, s7 + high);
                    }
                }
                s0.CopyTo(sums);
                s1.CopyTo(sums[lanes..]);
                s2.CopyTo(sums[(2 * lanes)..]);
                s3.CopyTo(sums[(3 * lanes)..]);
                s4.CopyTo(sums[(4 * lanes)..]);
                s5.CopyTo(sums[(5 * lanes)..]);
                s6.CopyTo(sums[(6 * lanes)..]);
                s7.CopyTo(sums[(7 * lanes)..]);
                for (var k = block; k < Math.Min(count, block + FiltersPerBlock); k++)
                    output[(k * _outHeight + y) * _outWidth + x] = (float)sums[k - block];
            }
        }
        return output;
    }
}
