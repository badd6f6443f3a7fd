using System.Numerics;

namespace Experiments.Analysis.Decoding;

/// <summary>
/// Filter decoding by substitution (seed 003, section 3 and its pseudo-code): brings a filter of layer L down to
/// image space by replacing, layer by layer, each value of the decoded map with the filter of the layer below that
/// produced that channel (scaled by the value, overlaps added), and by upsampling across pooling layers.
/// </summary>
/// <remarks>
/// <para>Decoding is linear in the filter and ignores biases and non-linearities (ReLU, the max of max pooling), as
/// 003 does; 003 leaves those effects to future work. In a network of convolutions alone without biases the
/// decoded filter is exact: correlating the image with it gives the layer's response (the composition of two
/// correlations is a correlation with their substitution), which the tests check against the engine.</para>
/// <para>Sizes follow 003: a substitution turns h×w into (h−1)·s + (k−1)·d + 1 per axis (h + k − 1 for stride and
/// dilation 1: 003's "input plus filter"), and unpooling multiplies by the pooling stride, so on 003's LeNet the
/// filters of L3 decode to 14×14 and those of L5 and L7 to 28×28.</para>
/// <para>Unpooling is not scaled: 003 describes it as "a simple image upsampling". Scale is irrelevant to the
/// shapes shown and to the reconstruction error, which contrast-normalises both sides.</para>
/// </remarks>
public static class FilterDecoding
{
    /// <summary>Decodes filter <paramref name="filter"/> of <paramref name="layerFilters"/> through <paramref name="stepsDown"/>.</summary>
    public static FeatureMaps Decode(FilterBank layerFilters, int filter, IReadOnlyList<DecodingStep> stepsDown, Unpooling unpooling)
    {
        ArgumentNullException.ThrowIfNull(layerFilters);
        var single = new FilterBank(1, layerFilters.Channels, layerFilters.Height, layerFilters.Width, layerFilters.Filter(filter).ToArray());
        var decoded = DecodeAll(single, stepsDown, unpooling);
        return new FeatureMaps(decoded.Channels, decoded.Height, decoded.Width, decoded.Values);
    }

    /// <summary>
    /// Every filter of <paramref name="layerFilters"/> decoded, as a bank of decoded filters (one per filter, one channel
    /// per input channel).
    /// </summary>
    /// <remarks>
    /// All filters go down together, held channel-major (channel, filter, y, x): then one channel of every filter is one
    /// contiguous run, and a substitution becomes long multiply-adds of whole runs (a matrix product) followed by
    /// placing the results at their offsets. Each value is summed in the same order whatever the number of filters
    /// decoded together, so a filter decodes to the same bits alone or in its layer.
    /// </remarks>
    public static FilterBank DecodeAll(FilterBank layerFilters, IReadOnlyList<DecodingStep> stepsDown, Unpooling unpooling)
    {
        ArgumentNullException.ThrowIfNull(layerFilters);
        ArgumentNullException.ThrowIfNull(stepsDown);
        var batch = Batch.FromBank(layerFilters);
        foreach (var step in stepsDown)
        {
            batch = step switch
            {
                Substitution s => Substitute(batch, s),
                Unpool u => batch.With(Upsampling.Upsample(batch.AsMaps(), u.FactorH, u.FactorW, unpooling)),
                ChannelScaling c => Scale(batch, c.Scale),
                _ => throw new NotSupportedException($"no decoding rule for {step.GetType().Name}"),
            };
        }
        return batch.ToBank();
    }

