using YamlDotNet.RepresentationModel;

namespace Experiments.Architectures;

/// <summary>
/// Reads architecture files (YAML or JSON, one code path) into <see cref="Architecture"/>. Every problem is
/// collected with its key path before anything is thrown; see docs/architectures.md for the format.
/// </summary>
public static class ArchitectureReader
{
    private const string TypeKey = "type";

    /// <summary>Every layer type, in the order the docs and error messages list them, with the keys each accepts.</summary>
    private static readonly (string Type, string[] Keys, string[] Required)[] _layerTypes =
    [
        ("conv2d", [TypeKey, "out", "kernel", "stride", "padding", "dilation", "bias"], ["out", "kernel"]),
        ("maxpool", [TypeKey, "kernel", "stride", "padding"], ["kernel"]),
        ("avgpool", [TypeKey, "kernel", "stride", "padding"], ["kernel"]),
        ("relu", [TypeKey], []),
        ("tanh", [TypeKey], []),
        ("sigmoid", [TypeKey], []),
        ("dropout", [TypeKey, "p"], []),
        ("batchnorm", [TypeKey], []),
        ("flatten", [TypeKey], []),
        ("linear", [TypeKey, "out", "bias"], ["out"]),
        ("residual", [TypeKey, "out", "stride"], ["out"]),
        ("global_avgpool", [TypeKey], []),
        ("softmax", [TypeKey], []),
    ];

    private static readonly string[] _topLevelKeys = ["name", "input", "description", "layers"];
    private static readonly string[] _paddingWords = ["valid", "same", "full"];

    /// <summary>The <c>type:</c> names a layer may have.</summary>
    public static IReadOnlyList<string> LayerTypes { get; } = _layerTypes.Select(t => t.Type).ToArray();

    /// <summary>Reads a file; the architecture's name defaults to the file name without its extension.</summary>
    public static Architecture ReadFile(string path) =>
        Parse(File.ReadAllText(path), Path.GetFileName(path), Path.GetFileNameWithoutExtension(path));

    /// <summary>Parses YAML or JSON text.</summary>
    /// <param name="sourceName">Where the text came from, prefixed to every problem line.</param>
    /// <param name="defaultName">The name when the text has no <c>name:</c>; by default <paramref name="sourceName"/> without extension.</param>
    /// <exception cref="SpecException">With every problem found.</exception>
    public static Architecture Parse(string text, string sourceName, string? defaultName = null)
    {
        var problems = new List<SpecProblem>();
        var root = YamlSpec.Load(text, problems);
        var architecture = root is null
            ? null
            : Read(root, "", defaultName ?? Path.GetFileNameWithoutExtension(sourceName), problems);
        if (architecture is null || problems.Count > 0) throw new SpecException(sourceName, problems);
        return architecture;
    }

    /// <summary>
    /// Reads an architecture mapping found at <paramref name="path"/> inside a larger document (a sweep file's
    /// <c>architectures[2]</c>, say). Problems are appended; returns null when there were any.
    /// </summary>
    public static Architecture? Read(YamlNode node, string path, string defaultName, List<SpecProblem> problems)
    {
        var before = problems.Count;
        if (node is not YamlMappingNode map)
        {
            problems.Add(new SpecProblem(path, $"expected an architecture mapping with name, input and layers, got {YamlSpec.Describe(node)}"));
            return null;
        }
        YamlSpec.CheckKeys(map, path, _topLevelKeys, problems);

        var name = defaultName;
        if (YamlSpec.Get(map, "name") is { } nameNode && YamlSpec.ReadString(nameNode, YamlSpec.Key(path, "name"), problems) is { } written)
            name = written;
        if (string.IsNullOrWhiteSpace(name))
            problems.Add(new SpecProblem(YamlSpec.Key(path, "name"), "must not be empty"));

        var input = YamlSpec.Get(map, "input") is { } inputNode ? ReadInput(inputNode, YamlSpec.Key(path, "input"), problems) : null;

        string? description = null;
        if (YamlSpec.Get(map, "description") is { } descriptionNode && !YamlSpec.IsNull(descriptionNode))
            description = YamlSpec.ReadString(descriptionNode, YamlSpec.Key(path, "description"), problems);

        IReadOnlyList<Layer>? layers = null;
        if (YamlSpec.Get(map, "layers") is { } layersNode)
            layers = ReadLayers(layersNode, YamlSpec.Key(path, "layers"), problems);
        else
            problems.Add(new SpecProblem(YamlSpec.Key(path, "layers"), "missing; an architecture is a list of layers"));

        if (problems.Count > before || layers is null) return null;
        var architecture = new Architecture(name, layers, input, description);

        // A declared input is a promise that the layers fit it, so hold the file to it now rather than at training time.
        if (input is not null)
        {
            try
            {
                ShapeInference.Plan(architecture, input);
            }
            catch (ArchitectureException e)
            {
                var at = e.LayerIndex is { } index ? YamlSpec.Item(YamlSpec.Key(path, "layers"), index) : YamlSpec.Key(path, "input");
                problems.Add(new SpecProblem(at, $"does not fit the declared input {input}: {e.Message}"));
                return null;
            }
        }
        return architecture;
    }

