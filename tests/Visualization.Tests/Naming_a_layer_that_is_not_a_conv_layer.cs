using Experiments.Store;
using Experiments.Visualization.Snapshots;
using Xunit;

namespace Experiments.Visualization.Tests;

/// <summary>What <c>viz kernels --layer L</c> says when L is not a conv layer: what L is, and which layers are.</summary>
public sealed class Naming_a_layer_that_is_not_a_conv_layer
{
    // lenet-matconvnet's layer list: only conv layers 0, 2, 4 and 6 have weights.
    private static readonly string[] Layers = ["conv2d 20@5×5", "maxpool 2×2", "conv2d 50@5×5", "maxpool 2×2", "conv2d 500@4×4", "relu", "conv2d 10@1×1", "flatten"];

    private static readonly TensorSnapshot[] Snapshot =
    [
        new("0.weight", [20, 1, 5, 5], "float32", []), new("0.bias", [20], "float32", []),
        new("2.weight", [50, 20, 5, 5], "float32", []), new("2.bias", [50], "float32", []),
        new("4.weight", [500, 50, 4, 4], "float32", []), new("4.bias", [500], "float32", []),
        new("6.weight", [10, 500, 1, 1], "float32", []), new("6.bias", [10], "float32", []),
    ];

    private static string Refusal(string layer) =>
        Assert.Throws<ArgumentException>(() => LayerNames.ResolveWeight(layer, Snapshot, shape => shape.Length == 4, "conv", Layers)).Message;

    [Fact]
    public void A_pooling_layer_is_named_as_what_it_is_beside_the_conv_layers()
    {
        Assert.Equal("layer 1 is a maxpool 2×2 layer, not a conv layer; the conv layers are 0 (20×1×5×5), 2 (50×20×5×5), 4 (500×50×4×4), 6 (10×500×1×1)",
            Refusal("1"));
        Assert.StartsWith("layer 5 is a relu layer, not a conv layer;", Refusal("5.weight"));
    }

    [Fact]
    public void A_layer_past_the_end_says_which_layers_the_model_has()
    {
        Assert.StartsWith("there is no layer 9: the model has layers 0–7; the conv layers are 0 (20×1×5×5)", Refusal("9"));
        Assert.StartsWith("there is no layer 'conv1'; the conv layers are", Refusal("conv1"));
    }

    [Fact]
    public void A_conv_layer_resolves_to_its_weight_tensor()
    {
        Assert.Equal("4.weight", LayerNames.ResolveWeight("4", Snapshot, shape => shape.Length == 4, "conv", Layers));
    }
}
