using System.Net;
using Experiments.Cluster.Hosting;
using Experiments.Cluster.Membership;
using Experiments.Contracts;
using Experiments.Contracts.Cluster;
using Experiments.Coordinator.Orchestration;
using Experiments.Store;
using Experiments.Worker.Node;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Orleans;

namespace Experiments.Silo.Hosting;

/// <summary>
/// Which parts a node runs: `all` is one machine's coordinator and worker in one process; a dashboard node serves the
/// dashboard and takes neither coordinator grains nor trials.
/// </summary>
public sealed record NodeRoles(bool Coordinator, bool Worker, bool Dashboard = false)
{
    public static NodeRoles All { get; } = new(true, true);

    public static NodeRoles Parse(string role) => role switch
    {
        "coordinator" => new(true, false),
        "worker" => new(false, true),
        "all" => All,
        "dashboard" => new(false, false, Dashboard: true),
        _ => throw new ArgumentException($"--role must be coordinator, worker, all or dashboard, not '{role}'"),
    };
}

/// <summary>
/// Everything one node needs: what it runs, and how. Without <see cref="Cluster"/>, the node is an Orleans silo alone in
/// this process.
/// </summary>
public sealed record NodeSettings(NodeRoles Roles, WorkerOptions Worker, CoordinatorOptions Coordinator)
{
    /// <summary>The Orleans cluster this node joins through PostgreSQL membership (`experiments silo`); null: none.</summary>
    public ClusterJoin? Cluster { get; init; }

    /// <summary>
    /// A silo alone in this process. Its coordinator drives the sweeps its worker claims (<see cref="WorkerOptions.Driver"/>):
    /// the process's own, for `sweep run` and `demo` (<see cref="WorkerOptions.InProcess"/>).
    /// </summary>
    public static NodeSettings InProcess(WorkerOptions? worker = null, CoordinatorOptions? coordinator = null)
    {
        worker ??= new WorkerOptions();
        return new(NodeRoles.All, worker, (coordinator ?? new CoordinatorOptions()) with { Driver = worker.Driver });
    }

    /// <summary>A silo of the cluster whose membership lives in the node's results database.</summary>
    public static NodeSettings Joining(ClusterJoin cluster, NodeRoles roles, WorkerOptions worker, CoordinatorOptions coordinator) =>
        new(roles, worker, coordinator) { Cluster = cluster };
}

/// <summary>
/// How a silo joins the cluster: the address the others reach it at, its silo and gateway ports (0: a free port,
/// recorded in the membership table for the others to find) and how quickly it declares other silos dead.
/// </summary>
public sealed record ClusterJoin(IPAddress Address, int SiloPort, int GatewayPort)
{
    public FailureDetection FailureDetection { get; init; } = FailureDetection.Default;
}

/// <summary>
/// Builds a node's host: the results store (owned by the caller), the coordinator and/or worker, and telemetry export
/// when OTEL_EXPORTER_OTLP_ENDPOINT is set. The node is one Orleans silo: alone in this process with localhost
/// clustering on free loopback ports (`sweep run`, `demo`), or joining the cluster whose membership lives in the
/// store's database (`silo`, <see cref="NodeSettings.Cluster"/>). A coordinator grain per sweep on coordinator silos, a
/// worker grain over this process's slots on worker silos (docs/cluster.md).
/// </summary>
public static class ExperimentsNode
{
    public static IHost Build(ResultsStore store, NodeSettings settings, ITrialProgress? progress = null, LogLevel consoleLogLevel = LogLevel.Information)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(consoleLogLevel);
        if (consoleLogLevel < LogLevel.None)
            builder.Logging.AddConsole(o => o.FormatterName = OneLineLogFormatter.FormatterName).AddConsoleFormatter<OneLineLogFormatter, ConsoleFormatterOptions>();
        builder.Services.AddSingleton(store);
        if (progress is not null) builder.Services.AddSingleton(progress);
        AddSilo(builder, store, settings);
        return builder.Build();
    }

    private static void AddSilo(HostApplicationBuilder builder, ResultsStore store, NodeSettings settings)
    {
        var slots = settings.Roles.Worker ? SlotPlan.For(settings.Worker) : new SlotPlan(0, 0, 0);
        var roles = (settings.Roles.Coordinator ? SiloRoles.Coordinator : SiloRoles.None) | (settings.Roles.Worker ? SiloRoles.Worker : SiloRoles.None)
                    | (settings.Roles.Dashboard ? SiloRoles.Dashboard : SiloRoles.None);
        var resources = new SiloResources(roles, slots.Gpus, slots.Slots) { WorkerName = settings.Roles.Worker ? settings.Worker.Name : null };
        // The silo first: hosted services stop in reverse order, so the worker's trials end (and tell their
        // coordinator grain) while the silo still runs.
        if (settings.Cluster is { } cluster)
        {
            builder.AddExperimentsSilo(new SiloSettings(resources)
            {
                MembershipStore = store, AdvertisedAddress = cluster.Address, SiloPort = cluster.SiloPort, GatewayPort = cluster.GatewayPort,
                FailureDetection = cluster.FailureDetection,
            });
        }
        else
        {
            builder.AddExperimentsSilo(new SiloSettings(resources));
            // A silo alone in its process has no cluster to tell about: its start-up notes (server GC, a watchdog that a
            // loaded machine trips) are not the user's business. Errors still show.
            builder.Logging.AddFilter("Orleans", LogLevel.Error);
            // Nor its placement retries: a coordinator grain asked for while the silo's own roles are still being
            // announced is placed on a retry (the first `demo` in a fresh home showed two such warnings). A placement
            // that fails for good is still an error.
            builder.Logging.AddFilter("Polly", LogLevel.Error);
        }
        builder.Services.AddSingleton(settings.Coordinator);
        builder.Services.AddSingleton<ISweepCoordination, GrainSweepCoordination>();
        if (settings.Roles.Worker) builder.Services.AddExperimentsWorker(settings.Worker);
        // A cluster's coordinators find the sweeps waiting in PostgreSQL themselves: one submitted while no silo was
        // up, or whose coordinator grain died with its silo. (In process, the command wakes its own sweep's grain.)
        if (settings.Cluster is not null && settings.Roles.Coordinator)
        {
            builder.Services.AddHostedService<WaitingSweepsScan>();
            // A worker silo declared dead has its trials taken back at once, not when their leases run out.
            builder.Services.AddHostedService<TrialsOfDeadWorkers>();
        }
    }

    /// <summary>Tells the coordinators a sweep is waiting, so they dispatch at once rather than at their next poll.</summary>
    public static async Task AnnounceAsync(IHost host, long sweepId, CancellationToken ct) =>
        await GrainCallResilience.RunAsync(_ => host.Services.GetRequiredService<IGrainFactory>().GetGrain<ISweepCoordinatorGrain>(sweepId).WakeAsync(), ct);
}
