using Experiments.Datasets;
using Microsoft.Extensions.DependencyInjection;

namespace Experiments.Worker.Node;

public static class WorkerServiceCollectionExtensions
{
    /// <summary>
    /// A worker node: slots discovered or as given, the executor and heartbeats. On an Orleans silo this is all: the
    /// <see cref="TrialWorkerGrain"/> reaches the executor. Needs a <see cref="Store.ResultsStore"/>, an
    /// <see cref="Contracts.Cluster.ISweepCoordination"/> and an <see cref="ITrialProgress"/> (or none) registered.
    /// </summary>
    public static IServiceCollection AddExperimentsWorker(this IServiceCollection services, WorkerOptions options)
    {
        var slots = SlotPlan.For(options);
        services.AddSingleton(options);
        services.AddSingleton(slots);
        services.AddSingleton(sp => new DatasetCache(options.Home ?? ExperimentsHome.Resolve(), sp.GetService<Microsoft.Extensions.Logging.ILogger<DatasetCache>>()));
        services.AddSingleton(sp => new SweepTrialRun(sp.GetRequiredService<Store.ResultsStore>(), sp.GetRequiredService<DatasetCache>(), slots,
            sp.GetService<ITrialProgress>() ?? NoTrialProgress.Instance, sp.GetRequiredService<Contracts.Cluster.ISweepCoordination>())
        {
            PipelinedRecording = options.PipelinedRecording,
        });
        services.AddSingleton<TrialExecutor>();
        services.AddSingleton<WorkerHeartbeats>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerHeartbeats>());
        return services;
    }
}
