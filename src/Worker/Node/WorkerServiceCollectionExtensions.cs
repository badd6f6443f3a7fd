using Experiments.Datasets;
using Experiments.Worker.Engine;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Experiments.Worker.Node;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>
    /// A worker node: slots discovered or as given, the executor, heartbeats, and the RunTrial consumer on the bus
    /// (<paramref name="bus"/> is the MassTransit registration the host's AddMassTransit call is building).
    /// Needs a <see cref="Store.ResultsStore"/> and an <see cref="ITrialProgress"/> (or none) registered.
    /// </summary>
    public static IServiceCollection AddExperimentsWorker(this IServiceCollection services, IBusRegistrationConfigurator bus, WorkerOptions options)
    {
        var slots = SlotPlan.For(options);
        services.AddSingleton(options);
        services.AddSingleton(slots);
        services.AddSingleton(sp => new DatasetCache(options.Home ?? ExperimentsHome.Resolve(), sp.GetService<Microsoft.Extensions.Logging.ILogger<DatasetCache>>()));
        services.AddSingleton(sp => new SweepTrialRun(sp.GetRequiredService<Store.ResultsStore>(), sp.GetRequiredService<DatasetCache>(), slots,
            sp.GetService<ITrialProgress>() ?? NoTrialProgress.Instance));
        services.AddSingleton<TrialExecutor>();
        services.AddSingleton<WorkerHeartbeats>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerHeartbeats>());
        bus.AddConsumer<RunTrialConsumer>().Endpoint(e =>
        {
            e.Name = RunTrialConsumer.Queue;
            e.ConcurrentMessageLimit = slots.Slots;
            e.PrefetchCount = slots.Slots;
        });
        return services;
    }
}
