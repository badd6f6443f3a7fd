namespace Experiments.Architectures.Tests;

/// <summary>Our plan against PyTorch's own nn.Sequential: same state-dict entries in the same order, same output.</summary>
public class Matching_PyTorch
{
    private static readonly Dictionary<string, (Architecture Architecture, TensorShape Input)> _cases = BuildCases();

    // One Python process for every case: importing torch costs about a second.
    private static readonly Lazy<Dictionary<string, PyTorchOracle.Result>> _results = new(() =>
    {
        var names = _cases.Keys.ToArray();
        var results = PyTorchOracle.Run(names.Select(n => _cases[n]).ToArray());
        return names.Zip(results).ToDictionary(p => p.First, p => p.Second);
    });

    public static TheoryData<string> Cases => [.. _cases.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Names_and_shapes_every_tensor_as_PyTorchs_state_dict(string name)
    {
        var (architecture, input) = _cases[name];
        var plan = ShapeInference.Plan(architecture, input);

        var ours = plan.Tensors.Select(t => PyTorchOracle.Describe(t.Name, t.Shape, ModelSummary.DTypeName(t.DType)));
        Assert.Equal(_results.Value[name].StateDict, ours);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Predicts_PyTorchs_output_shape_and_parameter_count(string name)
    {
        var (architecture, input) = _cases[name];
        var plan = ShapeInference.Plan(architecture, input);

        Assert.Equal(_results.Value[name].Output, plan.Output.Dims);
        Assert.Equal(_results.Value[name].Parameters, plan.Parameters);
    }

    private static Dictionary<string, (Architecture, TensorShape)> BuildCases()
    {
        var cases = ArchitectureCatalog.BuiltIns.Values.ToDictionary(a => $"{a.Name} on {a.Input}", a => (a, a.Input!));
        foreach (var name in new[] { "vgg-small", "resnet-small", "ffnn-100" })
            cases[$"{name} on 1×28×28"] = (ArchitectureCatalog.BuiltIns[name], new TensorShape(1, 28, 28));

        cases["dilation and rectangular settings"] = (Parse("""
            layers:
              - {type: conv2d, out: 8, kernel: 3, dilation: 2}
              - relu
              - {type: conv2d, out: 4, kernel: [3, 5], stride: [2, 1], padding: [1, 2], dilation: [1, 2], bias: false}
              - {type: maxpool, kernel: [3, 2], stride: [2, 1], padding: [1, 0]}
              - flatten
              - {type: linear, out: 10}
            """), new TensorShape(3, 21, 17));

        cases["full and same padding, avgpool, tanh, sigmoid, batchnorm1d, softmax"] = (Parse("""
            layers:
              - {type: conv2d, out: 6, kernel: 5, padding: full}
              - tanh
              - {type: avgpool, kernel: 3, stride: 2, padding: 1}
              - {type: conv2d, out: 4, kernel: 4, padding: same, dilation: 2}
              - sigmoid
              - flatten
              - batchnorm
              - {type: dropout, p: 0.1}
              - {type: linear, out: 10, bias: false}
              - softmax
            """), new TensorShape(1, 12, 12));

        cases["residual blocks with and without projection"] = (Parse("""
            layers:
              - {type: conv2d, out: 8, kernel: 3, padding: 1}
              - batchnorm
              - {type: residual, out: 8}
              - {type: residual, out: 12}
              - {type: residual, out: 12, stride: 3}
              - global_avgpool
              - {type: linear, out: 10}
            """), new TensorShape(2, 11, 7));

        cases["flat input"] = (Parse("""
            layers: [{type: linear, out: 30}, batchnorm, tanh, {type: dropout, p: 0.2}, {type: linear, out: 10}]
            """), new TensorShape(20));

        return cases;
    }

    private static Architecture Parse(string yaml) => ArchitectureReader.Parse(yaml, "oracle-case.yaml");
}
