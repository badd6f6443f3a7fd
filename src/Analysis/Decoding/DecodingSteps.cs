namespace Experiments.Analysis.Decoding;

/// <summary>How a pooling layer is undone while decoding (003, Table 1 compares the three).</summary>
public enum Unpooling { Nearest, Bilinear, Bicubic }

/// <summary>
/// One layer below the decoded one, as filter decoding goes through it on its way down to the image. The steps of a
/// decoding are listed top-down: the layer just below the decoded layer first, the network's first layer last.
/// </summary>
public abstract record DecodingStep;

/// <summary>
/// A convolution (003, eq. 2): every pixel of the decoded map in channel j is replaced by filter j of this layer,
/// scaled by the pixel; overlapping substitutions add up. <paramref name="Filters"/> is the layer's OIHW weight.
/// Stride and dilation space the substituted filters and their taps as the forward pass spaced them.
/// </summary>
public sealed record Substitution(FilterBank Filters, int StrideH = 1, int StrideW = 1, int DilationH = 1, int DilationW = 1) : DecodingStep;

/// <summary>A pooling layer (003's <c>unpool</c>): upsampling by the pooling stride.</summary>
public sealed record Unpool(int FactorH, int FactorW) : DecodingStep;

/// <summary>
/// A per-channel scale, such as batch normalisation's γ/√(σ²+ε) in evaluation mode. Like biases, its shift does not
/// take part in a filter's shape, so only the scale is kept.
/// </summary>
public sealed record ChannelScaling(float[] Scale) : DecodingStep;
