using System.Text.Json;
using Experiments.Architectures;
using Experiments.Store;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Datasets;

namespace Experiments.Worker.Interpretability;

/// <summary>
/// A recorded trial's model, rebuilt from the store (its architecture spec and input shape) with any epoch's
/// snapshot loaded on demand. One engine model serves every epoch: loading an epoch overwrites the weights, so going
/// through all epochs costs one snapshot read each and no activations are ever stored.
/// </summary>
public sealed class StoredModel : IDisposable
{
    private readonly ResultsStore _store;

    private StoredModel(ResultsStore store, long trialId, Model model, IReadOnlyList<int> epochs)
    {
        _store = store;
        TrialId = trialId;
        Model = model;
        Epochs = epochs;
    }

    public long TrialId { get; }
    public Model Model { get; }

    /// <summary>The trial's epochs that have a snapshot, ascending (0 is the untrained model).</summary>
    public IReadOnlyList<int> Epochs { get; }

    /// <summary>The epoch whose weights the model holds now; null before the first <see cref="LoadEpochAsync"/>.</summary>
    public int? LoadedEpoch { get; private set; }

    /// <summary>Rebuilds trial <paramref name="trialId"/>'s model, without loading any weights yet.</summary>
    /// <exception cref="ArgumentException">The store has no such trial, or it has no recorded epoch.</exception>
    public static async Task<StoredModel> OpenAsync(ResultsStore store, long trialId, CancellationToken ct = default)
    {
        var row = await store.GetTrialAsync(trialId, ct) ?? throw new ArgumentException($"there is no trial {trialId}; see `{ExperimentsCommand.Name} results list`");
        var spec = await store.GetArchitectureSpecAsync(trialId, ct) ?? throw new ArgumentException($"trial {trialId} has no architecture spec");
        var architecture = ArchitectureReader.Parse(spec, $"trial {trialId}'s architecture spec", row.Architecture);
        // Older sweep trials did not record their input; their dataset's image shape is what they were planned for.
        var input = RecordedInput(row.HyperparametersJson)
            ?? (Datasets.DatasetCatalog.TryGet(row.Dataset, out var dataset) ? dataset.SampleShape : architecture.Input)
            ?? throw new ArgumentException($"trial {trialId} records no input shape");
        var plan = ShapeInference.Plan(architecture, input);
        // A diverged epoch is recorded without a snapshot (its weights are not finite), so it has nothing to draw.
        var epochs = (await store.SnapshotEpochsAsync(trialId, ct)).ToList();
        if (epochs.Count == 0) throw new ArgumentException($"trial {trialId} has no recorded epoch yet");
        return new StoredModel(store, trialId, Model.Create(plan, (ulong)row.Seed), epochs);
    }

    /// <summary>
    /// Opens the trial and loads <paramref name="epoch"/> in one step. There is no default: which epoch a figure shows
    /// is chosen in one place, Experiments.Visualization.FigureEpoch (the best one unless asked otherwise).
    /// </summary>
    public static async Task<StoredModel> OpenAsync(ResultsStore store, long trialId, int epoch, CancellationToken ct = default)
    {
        var opened = await OpenAsync(store, trialId, ct);
        try
        {
            await opened.LoadEpochAsync(epoch, ct);
            return opened;
        }
        catch
        {
            opened.Dispose();
            throw;
        }
    }

    /// <summary>Writes epoch <paramref name="epoch"/>'s snapshot into <see cref="Model"/>.</summary>
    /// <exception cref="ArgumentException">The trial has no snapshot for that epoch.</exception>
    public async Task LoadEpochAsync(int epoch, CancellationToken ct = default)
    {
        if (LoadedEpoch == epoch) return;
        var snapshot = await _store.ReadSnapshotAsync(TrialId, epoch, ct);
        if (snapshot.Count == 0)
            throw new ArgumentException(StoredSnapshots.Missing(TrialId, epoch, Epochs));
        Snapshots.Restore(Model, epoch, snapshot);
        LoadedEpoch = epoch;
    }

    public void Dispose() => Model.Dispose();

    // The trainer records the input it planned for under "input" (RecordedTrial.Definition), which may differ from
    // the architecture's default input (e.g. a CIFAR network trained on MNIST-sized images).
    private static TensorShape? RecordedInput(string hyperparametersJson)
    {
        using var document = JsonDocument.Parse(hyperparametersJson);
        return document.RootElement.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Array
            ? new TensorShape([.. input.EnumerateArray().Select(d => d.GetInt32())])
            : null;
    }
}
