using System.Globalization;

namespace Experiments.Contracts.Cluster;

/// <summary>What a silo runs. A silo may have several roles; `experiments silo --role all` is coordinator and worker.</summary>
[Flags]
public enum SiloRoles
{
    None = 0,
    /// <summary>Plans sweeps: coordinator grains activate only on silos with this role.</summary>
    Coordinator = 1,
    /// <summary>Trains: grains that run trials activate only on silos with this role.</summary>
    Worker = 2,
    /// <summary>Serves the dashboard (`silo --role dashboard`): no role-placed grain activates on it.</summary>
    Dashboard = 4,
}

/// <summary>
/// What a silo advertises to the others as Orleans silo metadata: its roles, its GPUs and its trial slots, and a worker's
/// name in the store. The placement director reads it to keep each grain on a silo of the right role; a silo without it
/// (or with a value this version cannot read) has no role and gets no role-placed grain.
/// </summary>
public sealed record SiloResources(SiloRoles Roles, int Gpus, int Slots)
{
    public const string RolesKey = "experiments.roles";
    public const string GpusKey = "experiments.gpus";
    public const string SlotsKey = "experiments.slots";
    public const string WorkerNameKey = "experiments.worker";

    /// <summary>
    /// The name the silo's worker claims trials under (trials.worker, e.g. "host/4242"), or null on a silo without the
    /// worker role: when membership declares the silo dead, a coordinator re-queues the trials held under this name.
    /// </summary>
    public string? WorkerName { get; init; }

    /// <summary>The metadata entries, e.g. <c>experiments.roles = "coordinator,worker"</c>, <c>experiments.gpus = "0"</c>.</summary>
    public Dictionary<string, string> ToMetadata()
    {
        var metadata = new Dictionary<string, string>
        {
            [RolesKey] = RolesText(Roles),
            [GpusKey] = Gpus.ToString(CultureInfo.InvariantCulture),
            [SlotsKey] = Slots.ToString(CultureInfo.InvariantCulture),
        };
        if (WorkerName is not null) metadata[WorkerNameKey] = WorkerName;
        return metadata;
    }

    /// <summary>Reads what <see cref="ToMetadata"/> wrote; missing or unreadable entries count as none.</summary>
    public static SiloResources FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        var roles = SiloRoles.None;
        if (metadata.TryGetValue(RolesKey, out var text))
            foreach (var name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                roles |= name switch
                {
                    "coordinator" => SiloRoles.Coordinator,
                    "worker" => SiloRoles.Worker,
                    "dashboard" => SiloRoles.Dashboard,
                    _ => SiloRoles.None,
                };
        return new SiloResources(roles, Count(metadata, GpusKey), Count(metadata, SlotsKey))
        {
            WorkerName = metadata.TryGetValue(WorkerNameKey, out var worker) && worker.Length > 0 ? worker : null,
        };
    }

    /// <summary>The roles as metadata spells them: lower case, comma-separated, e.g. "coordinator,worker".</summary>
    public static string RolesText(SiloRoles roles) => string.Join(',',
        new[] { (SiloRoles.Coordinator, "coordinator"), (SiloRoles.Worker, "worker"), (SiloRoles.Dashboard, "dashboard") }
            .Where(r => roles.HasFlag(r.Item1)).Select(r => r.Item2));

    private static int Count(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
}

/// <summary>A live worker silo, as membership and its silo metadata describe it.</summary>
public sealed record WorkerSilo(Orleans.Runtime.SiloAddress Address, SiloResources Resources);

/// <summary>The worker silos the cluster's membership counts as active now, with what each advertises.</summary>
public interface IWorkerSilos
{
    IReadOnlyList<WorkerSilo> Live();
}
