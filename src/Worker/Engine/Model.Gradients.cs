namespace Experiments.Worker.Engine;

/// <summary>
/// What attribution needs from one evaluation-mode forward and backward pass (see <see cref="Model.ClassGradients"/>).
/// Each sample's score is its pre-softmax logit of its chosen class.
/// </summary>
/// <param name="Logits">The model's output, <c>n × classes</c>.</param>
/// <param name="InputGradient">d(score)/d(input), in the input's shape.</param>
/// <param name="Activation">The chosen layer's output, or null when no layer was asked for.</param>
/// <param name="ActivationGradient">d(score)/d(that output), in its shape, or null when no layer was asked for.</param>
public sealed record ClassGradients(Tensor Logits, Tensor InputGradient, Tensor? Activation, Tensor? ActivationGradient);

public sealed partial class Model
{
    /// <summary>
    /// Gradients of class scores for a batch: sample <c>i</c>'s score is its pre-softmax logit of class
    /// <paramref name="classes"/>[i]. Logits rather than softmax probabilities, as Simonyan et al. and Grad-CAM use,
    /// because a probability's gradient also pushes the other classes down. When <paramref name="layer"/> is given,
    /// also returns that top-level layer's output and the score's gradient with respect to it.
    /// The model's weights, running statistics and training mode are left exactly as they were.
    /// </summary>
    /// <exception cref="NativeEngineException">The layer or a class does not exist, or there is not one class per sample;
    /// the engine's message says which. Callers facing users check first (see <c>Attribution</c>) to say it better.</exception>
    public unsafe ClassGradients ClassGradients(Tensor input, IReadOnlyList<int> classes, int? layer = null)
    {
        var shape = input.Shape.Select(d => (long)d).ToArray();
        var targets = classes.ToArray();
        TensorListHandle list;
        fixed (float* data = input.Data)
        fixed (long* dims = shape)
        fixed (int* wanted = targets)
            list = NativeMethods.Check(NativeMethods.Exp_model_class_gradients(Handle, data, dims, shape.Length, layer ?? -1, wanted, targets.Length));
        using (list)
        {
            var tensors = ReadTensorList(list);
            return layer is null
                ? new ClassGradients(tensors[0], tensors[1], null, null)
                : new ClassGradients(tensors[0], tensors[1], tensors[2], tensors[3]);
        }
    }

    /// <summary>The message for a layer index the model does not have, listing the ones it has.</summary>
    public string NoSuchLayer(int layer) =>
        $"layer {layer} does not exist: {Plan.Architecture.Name} has layers {Architectures.RangeText.Indices(Plan.Layers.Count)} " +
        $"({string.Join(", ", Plan.Layers.Select(l => $"{l.Index} {l.Description}"))}).";
}
