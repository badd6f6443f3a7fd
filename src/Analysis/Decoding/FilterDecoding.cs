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
    /// contiguous run, and a substitution becomes a matrix product (every tap of every output channel times the runs,
    /// summed over the layer's filters) followed by placing the results at their offsets. Each value is summed in the
    /// same order whatever the number of filters decoded together, so a filter decodes to the same bits alone or in its
    /// layer (the tests hold us to it). That order is why the product is ours and not libtorch's
    /// <c>conv_transpose2d</c>: a BLAS or oneDNN blocks its sums by the shapes it is given, so a filter alone and the
    /// same filter among 128 need not agree to the bit.
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

    /// <summary>Columns summed together in registers (four vectors): a panel of the layer's filters × these columns stays in the L1 cache.</summary>
    private const int VectorsPerChunk = 4;

    private static readonly int ChunkWidth = Vector<float>.Count * VectorsPerChunk;

    /// <summary>About how many columns (positions of the decoded maps) one task takes, in whole filters.</summary>
    private const int ColumnsPerTask = 512;

    /// <summary>Output channels per task: the task's panel is packed once for all of them.</summary>
    private const int ChannelsPerTask = 16;

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
        var plane = maps.Height * maps.Width;
        var taps = w.Height * w.Width;
        var output = new Batch(w.Channels, maps.Filters, height, width, new float[(long)w.Channels * maps.Filters * height * width]);
        var byTap = WeightsByTap(w);

        // A task is a block of whole filters (so every output value is placed, tap after tap, by one task) and a block
        // of output channels; tasks write apart, so the result does not depend on how they are scheduled.
        var filtersPerTask = Math.Clamp(ColumnsPerTask / plane, 1, maps.Filters);
        var filterBlocks = (maps.Filters + filtersPerTask - 1) / filtersPerTask;
        var channelBlocks = (w.Channels + ChannelsPerTask - 1) / ChannelsPerTask;
        var mostColumns = filtersPerTask * plane;
        Parallel.For(0, filterBlocks * channelBlocks, () => (Panel: new float[(long)w.Count * mostColumns], Products: new float[(long)taps * mostColumns]), (task, _, scratch) =>
        {
            var firstFilter = task / channelBlocks * filtersPerTask;
            var filters = Math.Min(filtersPerTask, maps.Filters - firstFilter);
            var columns = filters * plane;
            PackPanel(maps.Values, w.Count, maps.Filters * plane, firstFilter * plane, columns, scratch.Panel);
            var firstChannel = task % channelBlocks * ChannelsPerTask;
            for (var c = firstChannel; c < Math.Min(firstChannel + ChannelsPerTask, w.Channels); c++)
            {
                TapProducts(scratch.Panel, w.Count, columns, byTap.AsSpan(c * taps * w.Count, taps * w.Count), scratch.Products);
                for (var t = 0; t < taps; t++)
                {
                    var (u, v) = (t / w.Width, t % w.Width);
                    for (var k = 0; k < filters; k++)
                    for (var y = 0; y < maps.Height; y++)
                    {
                        var source = scratch.Products.AsSpan(t * columns + (k * maps.Height + y) * maps.Width, maps.Width);
                        var targetStart = ((c * maps.Filters + firstFilter + k) * height + y * sh + u * dh) * width + v * dw;
                        if (sw == 1) Add(output.Values.AsSpan(targetStart, maps.Width), source);
                        else
                            for (var x = 0; x < maps.Width; x++) output.Values[targetStart + x * sw] += source[x];
                    }
                }
            }
            return scratch;
        }, _ => { });
        return output;
    }

    /// <summary>The layer's weights W[j, c, u, v] as [c][tap][j]: for one output channel and tap, the filters j in the order they are summed.</summary>
    private static float[] WeightsByTap(FilterBank w)
    {
        var taps = w.Height * w.Width;
        var byTap = new float[(long)w.Channels * taps * w.Count];
        for (var j = 0; j < w.Count; j++)
            for (var c = 0; c < w.Channels; c++)
                for (var t = 0; t < taps; t++)
                    byTap[(c * taps + t) * w.Count + j] = w.Values[(j * w.Channels + c) * taps + t];
        return byTap;
    }

    /// <summary>
    /// Columns [start, start + columns) of every channel's run, in chunks of <see cref="ChunkWidth"/> columns, each chunk
    /// channel by channel: the kernel then reads one chunk as one contiguous block.
    /// </summary>
    private static void PackPanel(float[] values, int channels, int run, int start, int columns, float[] panel)
    {
        for (var first = 0; first < columns; first += ChunkWidth)
        {
            var chunk = Math.Min(ChunkWidth, columns - first);
            for (var j = 0; j < channels; j++)
                values.AsSpan(j * run + start + first, chunk).CopyTo(panel.AsSpan(first * channels + j * chunk, chunk));
        }
    }

    /// <summary>
    /// products[t, n] = Σ_j W[j, c, t] · maps[j, n] for every tap t of one output channel, j in order, each product
    /// rounded to float and then added, a weight of zero skipped: the sum the one-filter decoding took, so a filter
    /// decodes to the same bits alone or with its layer.
    /// </summary>
    private static void TapProducts(float[] panel, int channels, int columns, ReadOnlySpan<float> byTap, float[] products)
    {
        var lanes = Vector<float>.Count;
        var taps = byTap.Length / channels;
        // An odd last tap is paired with weights of zero, which the kernel skips, and its sums are dropped.
        var noWeights = new float[channels];
        Span<float> dropped = stackalloc float[ChunkWidth];
        for (var first = 0; first < columns; first += ChunkWidth)
        {
            var chunk = Math.Min(ChunkWidth, columns - first);
            ref var block = ref panel[first * channels];
            if (chunk == ChunkWidth)
            {
                for (var t = 0; t < taps; t += 2)
                {
                    var second = t + 1 < taps;
                    TwoTapsOfOneChunk(ref block, channels, byTap.Slice(t * channels, channels), second ? byTap.Slice((t + 1) * channels, channels) : noWeights,
                        products.AsSpan(t * columns + first, chunk), second ? products.AsSpan((t + 1) * columns + first, chunk) : dropped);
                }
                continue;
            }
            for (var t = 0; t < taps; t++)
            {
                var weights = byTap.Slice(t * channels, channels);
                var target = products.AsSpan(t * columns + first, chunk);
                var i = 0;
                for (; i + lanes <= chunk; i += lanes)
                {
                    var sum = Vector<float>.Zero;
                    for (var j = 0; j < channels; j++)
                        if (weights[j] != 0) sum += new Vector<float>(weights[j]) * Vector.LoadUnsafe(ref block, (nuint)(j * chunk + i));
                    sum.CopyTo(target[i..]);
                }
                for (; i < chunk; i++)
                {
                    var sum = 0f;
                    for (var j = 0; j < channels; j++)
                        if (weights[j] != 0) sum += weights[j] * panel[first * channels + j * chunk + i];
                    target[i] = sum;
                }
            }
        }
    }

    /// <summary>
    /// Two taps over one full chunk: eight vector sums in registers, enough independent adds to keep both of a core's
    /// vector units busy, sharing each load of the panel.
    /// </summary>
    private static void TwoTapsOfOneChunk(ref float block, int channels, ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> firstSums, Span<float> secondSums)
    {
        var lanes = (nuint)Vector<float>.Count;
        Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        for (var j = 0; j < channels; j++)
        {
            var row = (nuint)(j * ChunkWidth);
            var m0 = Vector.LoadUnsafe(ref block, row);
            var m1 = Vector.LoadUnsafe(ref block, row + lanes);
            var m2 = Vector.LoadUnsafe(ref block, row + 2 * lanes);
            var m3 = Vector.LoadUnsafe(ref block, row + 3 * lanes);
            // A weight of zero is skipped, as the one-filter sum skipped it: 0 · ∞ would turn an infinite value into NaN.
            if (first[j] != 0)
            {
                var weight = new Vector<float>(first[j]);
                a0 += weight * m0;
                a1 += weight * m1;
                a2 += weight * m2;
                a3 += weight * m3;
            }
            if (second[j] != 0)
            {
                var weight = new Vector<float>(second[j]);
                b0 += weight * m0;
                b1 += weight * m1;
                b2 += weight * m2;
                b3 += weight * m3;
            }
        }
        var n = (int)lanes;
        a0.CopyTo(firstSums);
        a1.CopyTo(firstSums[n..]);
        a2.CopyTo(firstSums[(2 * n)..]);
        a3.CopyTo(firstSums[(3 * n)..]);
        b0.CopyTo(secondSums);
        b1.CopyTo(secondSums[n..]);
        b2.CopyTo(secondSums[(2 * n)..]);
        b3.CopyTo(secondSums[(3 * n)..]);
    }

    // target += source, a SIMD vector at a time.
    private static void Add(Span<float> target, ReadOnlySpan<float> source)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= source.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(target[i..]) + new Vector<float>(source[i..])).CopyTo(target[i..]);
        for (; i < source.Length; i++) target[i] += source[i];
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
}
