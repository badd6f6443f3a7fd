using System.Text.Json;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>`viz health` on a real trained trial whose stored epoch 2 is corrupted with one NaN weight, as seed 000 saw happen.</summary>
public sealed class Checking_health : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void A_nan_weight_is_flagged_in_the_weights_and_in_the_first_layer_whose_activations_it_reaches()
    {
        var train = _cli.Run("train", "--arch", "lenet-matconvnet", "--dataset", "synthetic", "--epochs", "3", "--limit", "500", "--json");
        Assert.True(train.ExitCode == 0, train.All);
        var clean = Health();
        Assert.True(clean.GetProperty("healthy").GetBoolean(), clean.ToString());
        Assert.Equal(0, clean.GetProperty("activations").GetArrayLength());

        // Epoch 2's first conv weight becomes NaN (float32 0x7FC00000, little-endian), with its checksum recomputed so
        // the store still trusts the row: exactly what a diverging update would have written. 0.weight (2,000 bytes) is
        // the first member of the epoch's packed row of small tensors, so its first float is that row's first 4 bytes.
        const string row = "trial_id = 1 and epoch = 2 and (name = '0.weight' or members->0->>'name' = '0.weight')";
        Assert.True(_cli.ExecuteSql(
            $"update weight_tensors set bytes = overlay(bytes placing '\\x0000c07f'::bytea from 1 for 4) where {row}; " +
            $"update weight_tensors set checksum = sha256(bytes) where {row}") > 0);

        var sick = Health();
        Assert.False(sick.GetProperty("healthy").GetBoolean());
        var weights = Assert.Single(sick.GetProperty("report").GetProperty("nonFinite").EnumerateArray());
        Assert.Equal((2, "0.weight", 1), (weights.GetProperty("epoch").GetInt32(), weights.GetProperty("tensor").GetString(), weights.GetProperty("naNs").GetInt32()));
        // Only epoch 2's forward pass breaks, and it breaks at layer 0, the corrupted convolution itself.
        var activation = Assert.Single(sick.GetProperty("activations").EnumerateArray());
        Assert.Equal((2, 0), (activation.GetProperty("epoch").GetInt32(), activation.GetProperty("layer").GetInt32()));
        Assert.True(activation.GetProperty("naNs").GetInt64() > 0);
    }

    private JsonElement Health()
    {
        var run = _cli.Run("viz", "health", "--trial", "1", "--json");
        Assert.True(run.ExitCode == 0, run.All);
        return JsonDocument.Parse(run.Output).RootElement.Clone();
    }

    public void Dispose() => _cli.Dispose();
}
