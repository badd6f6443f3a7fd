using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Experiments.Coordinator.Orchestration;

public static class CoordinatorServiceCollectionExtensions
{
    /// <summary>A coordinator: the dispatch loop and its wake-up consumers. Needs a <see cref="Store.ResultsStore"/> registered.</summary>
    public static IServiceCollection AddExperimentsCoordinator(this IServiceCollection services, IBusRegistrationConfigurator bus, CoordinatorOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<SweepDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<SweepDispatcher>());
        bus.AddConsumer<TrialEndedConsumer>();
        bus.AddConsumer<SweepQueuedConsumer>();
        return services;
    }
}
