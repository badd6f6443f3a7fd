using FsCheck;
using FsCheck.Fluent;

namespace Experiments.Architectures.Tests;

public class Round_tripping_through_the_writer
{
    [Fact]
    public void Writes_every_setting_explicitly_one_layer_per_line()
    {
        var json = ArchitectureWriter.ToJson(ArchitectureCatalog.BuiltIns["doshi-mnist"]);

        Assert.StartsWith("""
            {
              "name": "doshi-mnist",
              "input": [1, 28, 28],
            """, json);
        Assert.Contains("""
                {"type": "conv2d", "out": 16, "kernel": [2, 2], "stride": [1, 1], "padding": "same", "dilation": [1, 1], "bias": true},
                {"type": "maxpool", "kernel": [2, 2], "stride": [2, 2], "padding": [0, 0]},
            """, json);
        Assert.Contains("""{"type": "dropout", "p": 0.25},""", json);
        Assert.Contains("""{"type": "linear", "out": 10, "bias": true}""", json);
    }

    [Fact]
    public void Round_trips_every_built_in_through_JSON_and_YAML()
    {
        foreach (var architecture in ArchitectureCatalog.BuiltIns.Values)
        {
            Assert.Equal(architecture, ArchitectureReader.Parse(ArchitectureWriter.ToJson(architecture), "a.json"));
            Assert.Equal(architecture, ArchitectureReader.Parse(ArchitectureWriter.ToYaml(architecture), "a.yaml"));
        }
    }

    [Fact]
    public void Round_trips_names_and_descriptions_that_need_escaping()
    {
        var architecture = new Architecture("net: \"quoted\" # not a comment", [new FlattenLayer()], Description: "line one\nline two\t×\\ 'x' {y} [z] – ünïcode");

        Assert.Equal(architecture, ArchitectureReader.Parse(ArchitectureWriter.ToJson(architecture), "a.json"));
        Assert.Equal(architecture, ArchitectureReader.Parse(ArchitectureWriter.ToYaml(architecture), "a.yaml"));
    }

    [Fact]
    public void Round_trips_any_valid_architecture()
    {
        var property = Prop.ForAll(Arb.From(Architectures()), architecture =>
            architecture.Equals(ArchitectureReader.Parse(ArchitectureWriter.ToJson(architecture), "a.json"))
            && architecture.Equals(ArchitectureReader.Parse(ArchitectureWriter.ToYaml(architecture), "a.yaml")));

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    private static Gen<Pair> Pairs(int min, int max) =>
        Gen.OneOf(
            Gen.Choose(min, max).Select(Pair.Square),
            from h in Gen.Choose(min, max) from w in Gen.Choose(min, max) select new Pair(h, w));

    private static Gen<Layer> Layers()
    {
        var conv =
            from outChannels in Gen.Choose(1, 64)
            from kernel in Pairs(1, 7)
            from stride in Pairs(1, 3)
            from explicitPadding in Pairs(0, 3)
            from mode in Gen.Elements(PaddingMode.Valid, PaddingMode.Same, PaddingMode.Full, PaddingMode.Explicit)
            from dilation in Pairs(1, 3)
            from bias in Gen.Elements(true, false)
            let padding = mode switch
            {
                PaddingMode.Explicit => Padding.Of(explicitPadding),
                PaddingMode.Same => Padding.Same,
                PaddingMode.Full => Padding.Full,
                _ => Padding.Valid,
            }
            // PyTorch allows 'same' only with stride 1, and so does the reader.
            select (Layer)new Conv2dLayer(outChannels, kernel, mode == PaddingMode.Same ? Pair.Square(1) : stride, padding, dilation, bias);

        var pool =
            from kind in Gen.Elements(PoolKind.Max, PoolKind.Average)
            from kernel in Pairs(1, 5)
            from stride in Pairs(1, 5)
            from padH in Gen.Choose(0, kernel.H / 2)
            from padW in Gen.Choose(0, kernel.W / 2)
            select (Layer)new PoolLayer(kind, kernel, stride, new Pair(padH, padW));

        return Gen.OneOf(
            conv,
            pool,
            Gen.Elements(ActivationKind.Relu, ActivationKind.Tanh, ActivationKind.Sigmoid).Select(k => (Layer)new ActivationLayer(k)),
            // Awkward fractions exercise the shortest round-trip formatting of doubles.
            Gen.Choose(0, 1_000_000).Select(n => (Layer)new DropoutLayer(n / 1_000_001.0)),
            Gen.Constant((Layer)new BatchNormLayer()),
            Gen.Constant((Layer)new FlattenLayer()),
            from outFeatures in Gen.Choose(1, 100) from bias in Gen.Elements(true, false) select (Layer)new LinearLayer(outFeatures, bias),
            from outChannels in Gen.Choose(1, 64) from stride in Gen.Choose(1, 3) select (Layer)new ResidualBlockLayer(outChannels, stride),
            Gen.Constant((Layer)new GlobalAveragePoolLayer()));
    }

    private static Gen<Architecture> Architectures() =>
        from name in Text(1)
        from description in Gen.OneOf(Gen.Constant<string?>(null), Text(0).Select(s => (string?)s))
        from layers in Layers().NonEmptyListOf()
        from softmax in Gen.Elements(true, false)
        from input in Gen.OneOf(
            Gen.Constant<TensorShape?>(null),
            Gen.Choose(1, 300).Select(f => (TensorShape?)new TensorShape(f)),
            from c in Gen.Choose(1, 4) from h in Gen.Choose(1, 40) from w in Gen.Choose(1, 40) select (TensorShape?)new TensorShape(c, h, w))
        let all = softmax ? [.. layers, new SoftmaxLayer()] : layers.ToArray()
        select Fits(new Architecture(name, all, input, description));

    /// <summary>The reader holds a file to its declared input, so keep the input only when the layers fit it.</summary>
    private static Architecture Fits(Architecture architecture)
    {
        if (architecture.Input is null) return architecture;
        try
        {
            ShapeInference.Plan(architecture, architecture.Input);
            return architecture;
        }
        catch (ArchitectureException)
        {
            return architecture with { Input = null };
        }
    }

    private static Gen<string> Text(int minLength) =>
        from length in Gen.Choose(minLength, 12)
        from chars in Gen.Elements("ab-_ 09:#\"'\\{}[],&*!|>%@`\n\t×éü–".ToCharArray()).ArrayOf(length)
        let text = new string(chars)
        // Names are identifiers people type; whitespace-only names are rejected by the reader.
        select minLength > 0 && string.IsNullOrWhiteSpace(text) ? "n" + text : text;
}
