using System.Text.Json.Nodes;
using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Worker.Engine;
using Xunit;

namespace Experiments.Worker.Tests.OracleSupport;

/// <summary>
/// Training steps to compare: <paramref name="Samples"/> random images of <paramref name="Input"/> with random labels
/// in <paramref name="Classes"/> classes, taken in order (no shuffle) in batches of <paramref name="BatchSize"/>, one
/// optimizer step per batch. Weights and data are drawn from <paramref name="Seed"/>. The architecture must not
/// contain active dropout: its masks come from different generators in the engine and in PyTorch.
/// </summary>
internal sealed record TrainingCase(string Name, Architecture Architecture, TensorShape Input, OptimizerSettings Optimizer,
    int Samples, int BatchSize, int Classes, int Seed)
{
    public int Steps => (Samples + BatchSize - 1) / BatchSize;
}

/// <summary>Every state tensor after the steps, by name, from our engine and from PyTorch.</summary>
internal sealed record TrainedStates(TrainingCase Case, IReadOnlyDictionary<string, Tensor> Ours, IReadOnlyDictionary<string, Tensor> PyTorch);

/// <summary>
/// Takes the same optimizer steps in our engine (through the trainer's own native loop) and in torch.optim, from
/// the same weights on the same batches, and compares every parameter and buffer afterwards.
/// </summary>
internal static class TrainingComparison
{
    /// <summary>Fails listing every state tensor, in every case, that differs from PyTorch's by more than <paramref name="tolerance"/>.</summary>
    public static IReadOnlyList<TrainedStates> AssertMatchesPyTorch(IReadOnlyList<TrainingCase> cases, double tolerance)
    {
        Assert.NotEmpty(cases);
        var runs = cases.Select(TrainOurs).ToList();
        var results = PyTorchOracle.Run("optimizer_oracle.py", [.. runs.Select(r => r.Request)], EngineRuntime.Threads);

        var failures = new List<string>();
        var states = new List<TrainedStates>();
        foreach (var (run, result) in runs.Zip(results))
        {
            var theirs = Decode(result["state"]!.AsObject());
            states.Add(new TrainedStates(run.Case, run.State, theirs));

            var problems = new List<string>();
            var theirLoss = result["losses"]!.AsArray().Select(l => l!.GetValue<double>()).ToArray();
            var theirMeanLoss = Enumerable.Range(0, theirLoss.Length).Sum(b => theirLoss[b] * BatchLength(run.Case, b)) / run.Case.Samples;
            // Loss is reported in double from a float32 computation, so it agrees to float32 precision, not beyond.
            if (Math.Abs(run.MeanLoss - theirMeanLoss) > 1e-5 * Math.Max(1, Math.Abs(theirMeanLoss)))
                problems.Add($"mean training loss: ours {run.MeanLoss:G9}, PyTorch {theirMeanLoss:G9}");
            if (!theirs.Keys.Order().SequenceEqual(run.State.Keys.Order()))
                problems.Add($"state names: ours [{string.Join(", ", run.State.Keys)}], PyTorch [{string.Join(", ", theirs.Keys)}]");
            else
                problems.AddRange(run.State.Select(s => Closeness.Disagreement(s.Key, s.Value, theirs[s.Key], tolerance)).OfType<string>());
            if (problems.Count > 0) failures.Add($"{run.Case.Name}:\n    " + string.Join("\n    ", problems));
        }

        if (failures.Count > 0)
            Assert.Fail($"{failures.Count} of {cases.Count} cases differ from PyTorch after training:\n" + string.Join("\n", failures));
        return states;
    }

    private sealed record OurRun(TrainingCase Case, double MeanLoss, IReadOnlyDictionary<string, Tensor> State, JsonObject Request);

    private static OurRun TrainOurs(TrainingCase c)
    {
        var plan = ShapeInference.Plan(c.Architecture, c.Input);
        var random = new Random(c.Seed);
        using var model = Model.Create(plan, (ulong)c.Seed);
        ModelState.Randomise(model, random);
        var initialState = ModelState.ToJson(model);

        var pixels = RandomValues.Symmetric(random, c.Samples * c.Input.Elements, 1.0);
        var labels = Enumerable.Range(0, c.Samples).Select(_ => random.Next(c.Classes)).ToArray();
        var images = new LabelledImages(c.Input, pixels, labels, [.. Enumerable.Range(0, c.Classes).Select(k => $"class {k}")]);

        using var data = NativeDataset.From(images);
        using var optimizer = Optimizer.Create(model, c.Optimizer);
        var stats = new NativeTrainStats();
        // shuffle: 0 keeps the samples in order, so batch b is samples [b·BatchSize, (b+1)·BatchSize) on both sides.
        var trained = NativeMethods.Check(NativeMethods.Exp_train_batches(model.Handle, optimizer.Handle, data.Handle, c.BatchSize,
            orderSeed: 0, shuffle: 0, firstBatch: 0, batchCount: c.Steps, ref stats));
        Assert.Equal(c.Steps, trained);

        var request = new JsonObject
        {
            ["name"] = c.Name,
            ["spec"] = JsonNode.Parse(ArchitectureWriter.ToJson(c.Architecture)),
            ["input_shape"] = new JsonArray([.. c.Input.Dims.Select(d => (JsonNode)d)]),
            ["state"] = initialState,
            ["images"] = TensorJson.Encode(pixels, [c.Samples, .. c.Input.Dims]),
            ["labels"] = TensorJson.Encode(labels.Select(l => (long)l).ToArray(), [c.Samples]),
            ["batches"] = new JsonArray([.. Enumerable.Range(0, c.Steps).Select(b => (JsonNode)new JsonArray(b * c.BatchSize, b * c.BatchSize + BatchLength(c, b)))]),
            ["optimizer"] = new JsonObject
            {
                ["kind"] = c.Optimizer.Kind == OptimizerKind.Adam ? "adam" : "sgd",
                ["lr"] = c.Optimizer.LearningRate,
                ["weight_decay"] = c.Optimizer.WeightDecay,
                ["momentum"] = c.Optimizer.Momentum,
                ["nesterov"] = c.Optimizer.Nesterov,
                ["beta1"] = c.Optimizer.Beta1,
                ["beta2"] = c.Optimizer.Beta2,
                ["eps"] = c.Optimizer.Epsilon,
            },
        };
        return new OurRun(c, stats.LossSum / stats.Samples, Decode(ModelState.ToJson(model)), request);
    }

    private static int BatchLength(TrainingCase c, int batch) => Math.Min(c.BatchSize, c.Samples - batch * c.BatchSize);

    // int64 buffers (num_batches_tracked) become float tensors here: exact for any count a test reaches.
    private static Dictionary<string, Tensor> Decode(JsonObject state) =>
        state.ToDictionary(e => e.Key, e => e.Value!["dtype"]!.GetValue<string>() == "int64"
            ? new Tensor([.. e.Value["shape"]!.AsArray().Select(d => d!.GetValue<int>())], [.. TensorJson.DecodeInt64s(e.Value).Select(v => (float)v)])
            : TensorJson.DecodeFloats(e.Value));
}
