namespace Experiments.Store;

/// <summary>
/// One silo incarnation, as Orleans's SiloAddress names it: the IP address it listens on (text form), its silo port and
/// its generation (a restarted silo on the same endpoint has a later generation, so it is a new member).
/// </summary>
public sealed record SiloKey(string Address, int Port, int Generation);

/// <summary>The lifecycle states a silo row can hold (migration 0006 checks the same list).</summary>
public enum SiloState { Created, Joining, Active, ShuttingDown, Stopping, Dead }

/// <summary>A vote that <c>Suspecter</c> (a silo, in Orleans's parsable address form) cast against a silo at <c>At</c> (UTC).</summary>
public sealed record SiloSuspicion(string Suspecter, DateTimeOffset At);

/// <summary>
/// A silo's membership row: what Orleans's MembershipEntry holds, in plain types. <c>ProxyPort</c> is the gateway port
/// (0: not a gateway); times are UTC.
/// </summary>
public sealed record SiloMember(
    SiloKey Silo, SiloState State, IReadOnlyList<SiloSuspicion> Suspicions, int ProxyPort, string HostName, string SiloName,
    string RoleName, int UpdateZone, int FaultZone, DateTimeOffset StartTime, DateTimeOffset IAmAliveTime);

/// <summary>A silo's row with its etag, which a conditional update must name.</summary>
public sealed record VersionedSiloMember(SiloMember Member, string ETag);

/// <summary>
/// The membership version of one cluster: <c>Version</c> counts committed membership changes as Orleans numbers them,
/// and <c>ETag</c> changes with every one of them; a write that names a stale etag is refused.
/// </summary>
public sealed record MembershipTableVersion(int Version, string ETag);

/// <summary>A consistent snapshot of one cluster's membership: its version and the rows read with it.</summary>
public sealed record MembershipSnapshot(MembershipTableVersion Version, IReadOnlyList<VersionedSiloMember> Members);