    /// <summary>Reads a layer list (a sequence of layers), for documents that embed one directly.</summary>
    public static IReadOnlyList<Layer>? ReadLayers(YamlNode node, string path, List<SpecProblem> problems)
    {
        if (node is not YamlSequenceNode list)
        {
            problems.Add(new SpecProblem(path, $"expected a list of layers, got {YamlSpec.Describe(node)}"));
            return null;
        }
        if (list.Children.Count == 0)
        {
            problems.Add(new SpecProblem(path, "must hold at least one layer"));
            return null;
        }

        var before = problems.Count;
        var layers = new List<Layer>(list.Children.Count);
        for (var i = 0; i < list.Children.Count; i++)
            if (ReadLayer(list[i], YamlSpec.Item(path, i), problems) is { } layer)
                layers.Add(layer);

        if (problems.Count > before) return null;
        if (LayerRules.MisplacedSoftmax(layers) is { } softmax)
        {
            problems.Add(new SpecProblem(YamlSpec.Item(path, softmax), LayerRules.SoftmaxNotLast(softmax, layers.Count)));
            return null;
        }
        return layers;
    }

    /// <summary>Reads one layer: a mapping with <c>type:</c>, or a bare type name when every key has a default.</summary>
    public static Layer? ReadLayer(YamlNode node, string path, List<SpecProblem> problems)
    {
        var before = problems.Count;
        string? typeName;
        YamlMappingNode? map = null;
        string typePath;
        switch (node)
        {
            case YamlScalarNode when !YamlSpec.IsNull(node):
                typeName = ((YamlScalarNode)node).Value;
                typePath = path;
                break;
            case YamlMappingNode mapping:
                map = mapping;
                typePath = YamlSpec.Key(path, TypeKey);
                if (YamlSpec.Get(mapping, TypeKey) is not { } typeNode)
                {
                    problems.Add(new SpecProblem(typePath, $"missing; every layer needs a type: {string.Join(", ", LayerTypes)}"));
                    return null;
                }
                typeName = YamlSpec.ReadString(typeNode, typePath, problems);
                if (typeName is null) return null;
                break;
            default:
                problems.Add(new SpecProblem(path, $"expected a layer (a type name or a mapping with type:), got {YamlSpec.Describe(node)}"));
                return null;
        }

        var spec = _layerTypes.FirstOrDefault(t => t.Type == typeName);
        if (spec.Type is null)
        {
            var hint = YamlSpec.Suggest(typeName!, LayerTypes) is { } suggestion ? $"did you mean '{suggestion}'? " : "";
            problems.Add(new SpecProblem(typePath, $"unknown layer type '{typeName}'; {hint}known types: {string.Join(", ", LayerTypes)}"));
            return null;
        }

        if (map is null)
        {
            if (spec.Required.Length > 0)
            {
                var example = string.Join(", ", spec.Required.Select(k => $"{k}: …"));
                problems.Add(new SpecProblem(path, $"{spec.Type} needs {string.Join(" and ", spec.Required)}; write {{type: {spec.Type}, {example}}}"));
                return null;
            }
            map = new YamlMappingNode();
        }

        YamlSpec.CheckKeys(map, path, spec.Keys, problems, spec.Type);
        foreach (var key in spec.Required.Where(k => YamlSpec.Get(map, k) is null))
            problems.Add(new SpecProblem(YamlSpec.Key(path, key), $"missing; {spec.Type} needs it"));
        if (problems.Count > before) return null;

        var fields = new Fields(map, path, problems);
        Layer layer = spec.Type switch
        {
            "conv2d" => new Conv2dLayer(
                fields.Int("out") ?? 0,
                fields.Pair("kernel") ?? Pair.Square(1),
                fields.Pair("stride") ?? Pair.Square(1),
                fields.Padding("padding") ?? Padding.Valid,
                fields.Pair("dilation") ?? Pair.Square(1),
                fields.Bool("bias") ?? true),
            "maxpool" or "avgpool" => ReadPool(spec.Type == "maxpool" ? PoolKind.Max : PoolKind.Average, fields),
            "relu" => new ActivationLayer(ActivationKind.Relu),
            "tanh" => new ActivationLayer(ActivationKind.Tanh),
            "sigmoid" => new ActivationLayer(ActivationKind.Sigmoid),
            // 0.5 is PyTorch's nn.Dropout default.
            "dropout" => new DropoutLayer(fields.Double("p") ?? 0.5),
            "batchnorm" => new BatchNormLayer(),
            "flatten" => new FlattenLayer(),
            "linear" => new LinearLayer(fields.Int("out") ?? 0, fields.Bool("bias") ?? true),
            "residual" => new ResidualBlockLayer(fields.Int("out") ?? 0, fields.Int("stride") ?? 1),
            "global_avgpool" => new GlobalAveragePoolLayer(),
            _ => new SoftmaxLayer(),
        };
        if (problems.Count > before) return null;

        foreach (var (key, message) in LayerRules.Check(layer))
            problems.Add(new SpecProblem(YamlSpec.Key(path, key), message));
        return problems.Count > before ? null : layer;
    }

