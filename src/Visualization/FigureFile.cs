namespace Experiments.Visualization;

/// <summary>
/// One figure drawn in memory: the file name <c>viz</c> writes it under (e.g. <c>confusion-test-epoch-3.svg</c>), its
/// bytes (PNG, GIF or SVG, by the name's extension), and where the CLI writes the chart's numbers beside it, those
/// numbers as JSON (<see cref="Data"/>, else null). The <c>viz</c> commands <see cref="Save"/> it; the dashboard serves
/// the same bytes, so no figure is drawn in two places and nothing needs a temporary folder.
/// </summary>
public sealed record FigureFile(string Name, byte[] Content, string? Data = null)
{
    /// <summary>The content's media type: image/png, image/gif or image/svg+xml.</summary>
    public string MediaType => Path.GetExtension(Name).ToLowerInvariant() switch
    {
        ".png" => "image/png",
        ".gif" => "image/gif",
        ".svg" => "image/svg+xml",
        var other => throw new InvalidOperationException($"a figure is PNG, GIF or SVG, not '{other}'"),
    };

    /// <summary>The name of the JSON file beside it (<c>loss.svg</c> → <c>loss.json</c>), written when there is <see cref="Data"/>.</summary>
    public string DataName => Path.ChangeExtension(Name, ".json");

    /// <summary>Writes the figure (and its JSON, if any) into <paramref name="directory"/>, created if needed; returns the figure's path.</summary>
    public string Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, Name);
        File.WriteAllBytes(path, Content);
        if (Data is not null) File.WriteAllText(Path.Combine(directory, DataName), Data);
        return path;
    }
}
