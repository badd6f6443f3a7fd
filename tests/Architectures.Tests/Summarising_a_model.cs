using System.Text.Json;

namespace Experiments.Architectures.Tests;

public class Summarising_a_model
{
    private static ModelSummary LenetCifar() =>
        ModelSummary.From(ShapeInference.Plan(ArchitectureCatalog.BuiltIns["lenet-cifar"], new TensorShape(3, 32, 32)));

    [Fact]
    public void Lists_each_layer_with_its_shapes_parameters_and_tensors()
    {
        var summary = LenetCifar();

        Assert.Equal("lenet-cifar", summary.Architecture);
        Assert.Equal([3, 32, 32], summary.Input);
        Assert.Equal([10], summary.Output);
        Assert.Equal(69_706, summary.Parameters);
        var conv = summary.Layers[0];
        Assert.Equal((0, "conv2d", "conv2d 32@5×5 s1 p0", 2_432L), (conv.Index, conv.Type, conv.Description, conv.Parameters));
        Assert.Equal([3, 32, 32], conv.Input);
        Assert.Equal([32, 28, 28], conv.Output);
        Assert.Equal(("0.weight", "float32", false), (conv.Tensors[0].Name, conv.Tensors[0].Dtype, conv.Tensors[0].Buffer));
        Assert.Equal([32, 3, 5, 5], conv.Tensors[0].Shape);
        Assert.Equal(["0.weight", "0.bias"], conv.Tensors.Select(t => t.Name));
        Assert.Empty(summary.Layers[1].Tensors);
    }

    [Fact]
    public void Writes_camel_case_indented_JSON()
    {
        using var json = JsonDocument.Parse(LenetCifar().ToJson());
        var root = json.RootElement;

        Assert.Equal(["architecture", "description", "input", "output", "parameters", "layers"], root.EnumerateObject().Select(p => p.Name));
        var layer = root.GetProperty("layers")[0];
        Assert.Equal(["index", "type", "description", "input", "output", "parameters", "tensors"], layer.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["name", "shape", "dtype", "buffer"], layer.GetProperty("tensors")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("conv2d 32@5×5 s1 p0", layer.GetProperty("description").GetString());
        Assert.Contains("\n  \"layers\": [", LenetCifar().ToJson());
    }

    [Fact]
    public void Marks_batch_norm_statistics_as_buffers_with_their_dtype()
    {
        var summary = ModelSummary.From(ShapeInference.Plan(ArchitectureCatalog.BuiltIns["resnet-small"]));

        var counter = summary.Layers[1].Tensors.Single(t => t.Name == "1.num_batches_tracked");
        Assert.Equal(("int64", true), (counter.Dtype, counter.Buffer));
        Assert.Empty(counter.Shape);
        Assert.Equal("batchnorm2d 16", summary.Layers[1].Description);
    }

    [Fact]
    public void Reads_back_what_it_writes()
    {
        var summary = LenetCifar();
        var read = ModelSummary.FromJson(summary.ToJson());

        Assert.Equal(summary.ToJson(), read.ToJson());
    }

    [Fact]
    public void Renders_a_text_table_for_terminals()
    {
        var text = LenetCifar().ToText();

        Assert.StartsWith("lenet-cifar: 3×32×32 → 10, 69,706 parameters", text);
        Assert.Contains("conv2d 32@5×5 s1 p0", text);
        Assert.Contains("linear 1600→10", text);
    }
}
