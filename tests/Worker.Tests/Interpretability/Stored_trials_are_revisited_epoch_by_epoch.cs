using System.Text.Json.Nodes;
using Experiments.Architectures;
using Experiments.Worker.Engine;
using Experiments.Worker.Interpretability;
using Experiments.Worker.Recording;
using Experiments.Worker.Tests.OracleSupport;
using Experiments.Worker.Tests.Support;
using Experiments.Worker.Training;
using Xunit;

namespace Experiments.Worker.Tests.Interpretability;

public class Stored_trials_are_revisited_epoch_by_epoch(LocalDatabase database) : IClassFixture<LocalDatabase>
{
    [Fact]
    public async Task Activations_of_every_epoch_are_recomputed_from_its_snapshot_as_pytorch_computes_them()
    {
        var data = TestData.SmallSplits();
        var plan = TestData.TinyCnn();
        var settings = new TrainingSettings { Epochs = 2, BatchSize = 32, Seed = 51, Threads = 1 };
        await using var store = await database.OpenAsync();
        var trial = await store.CreateTrialAsync(RecordedTrial.Definition(plan, "synthetic", settings, 0.1));
        using (var trained = Model.Create(plan, settings.Seed))
            new Trainer(settings).Run(trained, data, new TrialRecorder(store, trial));

        using var stored = await StoredModel.OpenAsync(store, trial);
        Assert.Equal([0, 1, 2], stored.Epochs);
        Assert.Null(stored.LoadedEpoch);
        var image = Tensor.Of(data.Test.Sample(0).ToArray(), [.. plan.Input.Dims]);
        var layers = ActivationHistory.NamedLayers(stored.Model.Plan);
        Assert.Equal([0, 1, 2], layers); // conv (feature maps), ReLU, max pooling

        var history = await ActivationHistory.ComputeAsync(stored, image, layers);
        Assert.Equal(stored.Epochs.Count * layers.Count, history.Count);
        Assert.Equal(["conv2d 8@3×3 s1 p0", "relu", "maxpool 2×2 s2 p0"], history.Take(3).Select(a => a.Label));
        Assert.Equal([8, 5, 5], history.Single(a => a.Epoch == 2 && a.Layer == 2).Output.Shape);

        // Each epoch's activations against PyTorch's forward pass on that epoch's stored weights.
        var requests = new List<JsonObject>();
        foreach (var epoch in stored.Epochs)
        {
            var state = new JsonObject();
            foreach (var t in Snapshots.ModelTensors(await store.ReadSnapshotAsync(trial, epoch)))
                state[t.Name] = t.DType == "int64"
                    ? TensorJson.Encode(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.Data), t.Shape)
                    : TensorJson.Encode(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.Data), t.Shape);
            requests.Add(new JsonObject
            {
                ["name"] = $"trial {trial}, epoch {epoch}",
                ["spec"] = JsonNode.Parse(ArchitectureWriter.ToJson(plan.Architecture)),
                ["input_shape"] = new JsonArray([.. plan.Input.Dims.Select(d => (JsonNode)d)]),
                ["state"] = state,
                ["input"] = TensorJson.Encode(image.Data, [1, .. image.Shape]),
            });
        }
        var results = PyTorchOracle.Run("forward_oracle.py", requests, EngineRuntime.Threads);
        foreach (var (epoch, result) in stored.Epochs.Zip(results))
            foreach (var layer in layers)
            {
                var theirs = TensorJson.DecodeFloats(result["outputs"]![layer]!);
                var ours = history.Single(a => a.Epoch == epoch && a.Layer == layer).Output;
                Assert.Null(Closeness.Disagreement($"epoch {epoch}, layer {layer}", ours, new Tensor(theirs.Shape[1..], theirs.Data), 1e-5));
            }

        // Training changed what the network sees: the first layer's maps differ between epoch 0 and epoch 2.
        Assert.NotEqual(history.Single(a => a.Epoch == 0 && a.Layer == 0).Output.Data, history.Single(a => a.Epoch == 2 && a.Layer == 0).Output.Data);
        Assert.Equal(2, stored.LoadedEpoch);
    }

    [Fact]
    public async Task Opening_an_epoch_loads_exactly_its_snapshot_and_missing_trials_or_epochs_are_named()
    {
        var data = TestData.SmallSplits();
        var plan = TestData.TinyCnn();
        var settings = new TrainingSettings { Epochs = 1, BatchSize = 32, Seed = 52, Threads = 1 };
        await using var store = await database.OpenAsync();
        var trial = await store.CreateTrialAsync(RecordedTrial.Definition(plan, "synthetic", settings, 0.1));
        using (var trained = Model.Create(plan, settings.Seed))
            new Trainer(settings).Run(trained, data, new TrialRecorder(store, trial));

        foreach (var epoch in new[] { 0, 1 })
        {
            using var stored = await StoredModel.OpenAsync(store, trial, epoch);
            var snapshot = Snapshots.ModelTensors(await store.ReadSnapshotAsync(trial, epoch)).ToDictionary(t => t.Name);
            Assert.All(stored.Model.State, t => Assert.Equal(snapshot[t.Name].Data, stored.Model.ReadBytes(t)));
        }

        var noEpoch = await Assert.ThrowsAsync<ArgumentException>(() => StoredModel.OpenAsync(store, trial, 7));
        Assert.Equal($"trial {trial} has no weight snapshot at epoch 7; the nearest stored is epoch 1 (stored: 0, 1)", noEpoch.Message);
        var noTrial = await Assert.ThrowsAsync<ArgumentException>(() => StoredModel.OpenAsync(store, 987_654));
        Assert.Equal("there is no trial 987654; see `experiments results list`", noTrial.Message);
    }
}
