using Experiments.Contracts;
using Experiments.Contracts.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Experiments.Cluster.Tests.Orleans;

/// <summary>
/// What the sweep's coordinator grain and the worker grains say to each other crosses silos through Orleans's
/// serializer: every message record arrives with every field as it was sent.
/// </summary>
public sealed class Carrying_the_grain_contracts
{
    private static readonly Serializer Serializer = new ServiceCollection()
        .AddSerializer(builder => builder.AddAssembly(typeof(StartTrial).Assembly))
        .BuildServiceProvider().GetRequiredService<Serializer>();

    private static T RoundTrip<T>(T value) => Serializer.Deserialize<T>(Serializer.SerializeToArray(value))!;

    [Fact]
    public void Every_message_between_coordinator_and_worker_grains_round_trips_with_all_its_fields()
    {
        Assert.Equal(new StartTrial(7, 42, 0.5), RoundTrip(new StartTrial(7, 42, 0.5)));
        Assert.Equal(new EpochReport(7, 42, 3, 2), RoundTrip(new EpochReport(7, 42, 3, 2)));
        Assert.Equal(new EpochVerdict(true, "epoch 2: below the median"), RoundTrip(new EpochVerdict(true, "epoch 2: below the median")));
        Assert.Equal(new TrialEnded(7, 42, "completed", "host/123"), RoundTrip(new TrialEnded(7, 42, "completed", "host/123")));
        Assert.Equal(TrialStartResult.NoFreeSlot, RoundTrip(TrialStartResult.NoFreeSlot));
    }
}
