using System.Text.Json;
using System.Text.Json.Serialization;

namespace Experiments.Coordinator.Orchestration;

/// <summary>
/// What sweeps.spec holds: the validated sweep file's text and where it came from. Workers re-read the file from it
/// (for the metric and the early-stopping rule), so a sweep runs the same however long it waits in the queue.
/// </summary>
public sealed record StoredSweep([property: JsonPropertyName("file")] string File, [property: JsonPropertyName("source")] string Source)
{
    public string ToJson() => JsonSerializer.Serialize(this);

    public static StoredSweep? FromJson(string json) => JsonSerializer.Deserialize<StoredSweep>(json);

    public SweepSpec Read() => SweepReader.Parse(File, Source, new SweepLimits(Force: true));
}
