using System.Runtime.InteropServices;
using Experiments.Store;

namespace Experiments.Visualization.Snapshots;

/// <summary>A float32 tensor of a stored snapshot, decoded: its state-dict name, shape and values (C-contiguous).</summary>
public sealed record WeightTensor(string Name, int[] Shape, float[] Values)
{
    /// <summary>Decodes a stored float32 tensor (little-endian, as the store keeps them).</summary>
    public static WeightTensor From(TensorSnapshot snapshot)
    {
        if (snapshot.DType != "float32")
            throw new ArgumentException($"tensor '{snapshot.Name}' is {snapshot.DType}, not float32");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("snapshots are little-endian");
        return new WeightTensor(snapshot.Name, snapshot.Shape, MemoryMarshal.Cast<byte, float>(snapshot.Data).ToArray());
    }

    /// <summary>Conv weights are OIHW: out channels (filters), in channels, kernel height, kernel width.</summary>
    public bool IsConvWeight => Shape.Length == 4 && Name.EndsWith(".weight", StringComparison.Ordinal);

    /// <summary>Linear weights are [out, in]: one row per unit.</summary>
    public bool IsLinearWeight => Shape.Length == 2 && Name.EndsWith(".weight", StringComparison.Ordinal);

    /// <summary>Elements per output filter or unit (I·kH·kW for a conv, in-features for a linear layer).</summary>
    public int FilterLength => Shape.Length == 0 ? 1 : Values.Length / Shape[0];

    public ReadOnlySpan<float> Filter(int index) => Values.AsSpan(index * FilterLength, FilterLength);
}

/// <summary>One epoch's stored snapshot.</summary>
public sealed record EpochSnapshot(int Epoch, IReadOnlyList<TensorSnapshot> Tensors)
{
    /// <summary>The model's float32 tensors (the optimizer's state and integer buffers left out).</summary>
    public IEnumerable<WeightTensor> ModelWeights() =>
        Tensors.Where(t => !t.Name.StartsWith("optimizer/", StringComparison.Ordinal) && t.DType == "float32").Select(WeightTensor.From);
}

/// <summary>Finding a layer's weight tensor by what a user types: "3", "3.weight", or the tensor's full name.</summary>
public static class LayerNames
{
    /// <summary>
    /// The weight tensor's name for <paramref name="layer"/>, if that layer has one of the shape <paramref name="kind"/>
    /// layers have. <paramref name="layerLabels"/> (each layer of the architecture in words, by index; see
    /// <see cref="LabelsAsync"/>) lets the message name a layer that has no weights, such as a pooling layer.
    /// </summary>
    /// <exception cref="ArgumentException">No such layer, or not a <paramref name="kind"/> layer; the message lists those that are.</exception>
    public static string ResolveWeight(string layer, IReadOnlyCollection<TensorSnapshot> snapshot, Func<int[], bool> acceptShape, string kind,
        IReadOnlyList<string>? layerLabels = null)
    {
        var names = snapshot.Where(t => !t.Name.StartsWith("optimizer/", StringComparison.Ordinal)).ToDictionary(t => t.Name);
        var candidates = new[] { layer, layer + ".weight" };
        foreach (var name in candidates)
            if (names.TryGetValue(name, out var tensor) && acceptShape(tensor.Shape)) return name;
        var suitable = names.Values.Where(t => t.Name.EndsWith(".weight", StringComparison.Ordinal) && acceptShape(t.Shape))
            .Select(t => $"{t.Name[..^".weight".Length]} ({string.Join('×', t.Shape)})").ToList();
        var found = candidates.FirstOrDefault(names.ContainsKey);
        var index = int.TryParse(layer.EndsWith(".weight", StringComparison.Ordinal) ? layer[..^".weight".Length] : layer,
            System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) ? i : (int?)null;
        var problem = (found, index, layerLabels) switch
        {
            (not null, _, _) => $"layer '{layer}' ({string.Join('×', names[found].Shape)}) is not a {kind} layer",
            (null, { } at, { } labels) when at < labels.Count => $"layer {at} is a {labels[at]} layer, not a {kind} layer",
            (null, { } at, { Count: > 0 } labels) => $"there is no layer {at}: the model has layers {Architectures.RangeText.Indices(labels.Count)}",
            _ => $"there is no layer '{layer}'",
        };
        throw new ArgumentException(suitable.Count == 0
            ? $"{problem}, and this model has no {kind} layers"
            : $"{problem}; the {kind} layers are {string.Join(", ", suitable)}");
    }

    /// <summary>
    /// Each layer of trial <paramref name="trial"/>'s architecture in words, by index (e.g. "maxpool 2×2 s2 p0"), from its
    /// stored spec; null when the spec is missing or no longer reads (the messages then name tensors only).
    /// </summary>
    public static async Task<IReadOnlyList<string>?> LabelsAsync(ResultsStore store, long trial, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (await store.GetArchitectureSpecAsync(trial, ct) is not { } spec) return null;
        try
        {
            var architecture = Architectures.ArchitectureReader.Parse(spec, $"trial {trial}'s architecture spec");
            try
            {
                // Planned on the architecture's own input, each layer reads as `model show` writes it.
                return [.. Architectures.ShapeInference.Plan(architecture).Layers.Select(l => l.Description)];
            }
            catch (Architectures.ArchitectureException)
            {
                // The trial ran on another input, one its own does not fit: the layers without their input widths.
                return [.. architecture.Layers.Select(l => Architectures.LayerDescriptions.Describe(l))];
            }
        }
        catch (Exception e) when (e is Architectures.SpecException or Architectures.ArchitectureException)
        {
            return null;
        }
    }
}
