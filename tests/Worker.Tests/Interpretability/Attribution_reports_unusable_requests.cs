using Experiments.Architectures;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;
using Xunit;

namespace Experiments.Worker.Tests.Interpretability;

public class Attribution_reports_unusable_requests
{
    private static readonly ArchitecturePlan _lenet = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["lenet-matconvnet"]);

    private static Tensor Image() => Tensor.Of(new float[_lenet.Input.Elements], [.. _lenet.Input.Dims]);

    [Fact]
    public void Grad_cam_at_a_layer_that_does_not_exist_names_the_layer_and_the_ones_there_are()
    {
        using var model = Model.Create(_lenet, 1);
        var error = Assert.Throws<ArgumentException>(() => Attribution.GradCam(model, Image(), 42, 0));
        Assert.StartsWith("layer 42 does not exist: lenet-matconvnet has layers 0–7 (0 conv2d 20@5×5 s1 p0, 1 maxpool 2×2 s2 p0", error.Message);
        Assert.Throws<ArgumentException>(() => Attribution.GradCam(model, Image(), -1, 0));
    }

    [Fact]
    public void The_engine_itself_rejects_a_layer_or_class_that_does_not_exist()
    {
        // Below the C# checks: the native export must fail cleanly, with a message, rather than crash or read out of range.
        using var model = Model.Create(_lenet, 1);
        var input = Tensor.Of(new float[_lenet.Input.Elements], [1, .. _lenet.Input.Dims]);
        string Fail(int? layer, int[] classes) => Assert.Throws<NativeEngineException>(() => model.ClassGradients(input, classes, layer)).Message;

        Assert.Equal("layer 8 does not exist; the model has layers 0..7", Fail(8, [0]));
        Assert.Equal("class 10 does not exist; the model has 10 classes (0..9)", Fail(null, [10]));
        Assert.Equal("one class per sample is needed: the batch has 1 samples, 2 classes were given", Fail(null, [0, 1]));
    }

    [Fact]
    public void Grad_cam_at_a_flat_layer_cam_without_global_pooling_and_a_missing_class_are_explained()
    {
        using var model = Model.Create(_lenet, 1);
        var flat = Assert.Throws<ArgumentException>(() => Attribution.GradCam(model, Image(), 7, 0));
        Assert.Contains("layer 7 (flatten) outputs 10", flat.Message);
        Assert.Contains("Layers with maps: 0 conv2d 20@5×5 s1 p0, 1 maxpool 2×2 s2 p0", flat.Message);

        var cam = Assert.Throws<ArgumentException>(() => Attribution.Cam(model, Image()));
        Assert.Contains("CAM needs an architecture that ends in global average pooling followed by a linear layer; lenet-matconvnet ends in", cam.Message);

        var missingClass = Assert.Throws<ArgumentException>(() => Attribution.Saliency(model, Image(), 10));
        Assert.StartsWith("class 10 does not exist: lenet-matconvnet has 10 classes (0–9)", missingClass.Message);

        var wrongImage = Assert.Throws<ArgumentException>(() => Attribution.Saliency(model, Tensor.Of(new float[3 * 28 * 28], 3, 28, 28)));
        Assert.Contains("one image of lenet-matconvnet's input 1×28×28, got 3×28×28", wrongImage.Message);
    }

    [Fact]
    public void Cam_finds_the_pooling_input_and_the_linear_layer_of_resnet_small()
    {
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["resnet-small"]);
        Assert.Equal((5, 7), Attribution.CamLayers(plan));
    }
}
