using Experiments.Analysis.Decoding;
using Xunit;

namespace Experiments.Analysis.Tests.Decoding;

/// <summary>
/// <see cref="FilterDecoding.DecodeAll"/> substitutes every filter of a layer at once, in blocks of filters and output
/// channels spread over the cores, yet each decoded value is bit for bit the definition's sum for that filter alone:
/// for each output channel and tap in order, Σ_j W[j, c, u, v] · maps[j] with j in order (float products added in
/// float, a zero weight skipped), then placed at its offset. So a filter's picture and its reconstruction error do not
/// depend on how many filters were decoded with it, nor on the machine's vector width or core count.
/// </summary>
public sealed class Substituting_many_filters_at_once
{
    [Theory]
    // doshi-mnist's layer 4 in small (10×10 maps, 3×3 taps): blocks of whole filters with a partial last block, an
    // odd number of taps, and runs that are not whole vectors.
    [InlineData(13, 24, 10, 10, 5, 3, 3, 1, 1, 1, 1)]
    // Strides and dilations, and more output channels than one task takes.
    [InlineData(3, 4, 5, 4, 20, 2, 3, 2, 1, 1, 2)]
    // A linear layer below another (1×1 maps, a 5×5 kernel): fewer columns than one vector block.
    [InlineData(10, 7, 1, 1, 3, 5, 5, 1, 1, 1, 1)]
    // Maps larger than one task's columns: one filter per task.
    [InlineData(2, 3, 30, 30, 2, 2, 2, 1, 1, 1, 1)]
    public void Each_filters_value_is_exactly_its_own_sum_taken_alone(
        int filters, int channels, int height, int width, int outChannels, int kernelHeight, int kernelWidth,
        int strideH, int strideW, int dilationH, int dilationW)
    {
        var random = new Random(filters * 31 + channels);
        float Value() => random.Next(8) == 0 ? 0f : (float)(random.NextDouble() * 2 - 1) * (random.Next(4) == 0 ? 1e-3f : 1f);
        var maps = new FilterBank(filters, channels, height, width, [.. Enumerable.Range(0, filters * channels * height * width).Select(_ => Value())]);
        var weights = new float[channels * outChannels * kernelHeight * kernelWidth];
        for (var i = 0; i < weights.Length; i++) weights[i] = Value();
        // The last channel is infinite somewhere but all its weights are zero: skipped, as the definition skips them,
        // it stays out of every sum (0 · ∞ would be NaN).
        Array.Clear(weights, (channels - 1) * outChannels * kernelHeight * kernelWidth, outChannels * kernelHeight * kernelWidth);
        maps.Values[(channels - 1) * height * width] = float.PositiveInfinity;
        var lower = new FilterBank(channels, outChannels, kernelHeight, kernelWidth, weights);

        var decoded = FilterDecoding.DecodeAll(maps, [new Substitution(lower, strideH, strideW, dilationH, dilationW)], Unpooling.Nearest);

        var (outHeight, outWidth) = ((height - 1) * strideH + (kernelHeight - 1) * dilationH + 1, (width - 1) * strideW + (kernelWidth - 1) * dilationW + 1);
        Assert.Equal((filters, outChannels, outHeight, outWidth), (decoded.Count, decoded.Channels, decoded.Height, decoded.Width));
        for (var k = 0; k < filters; k++)
        {
            var alone = new float[outChannels * outHeight * outWidth];
            for (var c = 0; c < outChannels; c++)
            for (var u = 0; u < kernelHeight; u++)
            for (var v = 0; v < kernelWidth; v++)
            for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var sum = 0f;
                for (var j = 0; j < channels; j++)
                {
                    var weight = lower[j, c, u, v];
                    if (weight == 0) continue;
                    float product = weight * maps[k, j, y, x];
                    sum += product;
                }
                alone[(c * outHeight + y * strideH + u * dilationH) * outWidth + x * strideW + v * dilationW] += sum;
            }
            var ours = decoded.Filter(k);
            for (var i = 0; i < alone.Length; i++)
                Assert.True(BitConverter.SingleToInt32Bits(alone[i]) == BitConverter.SingleToInt32Bits(ours[i]),
                    $"filter {k}, value {i}: {ours[i]:R}, alone {alone[i]:R}");
        }
    }
}
