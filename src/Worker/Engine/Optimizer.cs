namespace Experiments.Worker.Engine;

public enum OptimizerKind { Adam = 0, Sgd = 1 }

/// <summary>A torch.optim optimizer over all of a model's parameters.</summary>
public sealed class Optimizer : IDisposable
{
    private Optimizer(OptimizerHandle handle, double learningRate) { Handle = handle; LearningRate = learningRate; }

    internal OptimizerHandle Handle { get; }
    public double LearningRate { get; private set; }

    public static Optimizer Create(Model model, OptimizerSettings settings) =>
        new(NativeMethods.Check(NativeMethods.Exp_optimizer_create(model.Handle, (int)settings.Kind, settings.LearningRate, settings.Momentum,
            settings.WeightDecay, settings.Beta1, settings.Beta2, settings.Epsilon, settings.Nesterov ? 1 : 0)), settings.LearningRate);

    public void SetLearningRate(double learningRate)
    {
        NativeMethods.Check(NativeMethods.Exp_optimizer_set_learning_rate(Handle, learningRate));
        LearningRate = learningRate;
    }

    /// <summary>
    /// The optimizer's state (Adam's moments and step count, SGD's momentum buffers) as named tensors, so a trial can
    /// continue exactly where it stopped. Names are <c>"&lt;parameter&gt;.&lt;field&gt;"</c>, e.g. <c>"3.weight.exp_avg"</c>.
    /// </summary>
    public unsafe IReadOnlyList<NamedTensor> ExportState(Model model)
    {
        using var list = NativeMethods.Check(NativeMethods.Exp_optimizer_state_export(Handle, model.Handle));
        var count = NativeMethods.Check(NativeMethods.Exp_tensors_count(list));
        var result = new NamedTensor[count];
        var name = stackalloc byte[512];
        var shape = stackalloc long[8];
        for (var i = 0; i < count; i++)
        {
            NativeMethods.Check(NativeMethods.Exp_tensors_describe(list, i, name, 512, out var dtype));
            NativeMethods.Check(NativeMethods.Exp_tensors_shape(list, i, shape, 8, out var ndim));
            var dims = new int[ndim];
            for (var d = 0; d < ndim; d++) dims[d] = checked((int)shape[d]);
            var kind = dtype == 1 ? Architectures.TensorDType.Int64 : Architectures.TensorDType.Float32;
            var data = new byte[dims.Aggregate(1L, (a, d) => a * d) * (dtype == 1 ? sizeof(long) : sizeof(float))];
            fixed (byte* destination = data)
                NativeMethods.Check(NativeMethods.Exp_tensors_read_bytes(list, i, destination, data.LongLength));
            result[i] = new NamedTensor(System.Runtime.InteropServices.Marshal.PtrToStringUTF8((IntPtr)name) ?? "", dims, kind, data);
        }
        return result;
    }

    /// <summary>Restores state exported by <see cref="ExportState"/> (for the same architecture and optimizer kind).</summary>
    public unsafe void ImportState(Model model, IEnumerable<NamedTensor> state)
    {
        foreach (var tensor in state)
        {
            var shape = tensor.Shape.Select(d => (long)d).ToArray();
            fixed (byte* data = tensor.Data)
            fixed (long* dims = shape)
                NativeMethods.Check(NativeMethods.Exp_optimizer_state_import(Handle, model.Handle, tensor.Name, data, tensor.Data.LongLength,
                    tensor.DType == Architectures.TensorDType.Int64 ? 1 : 0, dims, shape.Length));
        }
    }

    public void Dispose() => Handle.Dispose();
}

/// <summary>
/// torch.optim's settings. Weight decay is L2 added to the gradient, as in <c>torch.optim.Adam(weight_decay=…)</c>;
/// Momentum and Nesterov apply to SGD, the betas and epsilon to Adam.
/// </summary>
public sealed record OptimizerSettings(
    OptimizerKind Kind = OptimizerKind.Adam,
    double LearningRate = 1e-3,
    double WeightDecay = 0,
    double Momentum = 0.9,
    bool Nesterov = false,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Epsilon = 1e-8);
