using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Experiments.Architectures;

/// <summary>
/// Writes an architecture in the canonical file format with every setting explicit (no defaults left to the
/// reader), one layer per line. This is also the spec the PyTorch oracle and the native engine consume.
/// <c>ArchitectureReader.Parse(ToJson(a)) == a</c> for every architecture.
/// </summary>
public static class ArchitectureWriter
{
    private static readonly JsonSerializerOptions _stringOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ToJson(Architecture architecture)
    {
        var text = new StringBuilder();
        text.Append("{\n");
        text.Append($"  \"name\": {Quote(architecture.Name)},\n");
        if (architecture.Input is { } input) text.Append($"  \"input\": {List(input.Dims)},\n");
        if (architecture.Description is { } description) text.Append($"  \"description\": {Quote(description)},\n");
        text.Append("  \"layers\": [\n");
        for (var i = 0; i < architecture.Layers.Count; i++)
        {
            var fields = Fields(architecture.Layers[i]).Select(f => $"\"{f.Key}\": {f.Json}");
            text.Append($"    {{{string.Join(", ", fields)}}}{(i < architecture.Layers.Count - 1 ? "," : "")}\n");
        }
        text.Append("  ]\n}\n");
        return text.ToString();
    }

    /// <summary>The same content as YAML: block style at the top, one flow mapping per layer.</summary>
    public static string ToYaml(Architecture architecture)
    {
        var text = new StringBuilder();
        // JSON string syntax is valid YAML double-quoted syntax, so names need no YAML-specific escaping.
        text.Append($"name: {Quote(architecture.Name)}\n");
        if (architecture.Input is { } input) text.Append($"input: {List(input.Dims)}\n");
        if (architecture.Description is { } description) text.Append($"description: {Quote(description)}\n");
        text.Append("layers:\n");
        foreach (var layer in architecture.Layers)
            text.Append($"  - {{{string.Join(", ", Fields(layer).Select(f => $"{f.Key}: {f.Yaml}"))}}}\n");
        return text.ToString();
    }

    private readonly record struct Field(string Key, string Json, string Yaml)
    {
        public static Field Of(string key, string value) => new(key, value, value);
        public static Field Word(string key, string word) => new(key, Quote(word), word);
    }

    private static IEnumerable<Field> Fields(Layer layer)
    {
        yield return Field.Word("type", layer.Type);
        switch (layer)
        {
            case Conv2dLayer c:
                yield return Field.Of("out", Number(c.OutChannels));
                yield return Field.Of("kernel", List(c.Kernel));
                yield return Field.Of("stride", List(c.Stride));
                yield return c.Padding.Mode == PaddingMode.Explicit
                    ? Field.Of("padding", List(c.Padding.Amount))
                    : Field.Word("padding", c.Padding.Mode.ToString().ToLowerInvariant());
                yield return Field.Of("dilation", List(c.Dilation));
                yield return Field.Of("bias", Bool(c.Bias));
                break;
            case PoolLayer p:
                yield return Field.Of("kernel", List(p.Kernel));
                yield return Field.Of("stride", List(p.Stride));
                yield return Field.Of("padding", List(p.Padding));
                break;
            case DropoutLayer d:
                yield return Field.Of("p", LayerDescriptions.Number(d.Probability));
                break;
            case LinearLayer l:
                yield return Field.Of("out", Number(l.OutFeatures));
                yield return Field.Of("bias", Bool(l.Bias));
                break;
            case ResidualBlockLayer r:
                yield return Field.Of("out", Number(r.OutChannels));
                yield return Field.Of("stride", Number(r.Stride));
                break;
        }
    }

    private static string Quote(string text) => JsonSerializer.Serialize(text, _stringOptions);
    private static string Number(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    private static string Bool(bool value) => value ? "true" : "false";
    private static string List(Pair pair) => $"[{Number(pair.H)}, {Number(pair.W)}]";
    private static string List(IReadOnlyList<int> dims) => $"[{string.Join(", ", dims.Select(Number))}]";
}
