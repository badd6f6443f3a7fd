namespace Experiments.Analysis.Decoding;

/// <summary>
/// Where, in the image, the window of a layer's response unit (y, x) begins: row <c>CornerH + y·JumpH</c>, column
/// <c>CornerW + x·JumpW</c>. The jump is the product of the strides below the unit; a negative corner comes from
/// padding, whose pixels are zeros.
/// </summary>
public sealed record ResponseGeometry(int JumpH, int JumpW, int CornerH, int CornerW)
{
    public static readonly ResponseGeometry Identity = new(1, 1, 0, 0);
}

/// <summary>Mean and standard deviation over images, as 003's Table 1 gives them ("0.012 ± 0.005").</summary>
public sealed record ErrorSummary(double Mean, double StandardDeviation, int Images)
{
    public static ErrorSummary Of(IReadOnlyCollection<double> perImage)
    {
        ArgumentNullException.ThrowIfNull(perImage);
        if (perImage.Count == 0) return new ErrorSummary(double.NaN, double.NaN, 0);
        var mean = perImage.Average();
        var variance = perImage.Sum(e => (e - mean) * (e - mean)) / perImage.Count;
        return new ErrorSummary(mean, Math.Sqrt(variance), perImage.Count);
    }

    public override string ToString() => $"{Mean:0.0000} ± {StandardDeviation:0.0000} ({Images} images)";
}

/// <summary>
/// The reconstruction error of 003, eq. 3 and Table 1: <c>Mean(‖CNN(I, l, k) − (I ⋆ df_k^l)‖²)</c>, the layer's
/// response against the image correlated with the decoded filters, "after a single contrast range normalization for
/// each image".
/// </summary>
/// <remarks>
/// We read that normalisation as one min–max rescaling to [0, 1] of each side's whole response to the image (every
/// filter and position of the layer together): a single one per image, and the only reading that works at L5 and L7
/// of 003's LeNet, where each filter answers an image with one number. It removes the scale and offset that biases
/// and unscaled unpooling leave, so the error measures shape alone. The error is then the mean of the squared
/// differences over those values, and is averaged over images.
/// </remarks>
public static class ReconstructionError
{
    /// <summary>
    /// The image (C×H×W) correlated with each decoded filter at the response's positions: K×outH×outW values,
    /// <c>out[k, y, x] = Σ_c Σ_u Σ_v image[c, CornerH + y·JumpH + u, CornerW + x·JumpW + v] · df[k, c, u, v]</c>, with zeros
    /// outside the image. For many images, prepare a <see cref="FilterCorrelation"/> once instead.
    /// </summary>
    public static float[] Correlate(ReadOnlySpan<float> image, int channels, int height, int width, FilterBank decoded,
        ResponseGeometry geometry, int outHeight, int outWidth)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        ArgumentNullException.ThrowIfNull(geometry);
        if (image.Length != channels * height * width)
            throw new ArgumentException($"an image of {channels}×{height}×{width} has {channels * height * width} values, got {image.Length}", nameof(image));
        if (decoded.Channels != channels)
            throw new ArgumentException($"decoded filters have {decoded.Channels} channels, the image {channels}");

        return new FilterCorrelation(decoded, height, width, geometry, outHeight, outWidth).Correlate(image);
    }

    /// <summary>Min–max rescaling to [0, 1]; a constant response (no contrast to normalise) becomes all zeros.</summary>
    public static double[] NormaliseContrast(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        var (min, range) = ContrastRange(values);
        if (!(range > 0)) return result;
        for (var i = 0; i < values.Length; i++) result[i] = (values[i] - min) / range;
        return result;
    }

    /// <summary>The smallest value and the range <see cref="NormaliseContrast"/> rescales by.</summary>
    private static (double Min, double Range) ContrastRange(ReadOnlySpan<float> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var value in values)
        {
            min = Math.Min(min, value);
            max = Math.Max(max, value);
        }
        return (min, max - min);
    }

    /// <summary>The error of one image: the mean squared difference of the two responses after contrast normalisation.</summary>
    public static double OfImage(ReadOnlySpan<float> networkResponse, ReadOnlySpan<float> reconstruction)
    {
        if (networkResponse.Length != reconstruction.Length)
            throw new ArgumentException($"the network's response has {networkResponse.Length} values but the reconstruction {reconstruction.Length}");
        // NormaliseContrast's values, computed in place: two arrays per image were most of the evaluation's allocations
        // (a layer's response to one image is 11,520 values at LeNet's first layer).
        var (minA, rangeA) = ContrastRange(networkResponse);
        var (minB, rangeB) = ContrastRange(reconstruction);
        var sum = 0.0;
        for (var i = 0; i < networkResponse.Length; i++)
        {
            var a = rangeA > 0 ? (networkResponse[i] - minA) / rangeA : 0.0;
            var b = rangeB > 0 ? (reconstruction[i] - minB) / rangeB : 0.0;
            sum += (a - b) * (a - b);
        }
        return networkResponse.Length == 0 ? 0 : sum / networkResponse.Length;
    }
}
