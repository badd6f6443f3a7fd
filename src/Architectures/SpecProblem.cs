namespace Experiments.Architectures;

/// <summary>
/// One thing wrong with a specification file, located by a key path such as <c>layers[3].kernel</c>
/// (an empty path means the document as a whole).
/// </summary>
public sealed record SpecProblem(string Path, string Message)
{
    public override string ToString() => Path.Length == 0 ? Message : $"{Path}: {Message}";
}

/// <summary>
/// Thrown when a specification has problems. Readers collect every problem before throwing, so the user
/// fixes a file in one pass instead of one error per run.
/// </summary>
public sealed class SpecException : Exception
{
    public SpecException(string sourceName, IReadOnlyList<SpecProblem> problems)
        : base(Format(sourceName, problems))
    {
        SourceName = sourceName;
        Problems = problems;
    }

    /// <summary>Where the specification came from: a file name, or a label such as <c>&lt;inline&gt;</c>.</summary>
    public string SourceName { get; }

    public IReadOnlyList<SpecProblem> Problems { get; }

    // One problem per line, each prefixed with its source, in the style of compiler diagnostics.
    private static string Format(string sourceName, IReadOnlyList<SpecProblem> problems) =>
        string.Join(Environment.NewLine, problems.Select(p => $"{sourceName}: {p}"));
}

/// <summary>
/// An architecture that cannot work: shapes that do not fit, or layer settings no engine accepts.
/// The message names the layer (index and type) and shows the arithmetic.
/// </summary>
public sealed class ArchitectureException : Exception
{
    public ArchitectureException(string message, int? layerIndex = null) : base(message) => LayerIndex = layerIndex;

    /// <summary>The nn.Sequential index of the offending layer, when one layer is to blame.</summary>
    public int? LayerIndex { get; }
}
