using System.Text.Json;
using System.Text.Json.Serialization;

namespace Experiments.Store;

/// <summary>
/// How one snapshot becomes rows of weight_tensors (docs/schema.md#weight_tensors). Every row costs about 250 bytes
/// besides its data (heap tuple, name, shape, SHA-256, two index entries), which is 5–10% of a model made of many small
/// tensors (biases, BatchNorm parameters). So every tensor under <see cref="PackBelowBytes"/> goes into one packed row
/// per group: the model's small tensors into <see cref="ModelPackName"/>, the optimizer's into
/// <see cref="OptimizerPackName"/> (which starts with the optimizer prefix, so retention retires it with the rest of
/// the optimizer state). A packed row's bytes are its members' data concatenated in member order; its
/// <c>members</c> jsonb lists each member's name, ordinal, shape and dtype, from which the offsets follow.
/// </summary>
internal static class SnapshotPacking
{
    /// <summary>
    /// Tensors smaller than this are packed. At 64 KiB a row's ~250 bytes are under 0.4% of the tensor it holds; below
    /// it they weigh more, up to 100× the data for a 10-float bias.
    /// </summary>
    public const int PackBelowBytes = 64 * 1024;

    public const string PackedDType = "packed";
    public const string ModelPackName = "packed";
    public const string OptimizerPackName = ResultsStore.OptimizerTensorPrefix + "packed";

    /// <summary>One row to write: a tensor on its own (Members null) or a pack of small ones.</summary>
    public sealed record Row(int Ordinal, string Name, int[] Shape, string DType, byte[] Data, string? MembersJson);

    /// <summary>One tensor inside a packed row.</summary>
    public sealed record Member(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("ordinal")] int Ordinal,
        [property: JsonPropertyName("shape")] int[] Shape,
        [property: JsonPropertyName("dtype")] string DType);

    /// <summary>
    /// The rows for <paramref name="snapshot"/>, whose i-th tensor has ordinal i. A pack takes the ordinal of its first
    /// member, so ordinals stay unique per epoch; a group with a single small tensor is written as a plain row.
    /// </summary>
    public static IReadOnlyList<Row> ToRows(IReadOnlyList<TensorSnapshot> snapshot)
    {
        var rows = new List<Row>();
        var small = new Dictionary<string, List<int>> { [ModelPackName] = [], [OptimizerPackName] = [] };
        for (var i = 0; i < snapshot.Count; i++)
        {
            var tensor = snapshot[i];
            if (tensor.Data.Length >= PackBelowBytes) rows.Add(Plain(i, tensor));
            else small[tensor.Name.StartsWith(ResultsStore.OptimizerTensorPrefix, StringComparison.Ordinal) ? OptimizerPackName : ModelPackName].Add(i);
        }
        foreach (var (packName, ordinals) in small)
        {
            if (ordinals.Count == 1) rows.Add(Plain(ordinals[0], snapshot[ordinals[0]]));
            if (ordinals.Count < 2) continue;
            var data = new byte[ordinals.Sum(i => (long)snapshot[i].Data.Length)];
            var offset = 0;
            foreach (var i in ordinals)
            {
                snapshot[i].Data.CopyTo(data, offset);
                offset += snapshot[i].Data.Length;
            }
            var members = ordinals.Select(i => new Member(snapshot[i].Name, i, snapshot[i].Shape, snapshot[i].DType)).ToList();
            rows.Add(new Row(ordinals[0], packName, [data.Length], PackedDType, data, JsonSerializer.Serialize(members)));
        }
        rows.Sort((a, b) => a.Ordinal.CompareTo(b.Ordinal));
        return rows;
    }

    /// <summary>The tensors of one packed row, each with its ordinal, in member order.</summary>
    /// <exception cref="InvalidDataException">The members do not account for the row's bytes exactly.</exception>
    public static IEnumerable<(int Ordinal, TensorSnapshot Tensor)> Unpack(string rowName, byte[] data, string membersJson)
    {
        var members = JsonSerializer.Deserialize<List<Member>>(membersJson)
                      ?? throw new InvalidDataException($"Packed row '{rowName}' has no member list.");
        var offset = 0;
        var tensors = new List<(int, TensorSnapshot)>(members.Count);
        foreach (var member in members)
        {
            var length = checked((int)(member.Shape.Aggregate(1L, (n, d) => n * d) * TensorLayout.ElementSize(member.DType)));
            if (offset + length > data.Length)
                throw new InvalidDataException($"Packed row '{rowName}' is shorter than its members: '{member.Name}' ends past byte {data.Length}.");
            tensors.Add((member.Ordinal, new TensorSnapshot(member.Name, member.Shape, member.DType, data[offset..(offset + length)])));
            offset += length;
        }
        if (offset != data.Length)
            throw new InvalidDataException($"Packed row '{rowName}' holds {data.Length} bytes but its members account for {offset}.");
        return tensors;
    }

    private static Row Plain(int ordinal, TensorSnapshot tensor) => new(ordinal, tensor.Name, tensor.Shape, tensor.DType, tensor.Data, null);
}
