using System.Net;
using Experiments.Store;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Experiments.Cluster.Membership;

/// <summary>
/// Orleans's membership table (IMembershipTable) in our PostgreSQL, in the tables of migration 0006, one cluster per
/// <see cref="ClusterOptions.ClusterId"/>. The semantics (etags, table version, atomic insert and update, dirty IAmAlive
/// writes, cleanup of dead rows) are Orleans's documented contract for IMembershipTable; the SQL behind them is
/// <see cref="ResultsStore"/>'s, so every call gets the store's retries and outage handling, bounded here by
/// <see cref="MembershipStorageOptions.CallTimeout"/> so Orleans's own timers keep control.
/// </summary>
public sealed class PostgresMembershipTable(ResultsStore store, IOptions<ClusterOptions> cluster, IOptions<MembershipStorageOptions> storage)
    : IMembershipTable
{
    private readonly string _clusterId = cluster.Value.ClusterId;
    private readonly TimeSpan _timeout = storage.Value.CallTimeout;

    /// <summary>Creates the cluster's version row when <paramref name="tryInitTableVersion"/>; the tables come from the store's migrations.</summary>
    public Task InitializeMembershipTableAsync(bool tryInitTableVersion, CancellationToken cancellationToken = default) =>
        tryInitTableVersion ? Bounded(ct => store.InitializeMembershipAsync(_clusterId, ct), cancellationToken) : Task.CompletedTask;

    public Task DeleteMembershipTableEntriesAsync(string clusterId, CancellationToken cancellationToken = default) =>
        Bounded(ct => store.DeleteClusterMembershipAsync(clusterId, ct), cancellationToken);

    /// <summary>Deletes dead silos last alive before <paramref name="beforeDate"/>; silos in any other state stay.</summary>
    public Task CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken = default) =>
        Bounded(ct => store.DeleteDefunctSilosAsync(_clusterId, beforeDate, ct), cancellationToken);

    public async Task<MembershipTableData> ReadRowAsync(SiloAddress key, CancellationToken cancellationToken = default) =>
        ToTableData(await Bounded(ct => store.ReadMembershipAsync(_clusterId, MembershipMapping.KeyOf(key), ct), cancellationToken));

    public async Task<MembershipTableData> ReadAllAsync(CancellationToken cancellationToken = default) =>
        ToTableData(await Bounded(ct => store.ReadMembershipAsync(_clusterId, null, ct), cancellationToken));

    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken = default) =>
        Bounded(ct => store.InsertSiloAsync(_clusterId, MembershipMapping.ToMember(entry), ToVersion(tableVersion), ct), cancellationToken);

    public Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken = default) =>
        Bounded(ct => store.UpdateSiloAsync(_clusterId, MembershipMapping.ToMember(entry), etag, ToVersion(tableVersion), ct), cancellationToken);

    public Task UpdateIAmAliveAsync(MembershipEntry entry, CancellationToken cancellationToken = default) =>
        Bounded(ct => store.UpdateSiloIAmAliveAsync(_clusterId, MembershipMapping.KeyOf(entry.SiloAddress), ToUtc(entry.IAmAliveTime), ct), cancellationToken);

    // The interface's older, token-less members (obsolete in Orleans 10), for callers that still use them.
    public Task InitializeMembershipTable(bool tryInitTableVersion) => InitializeMembershipTableAsync(tryInitTableVersion, default);
    public Task DeleteMembershipTableEntries(string clusterId) => DeleteMembershipTableEntriesAsync(clusterId, default);
    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) => CleanupDefunctSiloEntriesAsync(beforeDate, default);
    public Task<MembershipTableData> ReadRow(SiloAddress key) => ReadRowAsync(key, default);
    public Task<MembershipTableData> ReadAll() => ReadAllAsync(default);
    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) => InsertRowAsync(entry, tableVersion, default);
    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion) => UpdateRowAsync(entry, etag, tableVersion, default);
    public Task UpdateIAmAlive(MembershipEntry entry) => UpdateIAmAliveAsync(entry, default);

    private static MembershipTableVersion ToVersion(TableVersion version) => new(version.Version, version.VersionEtag);

    private static MembershipTableData ToTableData(MembershipSnapshot snapshot) => new(
        [.. snapshot.Members.Select(m => Tuple.Create(MembershipMapping.ToEntry(m.Member), m.ETag))],
        new TableVersion(snapshot.Version.Version, snapshot.Version.ETag));

    private static DateTimeOffset ToUtc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));

    private Task Bounded(Func<CancellationToken, Task> call, CancellationToken cancellationToken = default) =>
        Bounded(async ct => { await call(ct); return true; }, cancellationToken);

    private async Task<T> Bounded<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        return await call(timeout.Token);
    }
}

