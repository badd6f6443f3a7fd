using Experiments.Datasets;

namespace Experiments.Visualization.Data;

/// <summary>How a multi-channel image becomes the variables of the covariance.</summary>
public enum CovarianceChannels
{
    /// <summary>The mean over channels: one variable per pixel position (H·W), a grey image.</summary>
    Grey,

    /// <summary>Every channel of every pixel (C·H·W variables), channel-major as the tensors are.</summary>
    All,
}

/// <summary>A d×d covariance matrix, row-major, of <see cref="Samples"/> images.</summary>
public sealed record CovarianceMatrix(int Dimension, double[] Values, int Samples, int Height, int Width)
{
    public double this[int row, int column] => Values[row * Dimension + column];
}

/// <summary>
/// The pixel covariance of a sample of a dataset (000, Fig. 6): pixels are the variables, images the observations,
/// as <c>numpy.cov(X, rowvar=False)</c> with its default ddof = 1 (divide by n − 1).
/// </summary>
public static class PixelCovariance
{
    /// <summary>
    /// The covariance of <paramref name="sampleSize"/> images drawn without replacement by a seeded shuffle (all of
    /// them when there are fewer).
    /// </summary>
    public static CovarianceMatrix Of(LabelledImages images, int sampleSize, CovarianceChannels channels = CovarianceChannels.Grey, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleSize, 2);
        if (images.Count < 2) throw new ArgumentException("the covariance needs at least two images");
        var order = Enumerable.Range(0, images.Count).ToArray();
        new Random(seed).Shuffle(order); // Random(seed) is a fixed, documented algorithm: the same sample every run
        var chosen = order.Take(Math.Min(sampleSize, images.Count)).ToArray();

        var shape = images.SampleShape;
        if (shape.Rank != 3) throw new ArgumentException($"images must be C×H×W, not {shape}");
        var (c, h, w) = (shape.Dims[0], shape.Dims[1], shape.Dims[2]);
        var dimension = channels == CovarianceChannels.Grey ? h * w : c * h * w;
        // Variables as rows (one row per pixel, one column per image), so each covariance entry is a dot product of
        // two contiguous rows.
        var variables = new double[dimension * chosen.Length];
        for (var n = 0; n < chosen.Length; n++)
        {
            var sample = images.Sample(chosen[n]);
            for (var v = 0; v < dimension; v++)
            {
                double value;
                if (channels == CovarianceChannels.All) value = sample[v];
                else
                {
                    value = 0;
                    for (var channel = 0; channel < c; channel++) value += sample[channel * h * w + v];
                    value /= c;
                }
                variables[v * chosen.Length + n] = value;
            }
        }
        return new CovarianceMatrix(dimension, Compute(variables, dimension, chosen.Length), chosen.Length, h, w);
    }

    /// <summary>numpy.cov of <paramref name="variables"/> (row-major, one row per variable, one column per observation), ddof = 1.</summary>
    public static double[] Compute(double[] variables, int dimension, int observations)
    {
        if (variables.Length != dimension * observations) throw new ArgumentException("variables must be dimension × observations");
        if (observations < 2) throw new ArgumentException("the covariance needs at least two observations");
        var centred = (double[])variables.Clone();
        for (var v = 0; v < dimension; v++)
        {
            var row = centred.AsSpan(v * observations, observations);
            var mean = 0.0;
            foreach (var x in row) mean += x;
            mean /= observations;
            for (var i = 0; i < row.Length; i++) row[i] -= mean;
        }
        var result = new double[dimension * dimension];
        Parallel.For(0, dimension, i =>
        {
            var rowI = centred.AsSpan(i * observations, observations);
            for (var j = i; j < dimension; j++)
            {
                var value = Dot(rowI, centred.AsSpan(j * observations, observations)) / (observations - 1);
                result[i * dimension + j] = value;
                result[j * dimension + i] = value;
            }
        });
        return result;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var vectors = System.Numerics.Vector<double>.Count;
        var sum = System.Numerics.Vector<double>.Zero;
        var i = 0;
        for (; i + vectors <= a.Length; i += vectors)
            sum += new System.Numerics.Vector<double>(a[i..]) * new System.Numerics.Vector<double>(b[i..]);
        var total = System.Numerics.Vector.Sum(sum);
        for (; i < a.Length; i++) total += a[i] * b[i];
        return total;
    }
}
