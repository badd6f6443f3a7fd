using System.Text.Json;
using System.Text.Json.Serialization;

namespace Experiments.Datasets;

/// <summary>One file of a fetched dataset, with its checksum so a later reader can tell it is untouched.</summary>
public sealed record ManifestFile(string Name, long Bytes, string Sha256);

/// <summary>
/// <c>source.json</c>, written next to a fetched dataset: where it came from, how train and test were split,
/// and a checksum of every file. It is written last, after everything else is in place.
/// </summary>
public sealed record SourceManifest(
    string Dataset,
    string Source,
    string? SourceSha256,
    string? SourceMd5,
    DateTimeOffset FetchedAt,
    int Train,
    int Test,
    string Split,
    int? SplitSeed,
    IReadOnlyList<ManifestFile> Files)
{
    public const string FileName = "source.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public void Write(string datasetDirectory) =>
        File.WriteAllText(Path.Combine(datasetDirectory, FileName), JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>The manifest in <paramref name="datasetDirectory"/>, or null if there is none or it cannot be read.</summary>
    public static SourceManifest? TryRead(string datasetDirectory)
    {
        var path = Path.Combine(datasetDirectory, FileName);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<SourceManifest>(File.ReadAllText(path), Json); }
        catch (JsonException) { return null; }
    }
}
