using Experiments.Worker.Engine;
using Experiments.Worker.Tests.Support;
using Xunit;

namespace Experiments.Worker.Tests.Engine;

/// <summary>
/// <see cref="Model.Capture"/>: what the feature maps and the decoded filters' evaluation read. It must give exactly
/// what a whole forward pass captures, and run no layer after the last one asked for.
/// </summary>
public class Capturing_a_layers_output
{
    private static Tensor Batch(int images, int side)
    {
        var pixels = new float[images * side * side];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (i * 37 % 101) / 101f - 0.5f;
        return Tensor.Of(pixels, images, 1, side, side);
    }

    [Fact]
    public void Captured_outputs_are_bit_for_bit_those_of_the_whole_forward_pass_in_the_order_asked()
    {
        using var model = Model.Create(TestData.TinyCnn(), seed: 5);
        var batch = Batch(images: 6, side: 12);

        var whole = model.Forward(batch, 2, 0);
        var captured = model.Capture(batch, 2, 0);

        Assert.Equal(2, captured.Count); // the two layers asked for, and no model output after them
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(whole[i].Shape, captured[i].Shape);
            Assert.Equal(whole[i].Data, captured[i].Data);
        }
    }

    [Fact]
    public void Layers_after_the_last_one_asked_for_are_not_run()
    {
        // 16×16 images fit the convolution and pooling of a model built for 12×12, but not its linear layer: a pass
        // that ran the linear layer fails, so a capture of the pooling that succeeds stopped before it.
        using var model = Model.Create(TestData.TinyCnn(), seed: 5);
        var larger = Batch(images: 2, side: 16);

        var pooled = model.Capture(larger, 2);

        Assert.Equal([2, 8, 7, 7], pooled[0].Shape);
        Assert.Throws<NativeEngineException>(() => model.Forward(larger, 2));
    }
}
