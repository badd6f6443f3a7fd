using System.Net;
using System.Net.Sockets;
using Experiments.Contracts.Cluster;
using Experiments.Store;

namespace Experiments.Cluster.Hosting;

/// <summary>
/// One silo of the Experiments cluster: what it advertises (<see cref="Resources"/>), where its membership lives, which
/// endpoints it listens on and how quickly it declares other silos dead.
/// </summary>
public sealed record SiloSettings(SiloResources Resources)
{
    /// <summary>Orleans's ClusterId: silos and clients of one cluster share it; each has its own membership rows.</summary>
    public string ClusterId { get; init; } = "experiments";

    /// <summary>Orleans's ServiceId, stable across deployments of the cluster.</summary>
    public string ServiceId { get; init; } = "experiments";

    /// <summary>
    /// The store whose PostgreSQL holds the membership table (migration 0006). Null: a single-machine silo with
    /// Orleans's localhost clustering, which touches no database and cannot be joined from outside the process.
    /// </summary>
    public ResultsStore? MembershipStore { get; init; }

    /// <summary>The address other silos and clients reach this one at. Default 127.0.0.1 (one machine).</summary>
    public IPAddress AdvertisedAddress { get; init; } = IPAddress.Loopback;

    /// <summary>Silo-to-silo port; 0 picks a free loopback port when the silo is built.</summary>
    public int SiloPort { get; init; }

    /// <summary>Port for clients such as `sweep submit`; 0 picks a free loopback port when the silo is built.</summary>
    public int GatewayPort { get; init; }

    /// <summary>How silos watch each other (see <see cref="FailureDetection"/>).</summary>
    public FailureDetection FailureDetection { get; init; } = FailureDetection.Default;
}

/// <summary>
/// Orleans's failure detector, as we tune it (ClusterMembershipOptions). Each silo probes a few others every
/// <see cref="ProbeTimeout"/>; after <see cref="MissedProbesLimit"/> probes in a row go unanswered it suspects the silo,
/// and <see cref="VotesForDeath"/> suspicions declare it dead in the membership table.
/// </summary>
/// <param name="ProbeTimeout">How long a probe may take, and the probing period.</param>
/// <param name="MissedProbesLimit">Unanswered probes in a row before a silo votes the other one dead.</param>
/// <param name="VotesForDeath">Votes (from distinct silos) that declare a silo dead; fewer when fewer silos are alive.</param>
/// <param name="IAmAlivePeriod">How often a silo writes its IAmAlive time into the membership table.</param>
/// <param name="TableRefreshPeriod">How often a silo re-reads the whole membership table, besides the updates it is told of.</param>
public sealed record FailureDetection(TimeSpan ProbeTimeout, int MissedProbesLimit, int VotesForDeath, TimeSpan IAmAlivePeriod, TimeSpan TableRefreshPeriod)
{
    /// <summary>
    /// 2 s probes, 3 missed in a row, 2 votes: a silo must stay silent for about 6 s before anyone suspects it, which a
    /// blocking GC or a long libtorch call on a busy machine does not reach. A killed silo, whose connections are refused
    /// at once, was declared dead 4.5–5.8 s after kill -9; a frozen one (SIGSTOP), whose probes must time out and are
    /// retried indirectly through other silos, after about 27 s (2 cores under heavy load). Orleans's defaults (5 s, 3)
    /// took 11.7 s and 66 s. docs/cluster.md keeps these figures.
    /// </summary>
    public static FailureDetection Default { get; } = new(TimeSpan.FromSeconds(2), 3, 2, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
}

/// <summary>A TCP port on the loopback interface that nothing listens on right now.</summary>
public static class LoopbackPort
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
