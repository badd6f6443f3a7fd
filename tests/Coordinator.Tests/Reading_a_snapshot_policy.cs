using Experiments.Store;

namespace Experiments.Coordinator.Tests;

public class Reading_a_snapshot_policy
{
    private const string Sweep = """
        dataset: mnist
        arch: ffnn-100
        grid:
          lr: [1e-3]
        """;

    [Fact]
    public void Snapshots_every_3_keeps_weights_on_a_cadence_of_3()
    {
        var spec = SweepReader.Parse(Sweep + "\nsnapshots: {every: 3}\n", "cadence.yaml");

        Assert.Equal(new SnapshotPolicy(3), spec.Snapshots);
    }

    [Fact]
    public void Without_a_snapshots_key_every_epoch_keeps_its_weights()
    {
        Assert.Equal(SnapshotPolicy.EveryEpoch, SweepReader.Parse(Sweep, "default.yaml").Snapshots);
    }
}
