using System.Globalization;
using System.Text.Json.Nodes;
using Experiments.Architectures;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;
using Experiments.Worker.Tests.OracleSupport;
using Xunit;
using Xunit.Abstractions;

namespace Experiments.Worker.Tests.Interpretability;

/// <summary>
/// Saliency, Grad-CAM and CAM on the same weights and image as PyTorch's reference (tests/oracle/gradcam_oracle.py):
/// every map, raw and upsampled, and the input gradient they come from must agree within 1e-5.
/// </summary>
public class Attribution_matches_pytorch(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    private sealed record AttributionCase(string Architecture, int Seed, int[] Layers, int[] Classes, bool Cam = false);

    [Fact]
    public void Saliency_grad_cam_and_cam_on_built_in_architectures()
    {
        AttributionCase[] cases =
        [
            // Layers 0 and 2 are the two 5×5 convolutions (24×24 and 8×8 maps), 1 a pooling output.
            new("lenet-matconvnet", 31, [0, 1, 2], [3, 7]),
            // 2 is the stem's ReLU (32×32), 4 and 5 the last two residual blocks (16×16, 8×8); it ends in GAP + linear.
            new("resnet-small", 32, [2, 4, 5], [0, 5], Cam: true),
            new("lenet-cifar", 33, [0, 4], [1, 9]),
        ];

        var requests = new List<JsonObject>();
        var ours = new List<(string Name, Dictionary<string, Tensor> Maps)>();
        foreach (var c in cases)
        {
            var architecture = ArchitectureCatalog.BuiltIns[c.Architecture];
            var plan = ShapeInference.Plan(architecture);
            var random = new Random(c.Seed);
            using var model = Model.Create(plan, (ulong)c.Seed);
            ModelState.Randomise(model, random);
            var image = Tensor.Of(RandomValues.Symmetric(random, plan.Input.Elements, 1.0), [.. plan.Input.Dims]);
            var state = ModelState.ToJson(model);

            foreach (var target in c.Classes)
            {
                var name = $"{c.Architecture}, class {target}";
                var maps = new Dictionary<string, Tensor>();
                var saliency = Attribution.Saliency(model, image, target);
                Assert.Equal(target, saliency.Class);
                maps["input_gradient"] = new Tensor([1, .. image.Shape], saliency.InputGradient.Data);
                maps["saliency"] = saliency.Map;
                foreach (var layer in c.Layers)
                {
                    var gradCam = Attribution.GradCam(model, image, layer, target);
                    Assert.Equal(saliency.Score, gradCam.Score);
                    maps[$"gradcam[{layer}].alpha"] = new Tensor([gradCam.ChannelWeights.Length], gradCam.ChannelWeights);
                    maps[$"gradcam[{layer}].raw"] = gradCam.Raw;
                    maps[$"gradcam[{layer}].upsampled"] = gradCam.Upsampled;
                    AssertNormalised(gradCam.Upsampled, image);
                }
                if (c.Cam)
                {
                    var cam = Attribution.Cam(model, image, target);
                    maps["cam.raw"] = cam.Raw;
                    maps["cam.upsampled"] = cam.Upsampled;
                    AssertNormalised(cam.Upsampled, image);
                }
                var logits = model.Forward(new Tensor([1, .. image.Shape], image.Data))[^1];
                maps["logits"] = logits;
                Assert.Equal(logits.Data[target], saliency.Score);

                ours.Add((name, maps));
                requests.Add(new JsonObject
                {
                    ["name"] = name,
                    ["spec"] = JsonNode.Parse(ArchitectureWriter.ToJson(architecture)),
                    ["input_shape"] = new JsonArray([.. plan.Input.Dims.Select(d => (JsonNode)d)]),
                    ["state"] = state.DeepClone(),
                    ["input"] = TensorJson.Encode(image.Data, [1, .. image.Shape]),
                    ["class"] = target,
                    ["layers"] = new JsonArray([.. c.Layers.Select(l => (JsonNode)l)]),
                    ["cam"] = c.Cam,
                });
            }
        }

        var results = PyTorchOracle.Run("gradcam_oracle.py", requests, EngineRuntime.Threads);
        var failures = new List<string>();
        foreach (var ((name, maps), result, request) in ours.Zip(results, requests))
        {
            var theirs = new Dictionary<string, Tensor>
            {
                ["logits"] = TensorJson.DecodeFloats(result["logits"]!),
                ["input_gradient"] = TensorJson.DecodeFloats(result["input_gradient"]!),
                ["saliency"] = TensorJson.DecodeFloats(result["saliency"]!),
            };
            var layers = request["layers"]!.AsArray().Select(l => l!.GetValue<int>()).ToList();
            foreach (var (layer, entry) in layers.Zip(result["gradcam"]!.AsArray()))
                foreach (var part in new[] { "alpha", "raw", "upsampled" })
                    theirs[$"gradcam[{layer}].{part}"] = TensorJson.DecodeFloats(entry![part]!);
            if (result["cam"] is { } cam)
            {
                theirs["cam.raw"] = TensorJson.DecodeFloats(cam["raw"]!);
                theirs["cam.upsampled"] = TensorJson.DecodeFloats(cam["upsampled"]!);
            }

            Assert.Equal(theirs.Keys.Order(), maps.Keys.Order());
            foreach (var (key, mine) in maps)
            {
                var reference = theirs[key];
                var scale = reference.Data.Select(Math.Abs).DefaultIfEmpty(0).Max();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-28} {key,-26} {string.Join('×', mine.Shape),-10} max |Δ| = {Closeness.MaxAbsDifference(mine, reference):E2}  (max |value| {scale:G4})"));
                // 1e-5 absolute, and for maps whose values are themselves small (a randomly weighted network's gradients are
                // of order 1e-3) 1e-5 of their own scale, so a small map cannot pass merely by being small.
                if (Closeness.Disagreement($"{name}: {key}", mine, reference, Tolerance * Math.Min(1.0, scale)) is { } problem) failures.Add(problem);
            }
        }
        Assert.True(failures.Count == 0, "attribution differs from PyTorch:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void Grad_cam_of_a_constant_map_is_all_zeros_and_resizing_a_map_to_its_own_size_changes_nothing()
    {
        // The identity case of the half-pixel convention, computed by hand: in == out maps every pixel onto itself.
        var map = Tensor.Of([1f, 2f, 3f, 4f, 5f, 6f], 2, 3);
        Assert.Equal(map.Data, Bilinear.Resize(map, 2, 3).Data);
        // 1×2 → 1×4 by hand: source x = (i + 0.5)/2 − 0.5 = −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to the edge).
        Assert.Equal([10f, 12.5f, 17.5f, 20f], Bilinear.Resize(Tensor.Of([10f, 20f], 1, 2), 1, 4).Data);
        Assert.Equal(new float[4], Attribution.Normalise(Tensor.Of([0.5f, 0.5f, 0.5f, 0.5f], 2, 2)).Data);
    }

    private static void AssertNormalised(Tensor upsampled, Tensor image)
    {
        Assert.Equal([image.Shape[1], image.Shape[2]], upsampled.Shape);
        Assert.Equal(0f, upsampled.Data.Min());
        // A map with no positive evidence anywhere is constant, and normalises to all zeros rather than to 0/0.
        Assert.Contains(upsampled.Data.Max(), new[] { 0f, 1f });
    }
}
