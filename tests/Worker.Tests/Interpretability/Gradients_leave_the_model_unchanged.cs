using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;
using Experiments.Worker.Tests.OracleSupport;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Interpretability;

public class Gradients_leave_the_model_unchanged
{
    [Theory]
    [InlineData("lenet-matconvnet")]
    [InlineData("resnet-small")] // batch norm: its running statistics must not move either
    public void State_bytes_are_identical_before_and_after(string architecture)
    {
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns[architecture]);
        var random = new Random(41);
        using var model = Model.Create(plan, 41);
        ModelState.Randomise(model, random);
        var before = model.State.Select(model.ReadBytes).ToList();

        var images = Tensor.Of(RandomValues.Symmetric(random, 3 * plan.Input.Elements, 1.0), [3, .. plan.Input.Dims]);
        for (var layer = 0; layer < plan.Layers.Count; layer++)
            model.ClassGradients(images, [1, 4, 9], layer);
        model.ClassGradients(images, [0, 0, 0]);

        var after = model.State.Select(model.ReadBytes).ToList();
        Assert.All(model.State.Zip(before, after), t => Assert.True(t.Second.AsSpan().SequenceEqual(t.Third), $"{t.First.Name} changed"));
    }

    [Fact]
    public void Training_after_taking_gradients_ends_exactly_where_training_without_them_ends()
    {
        // resnet-small has batch norm, so a gradient pass that ran in training mode (or left the model in it) would move
        // the running statistics; and any gradient left in a parameter's .grad would alter the first Adam step.
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["resnet-small"]);
        var random = new Random(43);
        var pixels = RandomValues.Symmetric(random, 16 * plan.Input.Elements, 1.0);
        var labels = Enumerable.Range(0, 16).Select(i => i % 10).ToArray();
        var images = new LabelledImages(plan.Input, pixels, labels, [.. Enumerable.Range(0, 10).Select(k => $"class {k}")]);

        byte[][] Train(bool takeGradientsFirst)
        {
            using var model = Model.Create(plan, 43);
            using var data = NativeDataset.From(images);
            using var optimizer = Optimizer.Create(model, new OptimizerSettings());
            var stats = new NativeTrainStats();
            NativeMethods.Check(NativeMethods.Exp_train_batches(model.Handle, optimizer.Handle, data.Handle, 8, 5, 1, 0, 1, ref stats));
            if (takeGradientsFirst)
            {
                var image = Tensor.Of(pixels[..(int)plan.Input.Elements], [.. plan.Input.Dims]);
                Attribution.GradCam(model, image, 5, 3);
                Attribution.Saliency(model, image, 7);
                Attribution.Cam(model, image, 2);
            }
            NativeMethods.Check(NativeMethods.Exp_train_batches(model.Handle, optimizer.Handle, data.Handle, 8, 5, 1, 1, 1, ref stats));
            return [.. model.State.Select(model.ReadBytes)];
        }

        var plain = Train(takeGradientsFirst: false);
        var withGradients = Train(takeGradientsFirst: true);
        Assert.Equal(plain.Length, withGradients.Length);
        for (var i = 0; i < plain.Length; i++) Assert.Equal(plain[i], withGradients[i]);
    }
}
