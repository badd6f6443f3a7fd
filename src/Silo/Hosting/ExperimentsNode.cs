using Experiments.Contracts;
using Experiments.Coordinator.Orchestration;
using Experiments.Store;
using Experiments.Worker.Node;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Experiments.Silo.Hosting;

/// <summary>Which parts a node runs: `all` is one machine's coordinator and worker in one process.</summary>
public sealed record NodeRoles(bool Coordinator, bool Worker)
{
    public static NodeRoles All { get; } = new(true, true);

    public static NodeRoles Parse(string role) => role switch
    {
        "coordinator" => new(true, false),
        "worker" => new(false, true),
        "all" => All,
        _ => throw new ArgumentException($"--role must be coordinator, worker or all, not '{role}'"),
    };
}

/// <summary>Everything one node needs: where the bus is (null = in-process), what it runs, and how.</summary>
public sealed record NodeSettings(string? BusUri, NodeRoles Roles, WorkerOptions Worker, CoordinatorOptions Coordinator)
{
    public static NodeSettings InProcess(WorkerOptions? worker = null, CoordinatorOptions? coordinator = null) =>
        new(null, NodeRoles.All, worker ?? new WorkerOptions(), coordinator ?? new CoordinatorOptions());
}

/// <summary>
/// Builds a node's host: the results store (owned by the caller), the bus (MassTransit in-memory, or RabbitMQ for
/// a cluster), the coordinator and/or worker, and telemetry export when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// </summary>
public static class ExperimentsNode
{
    public static IHost Build(ResultsStore store, NodeSettings settings, ITrialProgress? progress = null, LogLevel consoleLogLevel = LogLevel.Information)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(consoleLogLevel);
        builder.Logging.AddFilter("MassTransit", LogLevel.Warning);
        if (consoleLogLevel < LogLevel.None)
            builder.Logging.AddConsole(o => o.FormatterName = OneLineLogFormatter.FormatterName).AddConsoleFormatter<OneLineLogFormatter, ConsoleFormatterOptions>();
        builder.Services.AddSingleton(store);
        if (progress is not null) builder.Services.AddSingleton(progress);
        // No grain to ask on the bus: a worker applies its sweep's rules itself and publishes TrialEnded.
        builder.Services.AddSingleton<Contracts.Cluster.ISweepCoordination, BusSweepCoordination>();
        builder.Services.AddMassTransit(bus =>
        {
            if (settings.Roles.Worker) builder.Services.AddExperimentsWorker(bus, settings.Worker);
            if (settings.Roles.Coordinator) builder.Services.AddExperimentsCoordinator(bus, settings.Coordinator);
            if (settings.BusUri is null)
                bus.UsingInMemory((context, configure) => configure.ConfigureEndpoints(context));
            else
                bus.UsingRabbitMq((context, configure) =>
                {
                    configure.Host(new Uri(settings.BusUri));
                    configure.ConfigureEndpoints(context);
                });
        });
        return builder.Build();
    }

    /// <summary>Tells the coordinators a sweep is waiting, so they dispatch at once rather than at their next poll.</summary>
    public static async Task AnnounceAsync(IHost host, long sweepId, CancellationToken ct)
    {
        var bus = host.Services.GetRequiredService<IBus>();
        await BusResilience.RunAsync(token => bus.Publish(new SweepQueued(sweepId), token), ct);
    }
}
