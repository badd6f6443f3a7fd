using Experiments.Analysis.Decoding;
using Experiments.Architectures;
using Experiments.Worker.Decoding;
using Xunit;

namespace Experiments.Worker.Tests.Decoding;

/// <summary>How 003's decoding lands on the built-in architectures (DecodingPlanner's remarks).</summary>
public sealed class Mapping_our_architectures
{
    private static ArchitecturePlan Built(string name) => ShapeInference.Plan(ArchitectureCatalog.Resolve(name));

    // Weights by name, shaped as the plan says: enough to plan without an engine.
    private static Func<string, float[]> Weights(ArchitecturePlan plan) =>
        name => new float[plan.Tensors.Single(t => t.Name == name).Elements];

    [Fact]
    public void Lenet_matconvnet_layers_L3_L5_L7_of_003_are_our_layers_2_4_6()
    {
        var plan = Built("lenet-matconvnet");

        Assert.Equal([0, 2, 4, 6], DecodingPlanner.DecodableLayers(plan));
        var l3 = DecodingPlanner.Plan(plan, 2, Weights(plan));
        var l5 = DecodingPlanner.Plan(plan, 4, Weights(plan));
        var l7 = DecodingPlanner.Plan(plan, 6, Weights(plan));

        // 003: L3 holds 50 filters of 5×5 (over 20 channels), L5 500 of 4×4, L7 10 of 1×1.
        Assert.Equal((50, 20, 5, 5), (l3.Filters.Count, l3.Filters.Channels, l3.Filters.Height, l3.Filters.Width));
        Assert.Equal((500, 50, 4, 4), (l5.Filters.Count, l5.Filters.Channels, l5.Filters.Height, l5.Filters.Width));
        Assert.Equal((10, 500, 1, 1), (l7.Filters.Count, l7.Filters.Channels, l7.Filters.Height, l7.Filters.Width));
        // Down from L7: L5's substitution (the ReLU between is passed through), unpool, L3, unpool, L1.
        Assert.Equal(["Substitution 500", "Unpool", "Substitution 50", "Unpool", "Substitution 20"], l7.StepsDown.Select(Describe));
        Assert.Equal(new ResponseGeometry(2, 2, 0, 0), l3.Geometry);
        Assert.Equal((8, 8), (l3.ResponseHeight, l3.ResponseWidth));
        Assert.Equal(new ResponseGeometry(4, 4, 0, 0), l7.Geometry);
        Assert.Equal((1, 1), (l7.ResponseHeight, l7.ResponseWidth));
    }

    [Fact]
    public void The_classifier_of_lenet_cifar_decodes_to_whole_colour_images()
    {
        var plan = Built("lenet-cifar");
        var classifier = plan.Layers.Single(l => l.Layer is LinearLayer).Index;

        var layer = DecodingPlanner.Plan(plan, classifier, Weights(plan));
        var decoded = FilterDecoding.DecodeAll(layer.Filters, layer.StepsDown, Unpooling.Nearest);

        // Its 1600 inputs are the 64×5×5 maps it flattens: 5×5 → unpool 10 → +5−1 = 14 → unpool 28 → +5−1 = 32.
        Assert.Equal((10, 64, 5, 5), (layer.Filters.Count, layer.Filters.Channels, layer.Filters.Height, layer.Filters.Width));
        Assert.Equal((10, 3, 32, 32), (decoded.Count, decoded.Channels, decoded.Height, decoded.Width));
    }

    [Fact]
    public void A_layer_without_filters_is_refused_naming_it_and_the_layers_that_can_be_decoded()
    {
        var plan = Built("lenet-matconvnet");

        var pool = Assert.Throws<DecodingException>(() => DecodingPlanner.Plan(plan, 1, Weights(plan)));
        var missing = Assert.Throws<DecodingException>(() => DecodingPlanner.Plan(plan, 12, Weights(plan)));

        Assert.Contains("layer 1 (maxpool)", pool.Message);
        Assert.Contains("0 (conv2d), 2 (conv2d), 4 (conv2d), 6 (conv2d)", pool.Message);
        Assert.Contains("layer 12 does not exist", missing.Message);
    }

    [Fact]
    public void A_residual_block_below_has_no_substitution_rule_and_is_refused()
    {
        var plan = Built("resnet-small");
        var classifier = plan.Layers.Single(l => l.Layer is LinearLayer).Index;

        var error = Assert.Throws<DecodingException>(() => DecodingPlanner.Plan(plan, classifier, Weights(plan)));

        Assert.Contains("no substitution rule for residual", error.Message);
    }

    private static string Describe(DecodingStep step) => step switch
    {
        Substitution s => $"Substitution {s.Filters.Count}",
        Unpool => "Unpool",
        _ => step.GetType().Name,
    };
}
