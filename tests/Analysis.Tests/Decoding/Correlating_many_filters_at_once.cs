using Experiments.Analysis.Decoding;
using Xunit;

namespace Experiments.Analysis.Tests.Decoding;

/// <summary>
/// <see cref="FilterCorrelation"/> sums a run of filters in one vector, yet each filter's value is bit for bit the
/// definition's sum taken alone (channel, row, column; float products added in double), so the reconstruction error and
/// the top images by decoded filter are the same numbers they were when each filter was correlated on its own.
/// </summary>
public sealed class Correlating_many_filters_at_once
{
    [Theory]
    // LeNet's decodable layers on 1×28×28 (20 filters 5×5 at 24×24; 50 at 14×14, jump 2; 500 at 28×28 once), an odd
    // count that leaves a partial block, colour channels, and padding (a negative corner) with jumps.
    [InlineData(20, 1, 28, 28, 5, 5, 1, 0, 24, 24)]
    [InlineData(50, 1, 28, 28, 14, 14, 2, 0, 8, 8)]
    [InlineData(500, 1, 28, 28, 28, 28, 1, 0, 1, 1)]
    [InlineData(13, 3, 11, 9, 4, 3, 2, -2, 7, 6)]
    public void Each_filters_value_is_exactly_its_own_sum_taken_alone(
        int filters, int channels, int height, int width, int filterHeight, int filterWidth, int jump, int corner, int outHeight, int outWidth)
    {
        var random = new Random(filters * 31 + channels);
        float Value() => (float)(random.NextDouble() * 2 - 1) * (random.Next(4) == 0 ? 1e-3f : 1f);
        var image = Enumerable.Range(0, channels * height * width).Select(_ => Value()).ToArray();
        var bank = new FilterBank(filters, channels, filterHeight, filterWidth, [.. Enumerable.Range(0, filters * channels * filterHeight * filterWidth).Select(_ => Value())]);
        var geometry = new ResponseGeometry(jump, jump, corner, corner);

        var correlated = new FilterCorrelation(bank, height, width, geometry, outHeight, outWidth).Correlate(image);

        Assert.Equal(filters * outHeight * outWidth, correlated.Length);
        for (var k = 0; k < filters; k++)
        for (var y = 0; y < outHeight; y++)
        for (var x = 0; x < outWidth; x++)
        {
            var sum = 0.0;
            for (var c = 0; c < channels; c++)
            for (var u = 0; u < filterHeight; u++)
            for (var v = 0; v < filterWidth; v++)
            {
                int row = corner + y * jump + u, column = corner + x * jump + v;
                if (row < 0 || row >= height || column < 0 || column >= width) continue; // padding: zeros
                float product = image[(c * height + row) * width + column] * bank[k, c, u, v];
                sum += product;
            }
            var at = (k * outHeight + y) * outWidth + x;
            Assert.True(BitConverter.SingleToInt32Bits((float)sum) == BitConverter.SingleToInt32Bits(correlated[at]),
                $"filter {k} at ({y}, {x}): {correlated[at]:R}, alone {(float)sum:R}");
        }
    }
}
