using Experiments.Analysis.Decoding;
using Experiments.Architectures;
using Experiments.Worker.Decoding;
using Experiments.Worker.Engine;
using Xunit;

namespace Experiments.Worker.Tests.Decoding;

/// <summary>
/// Where decoding must be exact. Without biases and non-linearities, and with average pooling, a network is one big
/// correlation: the substitution of each layer's filters into the next is the composed kernel, and nearest unpooling
/// is average pooling up to its 1/4 per pooling. So the image correlated with a decoded filter must equal the
/// engine's own response (libtorch's convolutions are the oracle), geometry (padding, strides, flatten) included.
/// </summary>
public sealed class Decoding_agrees_with_the_engine
{
    private static readonly TensorShape Input = new(2, 12, 12);

    // conv 3@3×3 padding 1 → 3×12×12; avg pool 2 → 3×6×6; conv 4@3×3 stride 2 → 4×2×2; flatten; linear 5.
    private static ArchitecturePlan LinearNetwork() => ShapeInference.Plan(new Architecture("linear-net",
    [
        new Conv2dLayer(3, Pair.Square(3), Pair.Square(1), Padding.Of(1), Pair.Square(1), Bias: false),
        new PoolLayer(PoolKind.Average, Pair.Square(2), Pair.Square(2), Pair.Square(0)),
        new Conv2dLayer(4, Pair.Square(3), Pair.Square(2), Padding.Valid, Pair.Square(1), Bias: false),
        new FlattenLayer(),
        new LinearLayer(5, Bias: false),
    ]), Input);

    [Theory]
    [InlineData(0, 1.0)]           // the first layer: its decoded filters are its filters
    [InlineData(2, 0.25)]          // one average pooling below
    [InlineData(4, 0.25)]          // the classifier, through flatten
    public void The_image_correlated_with_the_decoded_filters_is_the_layers_response(int layer, double poolingScale)
    {
        using var model = Model.Create(LinearNetwork(), seed: 3);
        var random = new Random(layer + 17);
        var images = Enumerable.Range(0, 3 * (int)Input.Elements).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

        var decoded = LayerDecoder.Decode(model, layer, Unpooling.Nearest);
        var response = model.Forward(Tensor.Of(images, 3, 2, 12, 12), layer)[0];

        var plan = decoded.Plan;
        var perImage = (int)(response.Elements / 3);
        for (var i = 0; i < 3; i++)
        {
            var reconstruction = ReconstructionError.Correlate(images.AsSpan(i * 288, 288), 2, 12, 12, decoded.Filters,
                plan.Geometry, plan.ResponseHeight, plan.ResponseWidth);
            Assert.Equal(perImage, reconstruction.Length);
            for (var j = 0; j < perImage; j++)
                Assert.Equal(response.Data[i * perImage + j], reconstruction[j] * poolingScale, 4);
            Assert.Equal(0.0, ReconstructionError.OfImage(response.Data.AsSpan(i * perImage, perImage), reconstruction), 9);
        }
    }

    [Fact]
    public void The_geometry_follows_padding_pooling_and_strides()
    {
        using var model = Model.Create(LinearNetwork(), seed: 3);

        var plan = LayerDecoder.Plan(model, 4);

        // Jump 1 · 2 (pool) · 2 (conv stride) = 4; the corner moves by the first layer's padding of 1.
        Assert.Equal(new ResponseGeometry(4, 4, -1, -1), plan.Geometry);
        Assert.Equal((5, 4, 2, 2), (plan.Filters.Count, plan.Filters.Channels, plan.Filters.Height, plan.Filters.Width));
        var decoded = LayerDecoder.Decode(model, 4, Unpooling.Bilinear);
        // 2×2 → substitute 3×3 at stride 2: 5×5 → unpool 10×10 → substitute 3×3: 12×12.
        Assert.Equal((5, 2, 12, 12), (decoded.Filters.Count, decoded.Filters.Channels, decoded.Filters.Height, decoded.Filters.Width));
    }
}
