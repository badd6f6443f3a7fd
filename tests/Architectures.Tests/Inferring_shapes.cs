namespace Experiments.Architectures.Tests;

public class Inferring_shapes
{
    private static Conv2dLayer Conv(int outChannels, int kernel, int stride = 1, Padding? padding = null, int dilation = 1) =>
        new(outChannels, Pair.Square(kernel), Pair.Square(stride), padding ?? Padding.Valid, Pair.Square(dilation));

    private static Architecture Net(params Layer[] layers) => new("test", layers);

    private static TensorShape OutputOf(Layer layer, TensorShape input) =>
        ShapeInference.Plan(Net(layer, new FlattenLayer()), input).Layers[0].Output;

    private static string Rejection(Architecture architecture, TensorShape input) =>
        Assert.Throws<ArchitectureException>(() => ShapeInference.Plan(architecture, input)).Message;

    [Fact]
    public void Plans_lenet_cifar_layer_by_layer_down_to_ten_class_scores()
    {
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["lenet-cifar"], new TensorShape(3, 32, 32));

        Assert.Equal(
            ["32×28×28", "32×28×28", "32×14×14", "64×10×10", "64×10×10", "64×5×5", "1600", "10"],
            plan.Layers.Select(l => l.Output.ToString()));
        // PyTorch's sum(p.numel()): 3·32·25 + 32 + 32·64·25 + 64 + 1600·10 + 10.
        Assert.Equal(69_706, plan.Parameters);
    }

    [Fact]
    public void Counts_ffnn_100_parameters_as_PyTorch_does()
    {
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["ffnn-100"], new TensorShape(3, 32, 32));

        Assert.Equal(3072 * 100 + 100 + 100 * 10 + 10, plan.Parameters);
    }

    [Theory]
    [InlineData(32, 3, 2, 1, 1, 16)]   // (32 − 3 + 2)/2 + 1, floored
    [InlineData(28, 5, 1, 0, 1, 24)]   // (28 − 5)/1 + 1
    [InlineData(10, 3, 1, 0, 2, 6)]    // dilation 2 spans 5: (10 + 0 − 2·2 − 1)/1 + 1
    [InlineData(7, 3, 3, 0, 1, 2)]     // ⌊4/3⌋ + 1
    public void Applies_the_convolution_output_formula(int n, int kernel, int stride, int padding, int dilation, int expected)
    {
        var output = OutputOf(Conv(4, kernel, stride, Padding.Of(padding), dilation), new TensorShape(1, n, n));

        Assert.Equal(new TensorShape(4, expected, expected), output);
    }

    [Fact]
    public void Keeps_the_size_with_same_padding_even_for_an_even_kernel()
    {
        Assert.Equal(new TensorShape(16, 28, 28), OutputOf(Conv(16, 2, padding: Padding.Same), new TensorShape(1, 28, 28)));
        Assert.Equal(new TensorShape(16, 9, 9), OutputOf(Conv(16, 3, padding: Padding.Same, dilation: 3), new TensorShape(1, 9, 9)));
    }

    [Fact]
    public void Grows_the_size_by_the_dilated_kernel_span_with_full_padding()
    {
        Assert.Equal(new TensorShape(2, 14, 14), OutputOf(Conv(2, 5, padding: Padding.Full), new TensorShape(1, 10, 10)));
        Assert.Equal(new TensorShape(2, 18, 18), OutputOf(Conv(2, 5, padding: Padding.Full, dilation: 2), new TensorShape(1, 10, 10)));
    }

    [Fact]
    public void Handles_rectangular_kernels_strides_and_paddings_per_dimension()
    {
        var conv = new Conv2dLayer(3, new Pair(3, 5), new Pair(1, 2), Padding.Of(new Pair(0, 2)), new Pair(2, 1));

        // height: (10 + 0 − 2·2 − 1)/1 + 1 = 6; width: ⌊(12 + 4 − 4 − 1)/2⌋ + 1 = 6.
        Assert.Equal(new TensorShape(3, 6, 6), OutputOf(conv, new TensorShape(2, 10, 12)));
    }

    [Theory]
    [InlineData(PoolKind.Max, 2, 2, 0, 28, 14)]
    [InlineData(PoolKind.Max, 2, 2, 0, 5, 2)]     // ceil_mode=False drops the last partial window
    [InlineData(PoolKind.Average, 3, 2, 1, 7, 4)]
    [InlineData(PoolKind.Average, 3, 1, 1, 5, 5)]
    public void Applies_the_same_formula_to_pooling_without_dilation(PoolKind kind, int kernel, int stride, int padding, int n, int expected)
    {
        var pool = new PoolLayer(kind, Pair.Square(kernel), Pair.Square(stride), Pair.Square(padding));

        Assert.Equal(new TensorShape(6, expected, expected), OutputOf(pool, new TensorShape(6, n, n)));
    }

    [Fact]
    public void Names_convolution_and_linear_tensors_as_an_nn_Sequential_state_dict()
    {
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["lenet-cifar"], new TensorShape(3, 32, 32));

        Assert.Equal(
            ["0.weight [32,3,5,5]", "0.bias [32]", "3.weight [64,32,5,5]", "3.bias [64]", "7.weight [10,1600]", "7.bias [10]"],
            plan.Tensors.Select(t => $"{t.Name} [{string.Join(',', t.Shape)}]"));
    }

    [Fact]
    public void Gives_batch_norm_two_parameters_and_three_buffers_for_images_and_flat_features()
    {
        var plan = ShapeInference.Plan(
            Net(new BatchNormLayer(), new FlattenLayer(), new BatchNormLayer()), new TensorShape(3, 2, 2));

        Assert.Equal(
            ["0.weight [3] float32", "0.bias [3] float32", "0.running_mean [3] float32 buffer", "0.running_var [3] float32 buffer",
             "0.num_batches_tracked [] int64 buffer",
             "2.weight [12] float32", "2.bias [12] float32", "2.running_mean [12] float32 buffer", "2.running_var [12] float32 buffer",
             "2.num_batches_tracked [] int64 buffer"],
            plan.Tensors.Select(t => $"{t.Name} [{string.Join(',', t.Shape)}] {ModelSummary.DTypeName(t.DType)}{(t.IsBuffer ? " buffer" : "")}"));
        Assert.Equal(3 * 2 + 12 * 2, plan.Parameters);
    }

    [Fact]
    public void Names_residual_block_tensors_as_torchvision_BasicBlock_and_adds_a_projection_only_when_the_shape_changes()
    {
        var plan = ShapeInference.Plan(
            Net(new ResidualBlockLayer(8, 1), new ResidualBlockLayer(16, 2), new GlobalAveragePoolLayer()), new TensorShape(8, 9, 9));

        var names = plan.Tensors.Select(t => t.Name).ToList();
        Assert.Equal("0.conv1.weight", names[0]);
        Assert.DoesNotContain(names, n => n.StartsWith("0.downsample", StringComparison.Ordinal));
        Assert.Contains("1.downsample.0.weight", names);
        Assert.Contains("1.downsample.1.num_batches_tracked", names);
        Assert.Equal([16, 8, 1, 1], plan.Tensors.Single(t => t.Name == "1.downsample.0.weight").Shape);
        Assert.Equal([16, 16, 3, 3], plan.Tensors.Single(t => t.Name == "1.conv2.weight").Shape);
        Assert.Equal(new TensorShape(16, 5, 5), plan.Layers[1].Output);
        Assert.Equal(new TensorShape(16), plan.Output);
    }

    [Fact]
    public void Numbers_every_layer_like_nn_Sequential_even_those_without_tensors()
    {
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["doshi-mnist"], new TensorShape(1, 28, 28));

        Assert.Equal(Enumerable.Range(0, 13), plan.Layers.Select(l => l.Index));
        Assert.Equal(["0", "2", "4", "9", "12"], plan.Tensors.Select(t => t.Name.Split('.')[0]).Distinct());
    }

    [Fact]
    public void Rejects_a_kernel_larger_than_its_input_showing_the_arithmetic()
    {
        var architecture = Net(Conv(8, 3), new ActivationLayer(ActivationKind.Relu), new PoolLayer(PoolKind.Max, Pair.Square(2), Pair.Square(2), Pair.Square(0)),
            new DropoutLayer(0.5), Conv(64, 5), new FlattenLayer());

        Assert.Equal(
            "layer 4 (conv2d 64@5×5): input 3×3 is smaller than the 5×5 kernel: n_out = (3 − 5 + 2·0)/1 + 1 = −1",
            Rejection(architecture, new TensorShape(1, 8, 8)));
    }

    [Fact]
    public void Rejects_lenet_cifar_on_an_input_too_small_for_its_second_pooling()
    {
        Assert.Equal(
            "layer 5 (maxpool 2×2): input 1×1 is smaller than the 2×2 pooling window: n_out = ⌊(1 − 2 + 2·0)/2⌋ + 1 = 0",
            Rejection(ArchitectureCatalog.BuiltIns["lenet-cifar"], new TensorShape(3, 14, 14)));
    }

    [Fact]
    public void Shows_padding_and_dilation_in_the_rejection()
    {
        Assert.Equal(
            "layer 0 (conv2d 2@3×3): input 4×4 with padding 1 is smaller than the 3×3 kernel with dilation 3 (spanning 7×7): n_out = (4 + 2·1 − 3·(3 − 1) − 1)/1 + 1 = 0",
            Rejection(Net(Conv(2, 3, padding: Padding.Of(1), dilation: 3), new FlattenLayer()), new TensorShape(1, 4, 4)));
    }

    [Fact]
    public void Shows_only_the_dimension_that_does_not_fit()
    {
        var conv = new Conv2dLayer(2, new Pair(5, 3), Pair.Square(1), Padding.Valid, Pair.Square(1));

        Assert.Equal(
            "layer 0 (conv2d 2@5×3): input 4×9 is smaller than the 5×3 kernel: height: n_out = (4 − 5 + 2·0)/1 + 1 = 0",
            Rejection(Net(conv, new FlattenLayer()), new TensorShape(1, 4, 9)));
    }

    [Fact]
    public void Rejects_a_linear_layer_on_an_image_and_suggests_a_flatten()
    {
        Assert.Equal(
            "layer 1 (linear 10): needs a flat input but gets 4×26×26; add a flatten layer before it",
            Rejection(Net(Conv(4, 3), new LinearLayer(10)), new TensorShape(1, 28, 28)));
    }

    [Fact]
    public void Rejects_a_convolution_after_the_flatten()
    {
        Assert.Equal(
            "layer 1 (conv2d 4@3×3): needs a channels × height × width input but gets 784 flat features; it must come before the flatten",
            Rejection(Net(new FlattenLayer(), Conv(4, 3)), new TensorShape(1, 28, 28)));
    }

    [Fact]
    public void Rejects_class_scores_that_are_not_flat()
    {
        var matconvnet = ArchitectureCatalog.BuiltIns["lenet-matconvnet"];
        var withoutFlatten = matconvnet with { Layers = matconvnet.Layers.SkipLast(1).ToArray() };

        Assert.Equal(
            "layer 6 (conv2d 10@1×1): the last layer outputs 10×1×1; class scores must be flat: add a flatten layer",
            Rejection(withoutFlatten, new TensorShape(1, 28, 28)));
    }

    [Fact]
    public void Rejects_an_input_that_is_neither_an_image_nor_flat()
    {
        Assert.Equal(
            "input 28×28 has 2 dimensions; give channels × height × width (e.g. 1×28×28) or a flat feature count",
            Rejection(Net(new FlattenLayer()), new TensorShape(28, 28)));
    }

    [Fact]
    public void Rejects_settings_no_engine_accepts_in_architectures_built_in_code()
    {
        Assert.Equal("layer 0 (conv2d 0@3×3): out must be positive, got 0",
            Rejection(Net(Conv(0, 3), new FlattenLayer()), new TensorShape(1, 8, 8)));
        Assert.Equal("layer 0 (softmax): softmax must be the last layer (it is layer 0 of 2); the engine applies it inside the cross-entropy loss",
            Rejection(Net(new SoftmaxLayer(), new FlattenLayer()), new TensorShape(4)));
        Assert.Equal("architecture 'test' has no layers", Rejection(Net(), new TensorShape(4)));
    }

    [Fact]
    public void Plans_against_the_declared_input_when_none_is_given()
    {
        Assert.Equal(new TensorShape(10), ShapeInference.Plan(ArchitectureCatalog.BuiltIns["doshi-mnist"]).Output);
        Assert.Contains("declares no input shape", Assert.Throws<ArchitectureException>(() => ShapeInference.Plan(Net(new FlattenLayer()))).Message);
    }
}
