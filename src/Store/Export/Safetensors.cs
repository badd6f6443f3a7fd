using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Experiments.Store.Export;

/// <summary>
/// The safetensors file format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
/// naming every tensor's dtype, shape and byte range, then the raw little-endian tensor bytes. Metadata is a
/// string-to-string map under <c>__metadata__</c>.
/// </summary>
public static class Safetensors
{
    public static void Write(string path, IReadOnlyList<TensorSnapshot> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        using var file = File.Create(path);
        Write(file, tensors, metadata);
    }

    /// <summary>Writes the file to <paramref name="file"/> (a download, a file), leaving it open.</summary>
    public static void Write(Stream file, IReadOnlyList<TensorSnapshot> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new JsonObject { ["__metadata__"] = new JsonObject(metadata.Select(m => KeyValuePair.Create(m.Key, (JsonNode?)m.Value))) };
        long offset = 0;
        foreach (var tensor in tensors)
        {
            header[tensor.Name] = new JsonObject
            {
                ["dtype"] = DTypeCode(tensor.DType),
                ["shape"] = new JsonArray(tensor.Shape.Select(d => (JsonNode?)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + tensor.Data.LongLength),
            };
            offset += tensor.Data.LongLength;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        // The data should start 8-byte aligned; the format allows trailing spaces in the header for that.
        var padded = (json.Length + 7) / 8 * 8;
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        file.Write(length);
        file.Write(json);
        for (var i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
        foreach (var tensor in tensors) file.Write(tensor.Data);
    }

    public static (IReadOnlyList<TensorSnapshot> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: too short to be a safetensors file");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)bytes.Length - 8) throw new InvalidDataException($"{path}: header length {headerLength} exceeds the file");
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var dataStart = 8 + (int)headerLength;
        var tensors = new List<TensorSnapshot>();
        var metadata = new Dictionary<string, string>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (var m in entry.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                continue;
            }
            var range = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            tensors.Add(new TensorSnapshot(entry.Name,
                entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                DTypeName(entry.Value.GetProperty("dtype").GetString()),
                bytes.AsSpan(dataStart + (int)range[0], (int)(range[1] - range[0])).ToArray()));
        }
        return (tensors, metadata);
    }

    private static string DTypeCode(string dtype) => dtype switch
    {
        "float32" => "F32",
        "int64" => "I64",
        _ => throw new ArgumentException($"no safetensors dtype for '{dtype}'"),
    };

    private static string DTypeName(string? code) => code switch
    {
        "F32" => "float32",
        "I64" => "int64",
        _ => throw new InvalidDataException($"unsupported safetensors dtype '{code}'"),
    };
}