    private static PoolLayer ReadPool(PoolKind kind, Fields fields)
    {
        var kernel = fields.Pair("kernel") ?? Pair.Square(1);
        // Non-overlapping windows by default, as in PyTorch (stride=None means stride = kernel).
        return new PoolLayer(kind, kernel, fields.Pair("stride") ?? kernel, fields.Pair("padding") ?? Pair.Square(0));
    }

    /// <summary>C,H,W or F, as a list (<c>[1, 28, 28]</c>), a string (<c>1x28x28</c>) or a single integer.</summary>
    private static TensorShape? ReadInput(YamlNode node, string path, List<SpecProblem> problems)
    {
        int[]? dims = null;
        if (node is YamlSequenceNode list)
        {
            dims = new int[list.Children.Count];
            for (var i = 0; i < dims.Length; i++)
                if (!YamlSpec.TryInt(list[i], out dims[i])) { dims = null; break; }
        }
        else if (node is YamlScalarNode && !YamlSpec.IsNull(node) && TensorShape.TryParse(((YamlScalarNode)node).Value, out var parsed))
        {
            dims = [.. parsed.Dims];
        }

        if (dims is null || dims.Length == 0)
        {
            problems.Add(new SpecProblem(path, $"expected a shape such as [3, 32, 32], 3x32x32 or [784], got {YamlSpec.Describe(node)}"));
            return null;
        }
        if (dims.Length is not (1 or 3))
        {
            problems.Add(new SpecProblem(path, $"expected channels, height, width or a flat feature count, got {dims.Length} dimensions"));
            return null;
        }
        if (dims.Any(d => d <= 0))
        {
            problems.Add(new SpecProblem(path, $"every dimension must be positive, got [{string.Join(", ", dims)}]"));
            return null;
        }
        return new TensorShape(dims);
    }

    /// <summary>Typed access to a layer's optional keys; a missing key reads as null so the caller supplies the default.</summary>
    private readonly record struct Fields(YamlMappingNode Map, string Path, List<SpecProblem> Problems)
    {
        public int? Int(string key) => Get(key, YamlSpec.ReadInt);
        public double? Double(string key) => Get(key, YamlSpec.ReadDouble);
        public bool? Bool(string key) => Get(key, YamlSpec.ReadBool);
        public Pair? Pair(string key) => Get(key, YamlSpec.ReadPair);

        public Padding? Padding(string key)
        {
            if (YamlSpec.Get(Map, key) is not { } node) return null;
            if (YamlSpec.TryPair(node, out var amount)) return Architectures.Padding.Of(amount);
            if (node is YamlScalarNode { Value: { } word } && !YamlSpec.IsNull(node))
            {
                switch (word)
                {
                    case "valid": return Architectures.Padding.Valid;
                    case "same": return Architectures.Padding.Same;
                    case "full": return Architectures.Padding.Full;
                }
                var hint = YamlSpec.Suggest(word, _paddingWords) is { } suggestion ? $"; did you mean '{suggestion}'?" : "";
                Problems.Add(new SpecProblem(YamlSpec.Key(Path, key), $"expected valid, same, full, an integer or [h, w], got '{word}'{hint}"));
                return null;
            }
            Problems.Add(new SpecProblem(YamlSpec.Key(Path, key), $"expected valid, same, full, an integer or [h, w], got {YamlSpec.Describe(node)}"));
            return null;
        }

        private T? Get<T>(string key, Func<YamlNode, string, List<SpecProblem>, T?> read) where T : struct =>
            YamlSpec.Get(Map, key) is { } node ? read(node, YamlSpec.Key(Path, key), Problems) : null;
    }
}
