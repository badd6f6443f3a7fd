using System.Globalization;
using Experiments.Architectures;
using YamlDotNet.RepresentationModel;

namespace Experiments.Coordinator;

/// <summary>
/// The trial parameters a sweep may fix or sweep, and how each one's values are read and checked. Values are
/// typed per parameter: <see cref="Architecture"/> for arch, <see cref="OptimizerKind"/> for optimizer,
/// <see cref="int"/> for batch_size, epochs and limit, <see cref="double"/> for the rest.
/// </summary>
public static class SweepParameters
{
    public const string Arch = "arch", Lr = "lr", WeightDecay = "weight_decay", LrDecay = "lr_decay", Optimizer = "optimizer",
        Momentum = "momentum", BatchSize = "batch_size", Epochs = "epochs", ValSplit = "val_split", Limit = "limit";

    /// <summary>Every trial parameter, in the order labels list them.</summary>
    public static IReadOnlyList<string> All { get; } = [Arch, Lr, WeightDecay, LrDecay, Optimizer, Momentum, BatchSize, Epochs, ValSplit, Limit];

    public static IReadOnlyList<string> Optimizers { get; } = ["adam", "sgd"];

    /// <summary>Parameters a uniform or log-uniform distribution may draw; the rest take only choice.</summary>
    public static bool IsContinuous(string parameter) => parameter is Lr or WeightDecay or LrDecay or Momentum or ValSplit;

    /// <summary>Reads and checks one value of <paramref name="parameter"/>; problems are appended and null returned.</summary>
    /// <param name="inlineName">The name an inline architecture gets when it has no <c>name:</c>.</param>
    internal static object? Read(string parameter, YamlNode node, string path, string inlineName, List<SpecProblem> problems)
    {
        switch (parameter)
        {
            case Arch:
                return ReadArchitecture(node, path, inlineName, problems);
            case Optimizer:
                if (YamlSpec.ReadString(node, path, problems) is not { } word) return null;
                if (word == "adam") return OptimizerKind.Adam;
                if (word == "sgd") return OptimizerKind.Sgd;
                var hint = YamlSpec.Suggest(word, Optimizers) is { } s ? $"did you mean '{s}'? " : "";
                problems.Add(new SpecProblem(path, $"unknown optimizer '{word}'; {hint}known optimizers: {string.Join(", ", Optimizers)}"));
                return null;
            case BatchSize or Epochs:
                if (YamlSpec.ReadInt(node, path, problems) is not { } count) return null;
                if (count > 0) return count;
                problems.Add(new SpecProblem(path, $"must be > 0, got {count}"));
                return null;
            case Limit:
                if (YamlSpec.ReadInt(node, path, problems) is not { } images) return null;
                if (images >= 0) return images;
                problems.Add(new SpecProblem(path, $"must be 0 (every training image) or more, got {images}"));
                return null;
            default:
                if (YamlSpec.ReadDouble(node, path, problems) is not { } number) return null;
                if (CheckNumber(parameter, number) is { } message)
                {
                    problems.Add(new SpecProblem(path, message));
                    return null;
                }
                return number;
        }
    }

    /// <summary>Why <paramref name="value"/> is out of range for a continuous parameter, or null when it is fine.</summary>
    internal static string? CheckNumber(string parameter, double value)
    {
        var got = Format(value);
        return parameter switch
        {
            Lr when value <= 0 => $"must be > 0, got {got}",
            WeightDecay when value < 0 => $"must be >= 0, got {got}",
            LrDecay when value is <= 0 or > 1 => $"must be in (0, 1], got {got}",
            Momentum when value is < 0 or >= 1 => $"must be in [0, 1), got {got}",
            ValSplit when value is < 0 or >= 1 => $"must be in [0, 1), got {got}",
            _ => null,
        };
    }

    private static Architecture? ReadArchitecture(YamlNode node, string path, string inlineName, List<SpecProblem> problems)
    {
        if (node is YamlMappingNode) return ArchitectureReader.Read(node, path, inlineName, problems);
        if (node is not YamlScalarNode scalar || YamlSpec.IsNull(node))
        {
            problems.Add(new SpecProblem(path, $"expected a built-in architecture name or an inline {{name, layers}} mapping, got {YamlSpec.Describe(node)}"));
            return null;
        }
        if (ArchitectureCatalog.BuiltIns.TryGetValue(scalar.Value!, out var builtIn)) return builtIn;
        var hint = YamlSpec.Suggest(scalar.Value!, ArchitectureCatalog.Names) is { } s ? $"did you mean '{s}'? " : "";
        problems.Add(new SpecProblem(path,
            $"unknown architecture '{scalar.Value}'; {hint}built-ins: {string.Join(", ", ArchitectureCatalog.Names)} (or write the layers inline)"));
        return null;
    }

    /// <summary>How a value reads in a trial's label: numbers as every table writes settings (1e-3, 5e-4), see <see cref="Contracts.SettingText"/>.</summary>
    public static string Label(object value) => value is double d ? Contracts.SettingText.Format(d) : Format(value);

    /// <summary>How a value reads in messages about the file: short, invariant, close to how the file wrote it.</summary>
    public static string Format(object value) => value switch
    {
        Architecture a => a.Name,
        OptimizerKind o => o.ToString().ToLowerInvariant(),
        double d => d.ToString("G4", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
