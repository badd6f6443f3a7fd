using Experiments.Architectures;
using Experiments.Worker.Engine;

namespace Experiments.Worker.Interpretability;

/// <summary>One layer's output for one image at one epoch: <c>C × H × W</c> maps, or a vector for flat layers.</summary>
public sealed record LayerActivation(int Epoch, int Layer, string Label, Tensor Output);

/// <summary>
/// The feature maps of one image as the network saw it at each epoch (seed 000, Fig. 10–12), recomputed from the
/// stored snapshots rather than stored, so any image, layer and epoch can be revisited at no storage cost.
/// </summary>
public static class ActivationHistory
{
    /// <summary>
    /// The layers worth showing by default: every convolution's output (the feature maps), every activation
    /// (ReLU outputs) and every pooling output, as seed 000 shows them.
    /// </summary>
    public static IReadOnlyList<int> NamedLayers(ArchitecturePlan plan) =>
        [.. plan.Layers.Where(l => l.Layer is Conv2dLayer or ActivationLayer or PoolLayer or ResidualBlockLayer or BatchNormLayer && l.Output.Rank == 3)
            .Select(l => l.Index)];

    /// <summary>
    /// <paramref name="layers"/>' outputs for <paramref name="image"/> (<c>C × H × W</c>) at each of
    /// <paramref name="epochs"/> (default: every recorded epoch), epoch by epoch in the order given.
    /// </summary>
    /// <exception cref="ArgumentException">A layer or an epoch does not exist, or the image does not fit the model.</exception>
    public static async Task<IReadOnlyList<LayerActivation>> ComputeAsync(StoredModel stored, Tensor image, IReadOnlyList<int> layers,
        IReadOnlyList<int>? epochs = null, CancellationToken ct = default)
    {
        var plan = stored.Model.Plan;
        foreach (var layer in layers)
            if (layer < 0 || layer >= plan.Layers.Count) throw new ArgumentException(stored.Model.NoSuchLayer(layer));
        if (!image.Shape.SequenceEqual(plan.Input.Dims))
            throw new ArgumentException($"the image is {string.Join('×', image.Shape)}, but trial {stored.TrialId}'s model takes {plan.Input}");
        var batch = new Tensor([1, .. image.Shape], image.Data);
        if (layers.Count == 0) return [];

        var result = new List<LayerActivation>();
        foreach (var epoch in epochs ?? stored.Epochs)
        {
            await stored.LoadEpochAsync(epoch, ct);
            var outputs = stored.Model.Capture(batch, [.. layers]);
            for (var i = 0; i < layers.Count; i++)
            {
                var output = outputs[i];
                var planned = plan.Layers[layers[i]];
                result.Add(new LayerActivation(epoch, planned.Index, planned.Description, new Tensor(output.Shape[1..], output.Data)));
            }
        }
        return result;
    }
}
