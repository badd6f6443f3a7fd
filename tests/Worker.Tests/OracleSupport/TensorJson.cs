using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Experiments.Worker.Engine;

namespace Experiments.Worker.Tests.OracleSupport;

/// <summary>
/// Tensors as the oracle scripts exchange them (tests/oracle/oracle_io.py): shape, dtype and the little-endian
/// bytes in base64. Bytes rather than decimal text, so every float32 reaches PyTorch and comes back bit for bit.
/// </summary>
internal static class TensorJson
{
    public static JsonObject Encode(ReadOnlySpan<float> values, IReadOnlyList<int> shape) =>
        Encode(MemoryMarshal.AsBytes(values), shape, "float32");

    public static JsonObject Encode(ReadOnlySpan<long> values, IReadOnlyList<int> shape) =>
        Encode(MemoryMarshal.AsBytes(values), shape, "int64");

    public static JsonObject Encode(Tensor tensor) => Encode(tensor.Data, tensor.Shape);

    public static Tensor DecodeFloats(JsonNode node)
    {
        var (shape, bytes) = Decode(node, "float32");
        return new Tensor(shape, MemoryMarshal.Cast<byte, float>(bytes).ToArray());
    }

    public static long[] DecodeInt64s(JsonNode node) => MemoryMarshal.Cast<byte, long>(Decode(node, "int64").Bytes).ToArray();

    private static JsonObject Encode(ReadOnlySpan<byte> bytes, IReadOnlyList<int> shape, string dtype) => new()
    {
        ["shape"] = new JsonArray([.. shape.Select(d => (JsonNode)d)]),
        ["dtype"] = dtype,
        ["data"] = Convert.ToBase64String(bytes),
    };

    private static (int[] Shape, byte[] Bytes) Decode(JsonNode node, string dtype)
    {
        var actual = node["dtype"]!.GetValue<string>();
        if (actual != dtype) throw new InvalidOperationException($"expected a {dtype} tensor from the oracle, got {actual}");
        var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
        return (shape, Convert.FromBase64String(node["data"]!.GetValue<string>()));
    }
}
