using System.Runtime.InteropServices;
using System.Text;
using Experiments.Architectures;

namespace Experiments.Worker.Engine;

/// <summary>
/// A model living in the libtorch engine, built from a checked <see cref="ArchitecturePlan"/>. Its state (parameters
/// and buffers) is addressed by PyTorch state-dict names such as <c>"3.weight"</c>, in PyTorch's layouts.
/// </summary>
public sealed partial class Model : IDisposable
{
    private readonly Dictionary<string, StateTensor> _byName;

    private Model(ModelHandle handle, ArchitecturePlan plan, Device device, ulong seed)
    {
        Handle = handle;
        Plan = plan;
        Device = device;
        Seed = seed;
        State = ReadStateInfo(handle);
        _byName = State.ToDictionary(t => t.Name);
        EnsureStateMatchesPlan();
    }

    internal ModelHandle Handle { get; }
    public ArchitecturePlan Plan { get; }
    public Device Device { get; }
    public ulong Seed { get; }

    /// <summary>Every state tensor, in PyTorch <c>state_dict()</c> order.</summary>
    public IReadOnlyList<StateTensor> State { get; }

    /// <summary>Builds the model with PyTorch's default initialisation, drawn from <paramref name="seed"/>.</summary>
    public static Model Create(ArchitecturePlan plan, ulong seed, Device? device = null)
    {
        var target = device ?? Device.Cpu;
        var handle = NativeMethods.Check(NativeMethods.Exp_model_create(NativeModelSpec.Encode(plan), (int)target.Kind, target.Index, seed));
        return new Model(handle, plan, target, seed);
    }

    public StateTensor this[string name] =>
        _byName.TryGetValue(name, out var tensor)
            ? tensor
            : throw new KeyNotFoundException($"the model has no tensor '{name}'; it has {string.Join(", ", State.Select(t => t.Name))}");

    public float[] ReadFloats(string name)
    {
        var tensor = Expect(name, TensorDType.Float32);
        var values = new float[tensor.Elements];
        ReadInto(tensor, values.AsSpan());
        return values;
    }

    public long[] ReadInt64s(string name)
    {
        var tensor = Expect(name, TensorDType.Int64);
        var values = new long[tensor.Elements];
        ReadInto(tensor, values.AsSpan());
        return values;
    }

    public void Write(string name, ReadOnlySpan<float> values) => WriteFrom(Expect(name, TensorDType.Float32), values);

    public void Write(string name, ReadOnlySpan<long> values) => WriteFrom(Expect(name, TensorDType.Int64), values);

    /// <summary>A state tensor's raw little-endian bytes, whatever its dtype (for snapshots).</summary>
    public byte[] ReadBytes(StateTensor tensor)
    {
        var bytes = new byte[tensor.Bytes];
        ReadInto(tensor, bytes.AsSpan());
        return bytes;
    }

    public void WriteBytes(StateTensor tensor, ReadOnlySpan<byte> bytes) => WriteFrom(tensor, bytes);

    /// <summary>
    /// Evaluation-mode forward pass of one batch. Returns the outputs of <paramref name="captureLayers"/> (top-level
    /// layer indices, in the order asked) followed by the model's output.
    /// </summary>
    public IReadOnlyList<Tensor> Forward(Tensor input, params int[] captureLayers) => Pass(input, captureLayers, throughOutput: true);

    /// <summary>
    /// Evaluation-mode outputs of <paramref name="layers"/> (top-level layer indices, at least one; in the order asked)
    /// for one batch, running the layers only as far as the last of them: the same values <see cref="Forward"/> captures,
    /// without the cost of the layers after (for an early layer of a deep model, most of the pass).
    /// </summary>
    public IReadOnlyList<Tensor> Capture(Tensor input, params int[] layers)
    {
        ArgumentOutOfRangeException.ThrowIfZero(layers.Length, nameof(layers));
        return Pass(input, layers, throughOutput: false);
    }

    private unsafe IReadOnlyList<Tensor> Pass(Tensor input, int[] captureLayers, bool throughOutput)
    {
        var shape = input.Shape.Select(d => (long)d).ToArray();
        TensorListHandle list;
        fixed (float* data = input.Data)
        fixed (long* dims = shape)
        fixed (int* capture = captureLayers)
            list = NativeMethods.Check(throughOutput
                ? NativeMethods.Exp_model_forward(Handle, data, dims, shape.Length, capture, captureLayers.Length)
                : NativeMethods.Exp_model_capture(Handle, data, dims, shape.Length, capture, captureLayers.Length));
        using (list)
            return ReadTensorList(list);
    }

    /// <summary>Evaluation-mode logits for a whole split: <c>Count × classes</c> values, row-major.</summary>
    public float[] Predict(NativeDataset data, int batchSize = DefaultPredictionBatch) => Predict([data], batchSize)[0];

