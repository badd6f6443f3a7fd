namespace Experiments.Architectures.Tests;

public class Rejecting_a_bad_architecture_file
{
    private static SpecException Reject(string text) =>
        Assert.Throws<SpecException>(() => ArchitectureReader.Parse(text, "bad.yaml"));

    /// <summary>Each bad file, the one path it is reported at, and a fragment of the message.</summary>
    public static TheoryData<string, string, string> BadFiles => new()
    {
        { "layers: [{type: conv2d, out: 8, kernel: 3, strde: 2}]", "layers[0].strde", "unknown key for conv2d; did you mean 'stride'?" },
        { "layers: [{type: relu, size: 1}]", "layers[0].size", "unknown key for relu; allowed keys are type" },
        { "layers: [{type: conv, out: 8, kernel: 3}]", "layers[0].type", "unknown layer type 'conv'; did you mean 'conv2d'? known types: conv2d, maxpool, avgpool, relu, tanh, sigmoid, dropout, batchnorm, flatten, linear, residual, global_avgpool, softmax" },
        { "layers: [lstm]", "layers[0]", "unknown layer type 'lstm'; known types: conv2d" },
        { "layers: [{out: 3}]", "layers[0].type", "missing; every layer needs a type" },
        { "layers: [{type: conv2d, out: 8}]", "layers[0].kernel", "missing; conv2d needs it" },
        { "layers: [flatten, linear]", "layers[1]", "linear needs out; write {type: linear, out: …}" },
        { "layers: [{type: linear, out: 0}]", "layers[0].out", "must be positive, got 0" },
        { "layers: [{type: conv2d, out: 8, kernel: -3}]", "layers[0].kernel", "must be positive, got -3" },
        { "layers: [{type: conv2d, out: 8, kernel: [3, 0]}]", "layers[0].kernel", "must be positive, got [3, 0]" },
        { "layers: [{type: conv2d, out: 8, kernel: 3, dilation: 0}]", "layers[0].dilation", "must be positive, got 0" },
        { "layers: [{type: conv2d, out: 8, kernel: 3, padding: -1}]", "layers[0].padding", "must not be negative, got -1" },
        { "layers: [{type: conv2d, out: 8, kernel: abc}]", "layers[0].kernel", "expected an integer or [h, w], got abc" },
        { "layers: [{type: conv2d, out: 8, kernel: [3, 3, 3]}]", "layers[0].kernel", "expected an integer or [h, w], got a list of 3 items" },
        { "layers: [{type: conv2d, out: 2.5, kernel: 3}]", "layers[0].out", "expected an integer, got 2.5" },
        { """{"layers": [{"type": "linear", "out": "10"}]}""", "layers[0].out", "expected an integer, got the string '10'" },
        { "layers: [{type: linear, out: 10, bias: yes}]", "layers[0].bias", "expected true or false, got yes" },
        { "layers: [{type: dropout, p: 1}]", "layers[0].p", "must be in [0, 1), got 1" },
        { "layers: [{type: dropout, p: -0.1}]", "layers[0].p", "must be in [0, 1), got -0.1" },
        { "layers: [{type: dropout, p: lots}]", "layers[0].p", "expected a number, got lots" },
        { "layers: [softmax, flatten]", "layers[0]", "softmax must be the last layer (it is layer 0 of 2)" },
        { "layers: [{type: conv2d, out: 8, kernel: 3, stride: 2, padding: same}]", "layers[0].padding", "'same' padding needs stride 1" },
        { "layers: [{type: conv2d, out: 8, kernel: 3, padding: sme}]", "layers[0].padding", "got 'sme'; did you mean 'same'?" },
        { "layers: [{type: maxpool, kernel: 2, padding: 2}]", "layers[0].padding", "must be at most half the kernel (1×1 for a 2 kernel), got 2" },
        { "layers: [{type: avgpool, kernel: 2, stride: 0}]", "layers[0].stride", "must be positive, got 0" },
        { "layers: [{type: residual, out: 16, stride: 0}]", "layers[0].stride", "must be positive, got 0" },
        { "layers: [[relu]]", "layers[0]", "expected a layer (a type name or a mapping with type:), got a list of 1 item" },
        { "layer: [relu]\nlayers: [relu]", "layer", "unknown key; did you mean 'layers'?" },
        { "name: net", "layers", "missing; an architecture is a list of layers" },
        { "layers: relu", "layers", "expected a list of layers, got relu" },
        { "layers: []", "layers", "must hold at least one layer" },
        { "name: ''\nlayers: [flatten]", "name", "must not be empty" },
        { "input: [28, 28]\nlayers: [flatten]", "input", "expected channels, height, width or a flat feature count, got 2 dimensions" },
        { "input: [0, 28, 28]\nlayers: [flatten]", "input", "every dimension must be positive, got [0, 28, 28]" },
        { "input: big\nlayers: [flatten]", "input", "expected a shape such as [3, 32, 32], 3x32x32 or [784], got big" },
        { "input: [1, 4, 4]\nlayers: [{type: conv2d, out: 8, kernel: 5}, flatten]", "layers[0]", "does not fit the declared input 1×4×4: layer 0 (conv2d 8@5×5): input 4×4 is smaller than the 5×5 kernel: n_out = (4 − 5 + 2·0)/1 + 1 = 0" },
        { "input: [1, 28, 28]\nlayers: [{type: linear, out: 10}]", "layers[0]", "needs a flat input but gets 1×28×28; add a flatten layer before it" },
        { "input: [1, 28, 28]\nlayers: [{type: conv2d, out: 10, kernel: 28}]", "layers[0]", "the last layer outputs 10×1×1; class scores must be flat: add a flatten layer" },
        { "- relu", "", "expected an architecture mapping with name, input and layers, got a list of 1 item" },
        { "", "", "the document is empty" },
        { "layers: [relu\n", "", "YAML syntax error at line 2" },
        // YamlDotNet throws InvalidOperationException rather than YamlException on this one (a list left open before the next key).
        { "input: [1, 28, 28\nlayers: [flatten]\n", "", "YAML syntax error at line 1, column 8: the '[' opened there is not closed" },
        { "name: net\nblock:\n  a: [1e-3, 3e-3\n  b: [0, 5e-4]\nlayers: [flatten]\n", "", "YAML syntax error at line 3" },
        { "name: net\ninput: {c: 1, h: 28\nlayers: [flatten]\n", "", "YAML syntax error at line 2, column 8: the '{' opened there is not closed" },
        { "layers: [relu]\nlayers: [tanh]", "", "Duplicate key layers" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Reports_each_problem_at_its_key_path(string text, string path, string message)
    {
        var error = Reject(text);

        var problem = Assert.Single(error.Problems);
        Assert.Equal(path, problem.Path);
        Assert.Contains(message, problem.Message);
    }

    [Fact]
    public void Collects_every_problem_before_throwing()
    {
        var error = Reject("""
            nme: net
            layers:
              - {type: conv2d, out: 0, kernel: 3}
              - {type: maxpool}
              - {type: dropout, p: 2}
            """);

        Assert.Equal(["nme", "layers[0].out", "layers[1].kernel", "layers[2].p"], error.Problems.Select(p => p.Path));
    }

    [Fact]
    public void Writes_one_line_per_problem_prefixed_with_the_source()
    {
        var error = Reject("layers: [{type: linear, out: 0}, {type: dropout, p: 2}]");

        Assert.Equal("bad.yaml", error.SourceName);
        Assert.Equal(
            "bad.yaml: layers[0].out: must be positive, got 0" + Environment.NewLine +
            "bad.yaml: layers[1].p: must be in [0, 1), got 2",
            error.Message);
    }
}