/// <summary>How the membership table and gateway list reach PostgreSQL.</summary>
public sealed class MembershipStorageOptions
{
    /// <summary>
    /// The longest one membership call may take, retries included. Default 10 s: past it the call fails and Orleans
    /// tries again on its own schedule, instead of waiting out the store's whole outage budget inside one call.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Orleans's membership types to the store's plain records and back.</summary>
internal static class MembershipMapping
{
    public static SiloKey KeyOf(SiloAddress silo) => new(silo.Endpoint.Address.ToString(), silo.Endpoint.Port, silo.Generation);

    public static SiloAddress AddressOf(SiloKey key) => SiloAddress.New(new IPEndPoint(IPAddress.Parse(key.Address), key.Port), key.Generation);

    public static SiloMember ToMember(MembershipEntry entry) => new(
        KeyOf(entry.SiloAddress), ToState(entry.Status),
        [.. (entry.SuspectTimes ?? []).Select(s => new SiloSuspicion(s.Item1.ToParsableString(), Utc(s.Item2)))],
        entry.ProxyPort, entry.HostName ?? "", entry.SiloName ?? "", entry.RoleName ?? "", entry.UpdateZone, entry.FaultZone,
        Utc(entry.StartTime), Utc(entry.IAmAliveTime));

    public static MembershipEntry ToEntry(SiloMember member) => new()
    {
        SiloAddress = AddressOf(member.Silo),
        Status = ToStatus(member.State),
        SuspectTimes = [.. member.Suspicions.Select(s => Tuple.Create(SiloAddress.FromParsableString(s.Suspecter), s.At.UtcDateTime))],
        ProxyPort = member.ProxyPort,
        HostName = member.HostName,
        SiloName = member.SiloName,
        RoleName = member.RoleName,
        UpdateZone = member.UpdateZone,
        FaultZone = member.FaultZone,
        StartTime = member.StartTime.UtcDateTime,
        IAmAliveTime = member.IAmAliveTime.UtcDateTime,
    };

    /// <summary>The client-facing endpoint of an active silo, as Orleans's gateway manager expects it.</summary>
    public static Uri GatewayUri(SiloMember member) =>
        SiloAddress.New(new IPEndPoint(IPAddress.Parse(member.Silo.Address), member.ProxyPort), member.Silo.Generation).ToGatewayUri();

    // Orleans hands times as DateTime in UTC (its own clock); Unspecified is read as UTC too, never as local time.
    private static DateTimeOffset Utc(DateTime time) =>
        new(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc));

    private static SiloState ToState(SiloStatus status) => status switch
    {
        SiloStatus.Created => SiloState.Created,
        SiloStatus.Joining => SiloState.Joining,
        SiloStatus.Active => SiloState.Active,
        SiloStatus.ShuttingDown => SiloState.ShuttingDown,
        SiloStatus.Stopping => SiloState.Stopping,
        SiloStatus.Dead => SiloState.Dead,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "a membership row cannot hold this silo status"),
    };

    private static SiloStatus ToStatus(SiloState state) => state switch
    {
        SiloState.Created => SiloStatus.Created,
        SiloState.Joining => SiloStatus.Joining,
        SiloState.Active => SiloStatus.Active,
        SiloState.ShuttingDown => SiloStatus.ShuttingDown,
        SiloState.Stopping => SiloStatus.Stopping,
        _ => SiloStatus.Dead,
    };
}
