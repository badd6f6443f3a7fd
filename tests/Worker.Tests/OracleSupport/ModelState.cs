using System.Text.Json.Nodes;
using Experiments.Worker.Engine;

namespace Experiments.Worker.Tests.OracleSupport;

/// <summary>A model's whole state (parameters and buffers): randomised for a test, and sent to PyTorch by name.</summary>
internal static class ModelState
{
    /// <summary>
    /// Writes seeded random values into every state tensor. Weights get variance 1/fan-in, so activations keep
    /// their scale through a deep model; batch-norm statistics and affine terms are far from their 0/1 defaults,
    /// so a layer that ignored one of them would be caught.
    /// </summary>
    public static void Randomise(Model model, Random random)
    {
        foreach (var tensor in model.State)
        {
            if (tensor.DType == Architectures.TensorDType.Int64)
            {
                // num_batches_tracked: unused in evaluation, but it must still load under strict=True.
                model.Write(tensor.Name, [random.NextInt64(0, 1_000)]);
                continue;
            }
            model.Write(tensor.Name, Values(tensor, random));
        }
    }

    /// <summary>Every state tensor as the engine holds it now, keyed by its state-dict name.</summary>
    public static JsonObject ToJson(Model model)
    {
        var state = new JsonObject();
        foreach (var tensor in model.State)
            state[tensor.Name] = tensor.DType == Architectures.TensorDType.Int64
                ? TensorJson.Encode(model.ReadInt64s(tensor.Name), tensor.Shape)
                : TensorJson.Encode(model.ReadFloats(tensor.Name), tensor.Shape);
        return state;
    }

    private static float[] Values(StateTensor tensor, Random random)
    {
        var name = tensor.Name;
        if (name.EndsWith("running_var", StringComparison.Ordinal)) return RandomValues.Uniform(random, tensor.Elements, 0.25, 2.0);
        if (name.EndsWith("running_mean", StringComparison.Ordinal)) return RandomValues.Symmetric(random, tensor.Elements, 0.5);
        if (name.EndsWith("bias", StringComparison.Ordinal)) return RandomValues.Symmetric(random, tensor.Elements, 0.5);
        if (tensor.Shape.Length == 1) return RandomValues.Uniform(random, tensor.Elements, 0.5, 1.5); // batch-norm γ
        var fanIn = tensor.Shape.Skip(1).Aggregate(1L, (a, d) => a * d);
        return RandomValues.Symmetric(random, tensor.Elements, Math.Sqrt(3.0 / fanIn));
    }
}