    /// <summary>
    /// Evaluation-mode logits of several whole splits in one native call, without autograd: for split i,
    /// <c>splits[i].Count × classes</c> values, row-major. Each split is cut into batches of <paramref name="batchSize"/>
    /// from its start, as when it is evaluated alone.
    /// </summary>
    public unsafe float[][] Predict(IReadOnlyList<NativeDataset> splits, int batchSize = DefaultPredictionBatch)
    {
        var classes = checked((int)Plan.Output.Elements);
        var logits = splits.Select(s => new float[(long)s.Count * classes]).ToArray();
        var datasets = new IntPtr[splits.Count];
        var destinations = new IntPtr[splits.Count];
        var capacities = logits.Select(l => l.LongLength).ToArray();
        var referenced = new bool[splits.Count];
        var pins = new GCHandle[splits.Count];
        try
        {
            // The handles stay referenced (not released by a finaliser) and the arrays pinned for the call's duration.
            for (var i = 0; i < splits.Count; i++)
            {
                splits[i].Handle.DangerousAddRef(ref referenced[i]);
                datasets[i] = splits[i].Handle.DangerousGetHandle();
                pins[i] = GCHandle.Alloc(logits[i], GCHandleType.Pinned);
                destinations[i] = pins[i].AddrOfPinnedObject();
            }
            fixed (IntPtr* handles = datasets)
            fixed (IntPtr* outputs = destinations)
            fixed (long* sizes = capacities)
                NativeMethods.Check(NativeMethods.Exp_model_predict_splits(Handle, handles, splits.Count, batchSize, outputs, sizes));
        }
        finally
        {
            for (var i = 0; i < splits.Count; i++)
            {
                if (pins[i].IsAllocated) pins[i].Free();
                if (referenced[i]) splits[i].Handle.DangerousRelease();
            }
        }
        return logits;
    }

    /// <summary>
    /// Images per evaluation batch, the size every recorded epoch has been evaluated with. Changing it can change the
    /// logits in their last bits (oneDNN may choose another convolution kernel for another batch shape: a batch of 7
    /// differed from one of 256 by about 3e-8), and with them the recorded losses.
    /// </summary>
    public const int DefaultPredictionBatch = 256;

    public void Dispose() => Handle.Dispose();

    private StateTensor Expect(string name, TensorDType dtype)
    {
        var tensor = this[name];
        if (tensor.DType != dtype)
            throw new ArgumentException($"tensor '{name}' holds {tensor.DType}, not {dtype}.", nameof(name));
        return tensor;
    }

    private unsafe void ReadInto<T>(StateTensor tensor, Span<T> destination) where T : unmanaged
    {
        fixed (T* pointer = destination)
            NativeMethods.Check(NativeMethods.Exp_model_state_read(Handle, tensor.Index, pointer, (long)destination.Length * sizeof(T)));
    }

    private unsafe void WriteFrom<T>(StateTensor tensor, ReadOnlySpan<T> source) where T : unmanaged
    {
        fixed (T* pointer = source)
            NativeMethods.Check(NativeMethods.Exp_model_state_write(Handle, tensor.Index, pointer, (long)source.Length * sizeof(T)));
    }

    private static unsafe IReadOnlyList<StateTensor> ReadStateInfo(ModelHandle handle)
    {
        var count = NativeMethods.Check(NativeMethods.Exp_model_state_count(handle));
        var result = new List<StateTensor>(count);
        var name = stackalloc byte[512];
        var shape = stackalloc long[8];
        for (var i = 0; i < count; i++)
        {
            NativeMethods.Check(NativeMethods.Exp_model_state_info(handle, i, name, 512, shape, 8, out var ndim, out var dtype));
            var dims = new int[ndim];
            for (var d = 0; d < ndim; d++) dims[d] = checked((int)shape[d]);
            var text = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(name, 512)[..new ReadOnlySpan<byte>(name, 512).IndexOf((byte)0)]);
            result.Add(new StateTensor(i, text, dims, dtype == 1 ? TensorDType.Int64 : TensorDType.Float32));
        }
        return result;
    }

    internal static unsafe IReadOnlyList<Tensor> ReadTensorList(TensorListHandle list)
    {
        var count = NativeMethods.Check(NativeMethods.Exp_tensors_count(list));
        var result = new Tensor[count];
        var shape = stackalloc long[8];
        for (var i = 0; i < count; i++)
        {
            NativeMethods.Check(NativeMethods.Exp_tensors_shape(list, i, shape, 8, out var ndim));
            var dims = new int[ndim];
            for (var d = 0; d < ndim; d++) dims[d] = checked((int)shape[d]);
            var data = new float[dims.Aggregate(1L, (a, d) => a * d)];
            fixed (float* destination = data)
                NativeMethods.Check(NativeMethods.Exp_tensors_read(list, i, destination, data.LongLength));
            result[i] = new Tensor(dims, data);
        }
        return result;
    }

    // The plan (C#) and the engine (C++) each know the state layout; a disagreement would silently break
    // snapshots and PyTorch interop, so it fails loudly here instead.
    private void EnsureStateMatchesPlan()
    {
        var planned = Plan.Tensors.ToList();
        var mismatch = planned.Count != State.Count
            || planned.Zip(State).Any(p => p.First.Name != p.Second.Name || !p.First.Shape.SequenceEqual(p.Second.Shape) || p.First.DType != p.Second.DType);
        if (mismatch)
            throw new NativeEngineException(
                $"the engine's state for '{Plan.Architecture.Name}' does not match its plan: engine has [{string.Join(", ", State.Select(s => $"{s.Name}:{string.Join('×', s.Shape)}"))}], " +
                $"plan has [{string.Join(", ", planned.Select(p => $"{p.Name}:{string.Join('×', p.Shape)}"))}]");
    }
}
