using Experiments.Architectures;
using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Training;

namespace Experiments.Worker.Recording;

/// <summary>
/// Converts between the engine's state and a stored epoch snapshot. A snapshot holds every model tensor under its
/// PyTorch state-dict name, and the optimizer's state under <see cref="OptimizerPrefix"/> (state-dict names start
/// with a digit, so the two never collide); together they let a trial resume exactly. The store keeps the optimizer's
/// state of a trial's latest epoch only (see <see cref="SnapshotPolicy"/>).
/// </summary>
public static class Snapshots
{
    public const string OptimizerPrefix = ResultsStore.OptimizerTensorPrefix;

    public static IReadOnlyList<TensorSnapshot> Capture(Model model, Optimizer optimizer) =>
    [
        .. model.State.Select(t => new TensorSnapshot(t.Name, t.Shape, DTypeName(t.DType), model.ReadBytes(t))),
        .. optimizer.ExportState(model).Select(t => new TensorSnapshot(OptimizerPrefix + t.Name, t.Shape, DTypeName(t.DType), t.Data)),
    ];

    /// <summary>Only the model's tensors, as PyTorch's state dict has them.</summary>
    public static IEnumerable<TensorSnapshot> ModelTensors(IEnumerable<TensorSnapshot> snapshot) =>
        snapshot.Where(t => !t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal));

    /// <summary>Writes a snapshot's model tensors into <paramref name="model"/> and returns where training resumes.</summary>
    public static ResumePoint Restore(Model model, int epoch, IReadOnlyList<TensorSnapshot> snapshot)
    {
        var stored = ModelTensors(snapshot).ToDictionary(t => t.Name);
        foreach (var tensor in model.State)
        {
            if (!stored.TryGetValue(tensor.Name, out var saved))
                throw new InvalidDataException($"the snapshot of epoch {epoch} has no tensor '{tensor.Name}'");
            if (!saved.Shape.SequenceEqual(tensor.Shape) || saved.Data.LongLength != tensor.Bytes)
                throw new InvalidDataException($"the snapshot's '{tensor.Name}' is {string.Join('×', saved.Shape)}, the model's is {string.Join('×', tensor.Shape)}");
            model.WriteBytes(tensor, saved.Data);
        }
        var optimizerState = snapshot
            .Where(t => t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            .Select(t => new NamedTensor(t.Name[OptimizerPrefix.Length..], t.Shape, DType(t.DType), t.Data))
            .ToList();
        return new ResumePoint(epoch, optimizerState);
    }

    public static EpochRecord ToRecord(EpochMetrics m) => new(m.Epoch, m.LearningRate, Figures(m.Train), Figures(m.Validation), Figures(m.Test), m.Seconds, m.ImagesPerSecond);

    private static SplitFigures? Figures(SplitMetrics? s) => s is null ? null : new SplitFigures(s.Loss, s.Accuracy, s.Samples);

    private static string DTypeName(TensorDType dtype) => dtype == TensorDType.Int64 ? "int64" : "float32";

    private static TensorDType DType(string name) => name == "int64" ? TensorDType.Int64 : TensorDType.Float32;
}
