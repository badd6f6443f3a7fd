namespace Experiments.Architectures.Tests;

public class Reading_an_architecture_file
{
    private static Architecture Parse(string text, string source = "net.yaml") => ArchitectureReader.Parse(text, source);

    [Fact]
    public void Reads_every_layer_type_in_its_mapping_form()
    {
        var architecture = Parse("""
            name: every-layer
            input: [3, 32, 32]
            description: one of each
            layers:
              - {type: conv2d, out: 8, kernel: [3, 5], stride: [1, 2], padding: [1, 2], dilation: 2, bias: false}
              - {type: batchnorm}
              - {type: relu}
              - {type: maxpool, kernel: 2, stride: 1, padding: 1}
              - {type: avgpool, kernel: [3, 2], stride: [2, 1], padding: [1, 0]}
              - {type: residual, out: 16, stride: 2}
              - {type: tanh}
              - {type: dropout, p: 0.25}
              - {type: global_avgpool}
              - {type: sigmoid}
              - {type: flatten}
              - {type: linear, out: 10, bias: false}
              - {type: softmax}
            """);

        Assert.Equal("every-layer", architecture.Name);
        Assert.Equal(new TensorShape(3, 32, 32), architecture.Input);
        Assert.Equal("one of each", architecture.Description);
        Assert.Equal<Layer>(
        [
            new Conv2dLayer(8, new Pair(3, 5), new Pair(1, 2), Padding.Of(new Pair(1, 2)), Pair.Square(2), Bias: false),
            new BatchNormLayer(),
            new ActivationLayer(ActivationKind.Relu),
            new PoolLayer(PoolKind.Max, Pair.Square(2), Pair.Square(1), Pair.Square(1)),
            new PoolLayer(PoolKind.Average, new Pair(3, 2), new Pair(2, 1), new Pair(1, 0)),
            new ResidualBlockLayer(16, 2),
            new ActivationLayer(ActivationKind.Tanh),
            new DropoutLayer(0.25),
            new GlobalAveragePoolLayer(),
            new ActivationLayer(ActivationKind.Sigmoid),
            new FlattenLayer(),
            new LinearLayer(10, Bias: false),
            new SoftmaxLayer(),
        ], architecture.Layers);
    }

    [Fact]
    public void Accepts_a_bare_type_name_for_layers_whose_keys_all_have_defaults()
    {
        var architecture = Parse("""
            layers: [relu, tanh, sigmoid, batchnorm, global_avgpool, dropout, flatten, softmax]
            """);

        Assert.Equal<Layer>(
        [
            new ActivationLayer(ActivationKind.Relu), new ActivationLayer(ActivationKind.Tanh),
            new ActivationLayer(ActivationKind.Sigmoid), new BatchNormLayer(), new GlobalAveragePoolLayer(),
            new DropoutLayer(0.5), new FlattenLayer(), new SoftmaxLayer(),
        ], architecture.Layers);
    }

    [Fact]
    public void Fills_in_PyTorch_defaults_for_omitted_keys()
    {
        var architecture = Parse("""
            layers:
              - {type: conv2d, out: 4, kernel: 5}
              - {type: maxpool, kernel: 3}
              - {type: avgpool, kernel: [2, 4]}
              - {type: residual, out: 4}
              - {type: linear, out: 2}
            """);

        Assert.Equal<Layer>(
        [
            new Conv2dLayer(4, Pair.Square(5), Pair.Square(1), Padding.Valid, Pair.Square(1), Bias: true),
            new PoolLayer(PoolKind.Max, Pair.Square(3), Pair.Square(3), Pair.Square(0)),
            new PoolLayer(PoolKind.Average, new Pair(2, 4), new Pair(2, 4), Pair.Square(0)),
            new ResidualBlockLayer(4, 1),
            new LinearLayer(2, Bias: true),
        ], architecture.Layers);
    }

    [Theory]
    [InlineData("valid", PaddingMode.Valid, 0, 0)]
    [InlineData("same", PaddingMode.Same, 0, 0)]
    [InlineData("full", PaddingMode.Full, 0, 0)]
    [InlineData("'same'", PaddingMode.Same, 0, 0)]
    [InlineData("2", PaddingMode.Explicit, 2, 2)]
    [InlineData("[1, 3]", PaddingMode.Explicit, 1, 3)]
    public void Reads_convolution_padding_as_a_word_an_integer_or_a_pair(string written, PaddingMode mode, int h, int w)
    {
        var architecture = Parse($"layers: [{{type: conv2d, out: 1, kernel: 3, padding: {written}}}]");

        Assert.Equal(new Padding(mode, new Pair(h, w)), ((Conv2dLayer)architecture.Layers[0]).Padding);
    }

    [Theory]
    [InlineData("[1, 28, 28]", new[] { 1, 28, 28 })]
    [InlineData("1x28x28", new[] { 1, 28, 28 })]
    [InlineData("\"3×32×32\"", new[] { 3, 32, 32 })]
    [InlineData("[784]", new[] { 784 })]
    [InlineData("784", new[] { 784 })]
    public void Reads_the_input_shape_as_a_list_or_a_string(string written, int[] dims)
    {
        var architecture = Parse($"input: {written}\nlayers: [flatten, {{type: linear, out: 10}}]");

        Assert.Equal(new TensorShape(dims), architecture.Input);
    }

    [Fact]
    public void Reads_JSON_through_the_same_path_as_YAML()
    {
        var architecture = Parse("""
            {"name": "tiny", "input": [1, 8, 8], "layers": [
              {"type": "conv2d", "out": 2, "kernel": [3, 3], "padding": "same"}, "relu", {"type": "flatten"},
              {"type": "linear", "out": 10}]}
            """, "tiny.json");

        Assert.Equal(
            new Architecture("tiny",
            [
                new Conv2dLayer(2, Pair.Square(3), Pair.Square(1), Padding.Same, Pair.Square(1)),
                new ActivationLayer(ActivationKind.Relu), new FlattenLayer(), new LinearLayer(10),
            ], new TensorShape(1, 8, 8)),
            architecture);
    }

    [Fact]
    public void Names_the_architecture_after_the_file_when_the_file_does_not()
    {
        var directory = Directory.CreateTempSubdirectory();
        try
        {
            var path = Path.Combine(directory.FullName, "my-net.yml");
            File.WriteAllText(path, "layers: [flatten, {type: linear, out: 10}]");

            Assert.Equal("my-net", ArchitectureReader.ReadFile(path).Name);
            Assert.Equal("my-net", Parse("layers: [flatten]", "my-net.yaml").Name);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Reads_an_architecture_embedded_in_a_larger_document_with_paths_relative_to_it()
    {
        var problems = new List<SpecProblem>();
        var root = (YamlDotNet.RepresentationModel.YamlMappingNode)YamlSpec.Load("""
            architectures:
              - {name: good, layers: [flatten, {type: linear, out: 10}]}
              - {name: bad, layers: [{type: linear, out: 0}]}
            """, problems)!;
        var list = (YamlDotNet.RepresentationModel.YamlSequenceNode)YamlSpec.Get(root, "architectures")!;

        var good = ArchitectureReader.Read(list[0], "architectures[0]", "unused", problems);
        var bad = ArchitectureReader.Read(list[1], "architectures[1]", "unused", problems);

        Assert.Equal("good", good?.Name);
        Assert.Null(bad);
        Assert.Equal([new SpecProblem("architectures[1].layers[0].out", "must be positive, got 0")], problems);
    }
}
