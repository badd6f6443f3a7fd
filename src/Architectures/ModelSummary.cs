using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Experiments.Architectures;

/// <summary>
/// What <c>experiments model show</c> prints: the plan flattened into plain data, stable as JSON
/// (schema in docs/architectures.md).
/// </summary>
public sealed record ModelSummary(
    string Architecture,
    string? Description,
    IReadOnlyList<int> Input,
    IReadOnlyList<int> Output,
    long Parameters,
    IReadOnlyList<LayerSummary> Layers)
{
    private static readonly JsonSerializerOptions _json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new InlineShapeConverter() },
    };

    public static ModelSummary From(ArchitecturePlan plan) => new(
        plan.Architecture.Name,
        plan.Architecture.Description,
        plan.Input.Dims,
        plan.Output.Dims,
        plan.Parameters,
        plan.Layers.Select(l => new LayerSummary(
            l.Index,
            l.Layer.Type,
            l.Description,
            l.Input.Dims,
            l.Output.Dims,
            l.Parameters,
            l.Tensors.Select(t => new TensorSummary(t.Name, t.Shape, DTypeName(t.DType), t.IsBuffer)).ToArray())).ToArray());

    public string ToJson() => JsonSerializer.Serialize(this, _json);

    public static ModelSummary FromJson(string json) =>
        JsonSerializer.Deserialize<ModelSummary>(json, _json) ?? throw new JsonException("empty model summary");

    /// <summary>A plain-text table for terminals without JSON: index, description, output shape, parameters.</summary>
    public string ToText()
    {
        var rows = Layers.Select(l => (Index: l.Index.ToString(CultureInfo.InvariantCulture), l.Description, Output: Shape(l.Output), Parameters: Count(l.Parameters))).ToList();
        var descriptionWidth = Math.Max("layer".Length, rows.Max(r => r.Description.Length));
        var outputWidth = Math.Max("output".Length, rows.Max(r => r.Output.Length));
        var indexWidth = Math.Max(1, rows.Max(r => r.Index.Length));
        var text = new StringBuilder();
        text.AppendLine($"{Architecture}: {Shape(Input)} → {Shape(Output)}, {Count(Parameters)} parameters");
        text.AppendLine($"{"#".PadLeft(indexWidth)}  {"layer".PadRight(descriptionWidth)}  {"output".PadRight(outputWidth)}  parameters");
        foreach (var row in rows)
            text.AppendLine($"{row.Index.PadLeft(indexWidth)}  {row.Description.PadRight(descriptionWidth)}  {row.Output.PadRight(outputWidth)}  {row.Parameters}");
        return text.ToString();
    }

    /// <summary>PyTorch's dtype spelling, so summaries compare directly with <c>state_dict()</c>.</summary>
    public static string DTypeName(TensorDType dtype) => dtype switch
    {
        TensorDType.Int64 => "int64",
        _ => "float32",
    };

    private static string Shape(IReadOnlyList<int> dims) => string.Join('×', dims);
    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}

public sealed record LayerSummary(
    int Index,
    string Type,
    string Description,
    IReadOnlyList<int> Input,
    IReadOnlyList<int> Output,
    long Parameters,
    IReadOnlyList<TensorSummary> Tensors);

/// <summary>One state-dict entry. <c>Buffer</c> marks running statistics, which are saved but not trained.</summary>
public sealed record TensorSummary(string Name, IReadOnlyList<int> Shape, string Dtype, bool Buffer);

/// <summary>Writes shapes on one line (<c>[32, 3, 5, 5]</c>) inside indented JSON, where one number per line would bury them.</summary>
internal sealed class InlineShapeConverter : JsonConverter<IReadOnlyList<int>>
{
    public override IReadOnlyList<int> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<int[]>(ref reader) ?? [];

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<int> value, JsonSerializerOptions options) =>
        writer.WriteRawValue($"[{string.Join(", ", value.Select(d => d.ToString(CultureInfo.InvariantCulture)))}]");
}
