using System.Text.Json.Nodes;
using Experiments.Architectures;
using Experiments.Worker.Engine;
using Xunit;

namespace Experiments.Worker.Tests.OracleSupport;

/// <summary>
/// One forward-pass case: <paramref name="Architecture"/> on <paramref name="Input"/>, with every state tensor and a
/// batch of <paramref name="Batch"/> inputs in ±<paramref name="InputBound"/> drawn from <paramref name="Seed"/>.
/// </summary>
internal sealed record ForwardCase(Architecture Architecture, TensorShape Input, int Seed, int Batch = 2, double InputBound = 1.0)
{
    /// <summary>A case of the given layers, named after its seed.</summary>
    public static ForwardCase Of(TensorShape input, int seed, params Layer[] layers) => new(new Architecture($"case-{seed}", layers), input, seed);

    /// <summary>Whether the layers fit the input; randomly drawn layers that do not (a window wider than the padded input) are drawn again.</summary>
    public static bool Fits(TensorShape input, params Layer[] layers)
    {
        try
        {
            ShapeInference.Plan(new Architecture("probe", layers), input);
            return true;
        }
        catch (ArchitectureException)
        {
            return false;
        }
    }
}

/// <summary>
/// Runs cases through our engine and through PyTorch with the same weights and inputs, and compares the output of
/// every layer, so a discrepancy is reported at the layer that introduces it.
/// </summary>
internal static class ForwardComparison
{
    // Absolute, not relative: the weights' 1/fan-in variance keeps every activation of order one. Both sides run the
    // same libtorch kernels in float32 and were bit-identical in every case when this was written; 1e-5 leaves room
    // for a different reduction order (another thread split, or oneDNN against the reference path) without hiding
    // a wrong formula, which shows up at 1e-3 or more.
    public const double Tolerance = 1e-5;

    /// <summary>Fails listing every case whose engine output differs from PyTorch's anywhere by more than <see cref="Tolerance"/>.</summary>
    public static void AssertMatchesPyTorch(IReadOnlyList<ForwardCase> cases)
    {
        Assert.NotEmpty(cases);
        var runs = cases.Select(RunOurs).ToList();
        var results = PyTorchOracle.Run("forward_oracle.py", [.. runs.Select(r => r.Request)], EngineRuntime.Threads);

        var failures = new List<string>();
        foreach (var (run, result) in runs.Zip(results))
        {
            var theirs = result["outputs"]!.AsArray().Select(o => TensorJson.DecodeFloats(o!)).ToList();
            if (theirs.Count != run.Plan.Layers.Count)
            {
                failures.Add($"{run.Name}: PyTorch's model has {theirs.Count} layers, ours {run.Plan.Layers.Count}");
                continue;
            }
            // The first disagreeing layer is the one to look at; the layers after it inherit its error.
            var first = run.Plan.Layers
                .Select(layer => Closeness.Disagreement($"layer {layer.Index} ({LayerDescriptions.Describe(layer.Layer, layer.Input)})",
                    run.LayerOutputs[layer.Index], theirs[layer.Index], Tolerance))
                .FirstOrDefault(d => d is not null);
            if (first is not null) failures.Add($"{run.Name}\n    {first}");
        }

        if (failures.Count > 0)
            Assert.Fail($"{failures.Count} of {cases.Count} cases differ from PyTorch:\n" + string.Join("\n", failures));
    }

    private sealed record OurRun(string Name, ArchitecturePlan Plan, IReadOnlyList<Tensor> LayerOutputs, JsonObject Request);

    private static OurRun RunOurs(ForwardCase c)
    {
        var plan = ShapeInference.Plan(c.Architecture, c.Input);
        var name = $"seed {c.Seed}, {c.Batch}×{c.Input}: " + string.Join(" → ", plan.Layers.Select(l => LayerDescriptions.Describe(l.Layer, l.Input)));
        var random = new Random(c.Seed);
        using var model = Model.Create(plan, (ulong)c.Seed);
        ModelState.Randomise(model, random);
        var input = Tensor.Of(RandomValues.Symmetric(random, c.Batch * c.Input.Elements, c.InputBound), [c.Batch, .. c.Input.Dims]);

        var outputs = model.Forward(input, [.. Enumerable.Range(0, plan.Layers.Count)]);
        Assert.Equal(outputs[^2].Data, outputs[^1].Data); // the model's output is its last layer's

        var request = new JsonObject
        {
            ["name"] = name,
            ["spec"] = JsonNode.Parse(ArchitectureWriter.ToJson(c.Architecture)),
            ["input_shape"] = new JsonArray([.. c.Input.Dims.Select(d => (JsonNode)d)]),
            ["state"] = ModelState.ToJson(model),
            ["input"] = TensorJson.Encode(input),
        };
        return new OurRun(name, plan, outputs.Take(plan.Layers.Count).ToList(), request);
    }
}
