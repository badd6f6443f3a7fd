using Experiments.Architectures;
using Experiments.Worker.Engine;

namespace Experiments.Worker.Interpretability;

/// <summary>Where NaN or infinite values first appear in the forward pass at one epoch (every later layer inherits them).</summary>
public sealed record NonFiniteActivations(int Epoch, int Layer, string Label, int Images, long NaNs, long Infinities);

/// <summary>
/// The activation half of `viz health` (seed 000 saw NaNs appear during training): a few images are passed through
/// every layer at every recorded epoch, and the first layer whose output holds NaN or infinity is reported.
/// Weights alone can look finite while activations overflow, so both are checked.
/// </summary>
public static class ActivationHealth
{
    public static async Task<IReadOnlyList<NonFiniteActivations>> ExamineAsync(StoredModel stored, IReadOnlyList<Tensor> images, CancellationToken ct = default)
    {
        if (images.Count == 0) return [];
        var plan = stored.Model.Plan;
        var shape = images[0].Shape;
        var batch = new Tensor([images.Count, .. shape], [.. images.SelectMany(i => i.Data)]);
        var layers = Enumerable.Range(0, plan.Layers.Count).ToArray();
        var found = new List<NonFiniteActivations>();
        foreach (var epoch in stored.Epochs)
        {
            await stored.LoadEpochAsync(epoch, ct);
            var outputs = stored.Model.Forward(batch, layers);
            for (var i = 0; i < layers.Length; i++)
            {
                long nans = 0, infinities = 0;
                foreach (var value in outputs[i].Data)
                {
                    if (float.IsNaN(value)) nans++;
                    else if (float.IsInfinity(value)) infinities++;
                }
                if (nans + infinities == 0) continue;
                found.Add(new NonFiniteActivations(epoch, i, plan.Layers[i].Description, images.Count, nans, infinities));
                break;
            }
        }
        return found;
    }
}