    /// <summary>
    /// 003's <c>subst</c> (eq. 2) through one convolution: <c>out[c, y·s + u·d, x·s + v·d] += maps[j, y, x] · W[j, c, u, v]</c>,
    /// summed over the layer's filters j. This is the transposed convolution of the maps with the layer's weights.
    /// </summary>
    public static FeatureMaps Substitute(FeatureMaps maps, Substitution step)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var result = Substitute(new Batch(maps.Channels, 1, maps.Height, maps.Width, maps.Values), step);
        return new FeatureMaps(result.Channels, result.Height, result.Width, result.Values);
    }

    private static Batch Substitute(Batch maps, Substitution step)
    {
        ArgumentNullException.ThrowIfNull(step);
        var w = step.Filters;
        if (w.Count != maps.Channels)
            throw new ArgumentException($"the decoded maps have {maps.Channels} channels but the layer below has {w.Count} filters ({w})");
        int sh = step.StrideH, sw = step.StrideW, dh = step.DilationH, dw = step.DilationW;
        if (sh < 1 || sw < 1 || dh < 1 || dw < 1) throw new ArgumentException("strides and dilations must be at least 1");

        var height = (maps.Height - 1) * sh + (w.Height - 1) * dh + 1;
        var width = (maps.Width - 1) * sw + (w.Width - 1) * dw + 1;
        var run = maps.Filters * maps.Height * maps.Width;
        var output = new Batch(w.Channels, maps.Filters, height, width, new float[(long)w.Channels * maps.Filters * height * width]);

        // Output channels are independent: each is computed, in a fixed order, by one thread.
        Parallel.For(0, w.Channels, () => new float[run], (c, _, product) =>
        {
            for (var u = 0; u < w.Height; u++)
            for (var v = 0; v < w.Width; v++)
            {
                // product = Σ_j W[j, c, u, v] · maps[j]: tap (u, v)'s contribution before it is placed.
                Array.Clear(product);
                var any = false;
                for (var j = 0; j < w.Count; j++)
                {
                    var weight = w[j, c, u, v];
                    if (weight == 0) continue;
                    AddScaled(product, maps.Values.AsSpan(j * run, run), weight);
                    any = true;
                }
                if (!any) continue;
                for (var k = 0; k < maps.Filters; k++)
                for (var y = 0; y < maps.Height; y++)
                {
                    var source = product.AsSpan((k * maps.Height + y) * maps.Width, maps.Width);
                    var targetStart = ((c * maps.Filters + k) * height + y * sh + u * dh) * width + v * dw;
                    if (sw == 1)
                        AddScaled(output.Values.AsSpan(targetStart, maps.Width), source, 1f);
                    else
                        for (var x = 0; x < maps.Width; x++) output.Values[targetStart + x * sw] += source[x];
                }
            }
            return product;
        }, _ => { });
        return output;
    }

    private static Batch Scale(Batch maps, float[] scale)
    {
        if (scale.Length != maps.Channels)
            throw new ArgumentException($"a channel scaling of {scale.Length} channels cannot apply to maps of {maps.Channels} channels");
        var values = (float[])maps.Values.Clone();
        var run = maps.Filters * maps.Height * maps.Width;
        for (var c = 0; c < maps.Channels; c++)
            foreach (ref var value in values.AsSpan(c * run, run))
                value *= scale[c];
        return maps with { Values = values };
    }

    /// <summary>The decoded maps of several filters at once, channel-major: [channel][filter][y][x].</summary>
    private sealed record Batch(int Channels, int Filters, int Height, int Width, float[] Values)
    {
        private int Plane => Height * Width;

        public static Batch FromBank(FilterBank bank)
        {
            var plane = bank.Height * bank.Width;
            var values = new float[bank.Values.LongLength];
            for (var k = 0; k < bank.Count; k++)
                for (var c = 0; c < bank.Channels; c++)
                    bank.Values.AsSpan((k * bank.Channels + c) * plane, plane).CopyTo(values.AsSpan((c * bank.Count + k) * plane, plane));
            return new Batch(bank.Channels, bank.Count, bank.Height, bank.Width, values);
        }

        public FilterBank ToBank()
        {
            var values = new float[Values.LongLength];
            for (var k = 0; k < Filters; k++)
                for (var c = 0; c < Channels; c++)
                    Values.AsSpan((c * Filters + k) * Plane, Plane).CopyTo(values.AsSpan((k * Channels + c) * Plane, Plane));
            return new FilterBank(Filters, Channels, Height, Width, values);
        }

        // Upsampling treats every (channel, filter) plane alike, so the batch is handed over as one stack of planes.
        public FeatureMaps AsMaps() => new(Channels * Filters, Height, Width, Values);

        public Batch With(FeatureMaps upsampled) => new(Channels, Filters, upsampled.Height, upsampled.Width, upsampled.Values);
    }

    // target += scale · source, a SIMD vector at a time: the decoding of a whole layer is about a billion of these.
    private static void AddScaled(Span<float> target, ReadOnlySpan<float> source, float scale)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && source.Length >= Vector<float>.Count)
        {
            var factor = new Vector<float>(scale);
            for (; i <= source.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var sum = new Vector<float>(target[i..]) + factor * new Vector<float>(source[i..]);
                sum.CopyTo(target[i..]);
            }
        }
        for (; i < source.Length; i++) target[i] += scale * source[i];
    }
}
