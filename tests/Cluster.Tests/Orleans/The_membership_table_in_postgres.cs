using System.Net;
using Experiments.Cluster.Membership;
using Experiments.Store;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Experiments.Cluster.Tests.Orleans;

/// <summary>
/// The contract suite of our IMembershipTable and IGatewayListProvider over PostgreSQL: Orleans's documented semantics
/// (atomic insert and update under a table-version etag and a row etag, dirty IAmAlive writes, cleanup of dead rows),
/// each checked on a real database. Every test uses a cluster of its own in one shared database.
/// </summary>
public sealed class The_membership_table_in_postgres(LocalDatabase database) : IClassFixture<LocalDatabase>, IAsyncLifetime
{
    // Whole milliseconds: PostgreSQL keeps microseconds, so these times come back exactly.
    private static readonly DateTime T0 = new(2026, 11, 30, 12, 0, 0, DateTimeKind.Utc);
    private ResultsStore _store = null!;

    public async Task InitializeAsync() => _store = await database.OpenAsync();

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private (PostgresMembershipTable Table, string ClusterId) NewCluster()
    {
        var clusterId = "test-" + Guid.NewGuid().ToString("N")[..8];
        return (TableOf(clusterId), clusterId);
    }

    private PostgresMembershipTable TableOf(string clusterId) =>
        new(_store, Options.Create(new ClusterOptions { ClusterId = clusterId }), Options.Create(new MembershipStorageOptions()));

    private static SiloAddress Silo(int n, int generation = 1) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11_000 + n), generation);

    private static MembershipEntry Entry(int n, SiloStatus status = SiloStatus.Active, int generation = 1) => new()
    {
        SiloAddress = Silo(n, generation),
        Status = status,
        SuspectTimes = [],
        ProxyPort = 30_000 + n,
        HostName = $"host-{n}",
        SiloName = $"silo-{n}",
        RoleName = "experiments",
        UpdateZone = n,
        FaultZone = 10 + n,
        StartTime = T0,
        IAmAliveTime = T0.AddSeconds(n),
    };

    /// <summary>A fresh, initialised cluster with the given rows inserted one after the other.</summary>
    private static async Task<MembershipTableData> SeedAsync(PostgresMembershipTable table, params MembershipEntry[] entries)
    {
        await table.InitializeMembershipTableAsync(true);
        foreach (var entry in entries)
            Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(default)).Version.Next()));
        return await table.ReadAllAsync(default);
    }

    private static (MembershipEntry Entry, string ETag) Row(MembershipTableData data, SiloAddress silo)
    {
        var row = Assert.Single(data.Members, m => m.Item1.SiloAddress.Equals(silo));
        return (row.Item1, row.Item2);
    }

    /// <summary>Everything a snapshot holds, in a comparable form (version, etags and every field of every row).</summary>
    private static string Describe(MembershipTableData data) =>
        $"{data.Version.Version}/{data.Version.VersionEtag}: " + string.Join("; ", data.Members
            .OrderBy(m => m.Item1.SiloAddress.ToParsableString())
            .Select(m => $"{m.Item1.ToFullString()} alive {m.Item1.IAmAliveTime:O} etag {m.Item2}"));

    [Fact]
    public async Task A_fresh_cluster_reads_as_version_0_with_no_silos_and_initialising_it_twice_changes_nothing()
    {
        var (table, _) = NewCluster();
        await table.InitializeMembershipTableAsync(true);
        var first = await table.ReadAllAsync(default);
        await table.InitializeMembershipTableAsync(true);
        var second = await table.ReadAllAsync(default);

        Assert.Equal(0, first.Version.Version);
        Assert.Empty(first.Members);
        Assert.Equal(first.Version, second.Version);
        Assert.Empty(second.Members);
        Assert.Empty((await table.ReadRowAsync(Silo(1))).Members);
    }

    [Fact]
    public async Task A_silo_inserted_reads_back_with_every_field_and_the_next_version()
    {
        var (table, _) = NewCluster();
        await table.InitializeMembershipTableAsync(true);
        var entry = Entry(1, SiloStatus.Joining);
        entry.SuspectTimes = [Tuple.Create(Silo(2), T0.AddSeconds(5))];

        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync(default)).Version.Next()));

        var all = await table.ReadAllAsync(default);
        Assert.Equal(1, all.Version.Version);
        var (stored, _) = Row(all, entry.SiloAddress);
        Assert.Equal(entry.ToFullString(), stored.ToFullString());
        Assert.Equal((entry.StartTime, entry.IAmAliveTime), (stored.StartTime, stored.IAmAliveTime));
        Assert.Equal([(Silo(2), T0.AddSeconds(5))], stored.SuspectTimes!.Select(s => (s.Item1, s.Item2)));
        var one = await table.ReadRowAsync(entry.SiloAddress);
        Assert.Equal(Describe(all), Describe(one));
    }

    [Fact]
    public async Task Of_concurrent_inserts_made_from_the_same_version_exactly_one_wins()
    {
        var (_, clusterId) = NewCluster();
        // Independent table objects, as on separate silos.
        var tables = Enumerable.Range(0, 8).Select(_ => TableOf(clusterId)).ToArray();
        await tables[0].InitializeMembershipTableAsync(true);
        var version = (await tables[0].ReadAllAsync(default)).Version;

        var results = await Task.WhenAll(tables.Select((t, i) => t.InsertRowAsync(Entry(i), version.Next())));

        var winner = Assert.Single(Enumerable.Range(0, 8), i => results[i]);
        var after = await tables[0].ReadAllAsync(default);
        Assert.Equal(1, after.Version.Version);
        Assert.Equal(Silo(winner), Assert.Single(after.Members).Item1.SiloAddress);
    }

    [Fact]
    public async Task Inserting_a_silo_that_has_a_row_is_refused_and_changes_nothing()
    {
        var (table, _) = NewCluster();
        var before = await SeedAsync(table, Entry(1));
        var again = Entry(1, SiloStatus.Dead);

        Assert.False(await table.InsertRowAsync(again, before.Version.Next()));
        Assert.Equal(Describe(before), Describe(await table.ReadAllAsync(default)));
    }

    [Fact]
    public async Task A_write_from_a_stale_table_version_is_refused_and_changes_nothing()
    {
        var (table, _) = NewCluster();
        var stale = await SeedAsync(table, Entry(1));
        Assert.True(await table.InsertRowAsync(Entry(2), stale.Version.Next()));
        var before = await table.ReadAllAsync(default);
        var (_, currentRowETag) = Row(before, Silo(1));

        Assert.False(await table.InsertRowAsync(Entry(3), stale.Version.Next()));
        Assert.False(await table.UpdateRowAsync(Entry(1, SiloStatus.ShuttingDown), currentRowETag, stale.Version.Next()));
        Assert.Equal(Describe(before), Describe(await table.ReadAllAsync(default)));
    }

    [Fact]
    public async Task An_update_with_a_stale_row_etag_is_refused_even_from_the_current_table_version()
    {
        var (table, _) = NewCluster();
        var first = await SeedAsync(table, Entry(1, SiloStatus.Joining));
        var (_, staleRowETag) = Row(first, Silo(1));
        Assert.True(await table.UpdateRowAsync(Entry(1, SiloStatus.Active), staleRowETag, first.Version.Next()));
        var before = await table.ReadAllAsync(default);

        Assert.NotEqual(staleRowETag, Row(before, Silo(1)).ETag);
        Assert.False(await table.UpdateRowAsync(Entry(1, SiloStatus.Dead), staleRowETag, before.Version.Next()));
        Assert.Equal(Describe(before), Describe(await table.ReadAllAsync(default)));
        Assert.Equal(SiloStatus.Active, Row(await table.ReadAllAsync(default), Silo(1)).Entry.Status);
    }

    [Fact]
    public async Task An_update_of_a_silo_without_a_row_is_refused()
    {
        var (table, _) = NewCluster();
        var before = await SeedAsync(table, Entry(1));

        Assert.False(await table.UpdateRowAsync(Entry(2), Row(before, Silo(1)).ETag, before.Version.Next()));
        Assert.Equal(Describe(before), Describe(await table.ReadAllAsync(default)));
    }

    [Fact]
    public async Task A_suspicion_vote_is_stored_with_its_voter_and_time_and_a_second_vote_on_the_stale_etag_is_refused()
    {
        var (table, _) = NewCluster();
        var before = await SeedAsync(table, Entry(1), Entry(2), Entry(3));
        var (suspect, etag) = Row(before, Silo(1));

        // Silo 2 votes; silo 3 read the same row and votes from that stale read.
        var byTwo = Entry(1);
        byTwo.AddSuspector(Silo(2), T0.AddSeconds(20));
        Assert.True(await table.UpdateRowAsync(byTwo, etag, before.Version.Next()));
        var byThree = Entry(1);
        byThree.AddSuspector(Silo(3), T0.AddSeconds(21));
        Assert.False(await table.UpdateRowAsync(byThree, etag, before.Version.Next()));

        var after = await table.ReadAllAsync(default);
        Assert.Equal(before.Version.Version + 1, after.Version.Version);
        Assert.Equal([(Silo(2), T0.AddSeconds(20))], Row(after, Silo(1)).Entry.SuspectTimes!.Select(s => (s.Item1, s.Item2)));
        Assert.Equal(SiloStatus.Active, suspect.Status);

        // Re-read, silo 3's vote goes in next to silo 2's, and with both the silo is declared dead.
        var (current, currentETag) = Row(after, Silo(1));
        current.AddSuspector(Silo(3), T0.AddSeconds(21));
        current.Status = SiloStatus.Dead;
        Assert.True(await table.UpdateRowAsync(current, currentETag, after.Version.Next()));
        var dead = Row(await table.ReadAllAsync(default), Silo(1)).Entry;
        Assert.Equal(SiloStatus.Dead, dead.Status);
        Assert.Equal([Silo(2), Silo(3)], dead.SuspectTimes!.Select(s => s.Item1));
    }

    [Fact]
    public async Task IAmAlive_moves_only_the_heartbeat_forward_never_back_and_leaves_etags_and_version_alone()
    {
        var (table, _) = NewCluster();
        var before = await SeedAsync(table, Entry(1), Entry(2));
        var later = Entry(1);
        later.IAmAliveTime = T0.AddMinutes(5);
        later.Status = SiloStatus.Dead; // only the IAmAlive column may be written
        await table.UpdateIAmAliveAsync(later);
        var earlier = Entry(1);
        earlier.IAmAliveTime = T0.AddMinutes(1);
        await table.UpdateIAmAliveAsync(earlier);

        var after = await table.ReadAllAsync(default);
        var (row, etag) = Row(after, Silo(1));
        Assert.Equal(T0.AddMinutes(5), row.IAmAliveTime);
        Assert.Equal(SiloStatus.Active, row.Status);
        Assert.Equal(Row(before, Silo(1)).ETag, etag);
        Assert.Equal(before.Version, after.Version);
        Assert.Equal(Entry(2).IAmAliveTime, Row(after, Silo(2)).Entry.IAmAliveTime);

        // A membership update built from an older read does not move the heartbeat back either.
        Assert.True(await table.UpdateRowAsync(Entry(1, SiloStatus.ShuttingDown), etag, after.Version.Next()));
        Assert.Equal(T0.AddMinutes(5), Row(await table.ReadAllAsync(default), Silo(1)).Entry.IAmAliveTime);
    }

    [Fact]
    public async Task Cleanup_deletes_the_dead_silos_last_alive_before_the_cutoff_and_nothing_else()
    {
        var (table, _) = NewCluster();
        var (other, _) = NewCluster();
        await SeedAsync(other, Entry(1, SiloStatus.Dead));
        var before = await SeedAsync(table,
            Entry(1, SiloStatus.Dead),          // alive at T0+1 s: before the cutoff, deleted
            Entry(2, SiloStatus.Active),        // old but active: kept
            Entry(3, SiloStatus.Joining),       // old but joining: kept
            Entry(40, SiloStatus.Dead),         // alive at T0+40 s: after the cutoff, kept
            Entry(4, SiloStatus.ShuttingDown)); // old but shutting down: kept

        await table.CleanupDefunctSiloEntriesAsync(T0.AddSeconds(30));

        var after = await table.ReadAllAsync(default);
        Assert.Equal([Silo(2), Silo(3), Silo(4), Silo(40)], after.Members.Select(m => m.Item1.SiloAddress).OrderBy(s => s.Endpoint.Port));
        Assert.Equal(before.Version, after.Version);
        Assert.Single((await other.ReadAllAsync(default)).Members); // another cluster's dead silo is not this cleanup's business
    }

    [Fact]
    public async Task Deleting_a_clusters_entries_empties_it_and_leaves_other_clusters_alone()
    {
        var (table, clusterId) = NewCluster();
        var (other, _) = NewCluster();
        await SeedAsync(table, Entry(1), Entry(2));
        await SeedAsync(other, Entry(1));

        await table.DeleteMembershipTableEntriesAsync(clusterId);

        var after = await table.ReadAllAsync(default);
        Assert.Empty(after.Members);
        Assert.Equal(0, after.Version.Version);
        Assert.Single((await other.ReadAllAsync(default)).Members);
    }

    [Fact]
    public async Task A_restarted_silo_is_a_new_member_beside_its_dead_predecessor()
    {
        var (table, _) = NewCluster();
        var before = await SeedAsync(table, Entry(1, SiloStatus.Dead, generation: 1));

        Assert.True(await table.InsertRowAsync(Entry(1, SiloStatus.Joining, generation: 2), before.Version.Next()));

        var after = await table.ReadAllAsync(default);
        Assert.Equal([(1, SiloStatus.Dead), (2, SiloStatus.Joining)],
            after.Members.Select(m => (m.Item1.SiloAddress.Generation, m.Item1.Status)).OrderBy(m => m.Generation));
    }

    [Fact]
    public async Task The_gateway_list_is_exactly_the_gateway_endpoints_of_the_active_silos()
    {
        var (table, clusterId) = NewCluster();
        var (other, _) = NewCluster();
        await SeedAsync(other, Entry(9));
        var noGateway = Entry(5);
        noGateway.ProxyPort = 0;
        await SeedAsync(table, Entry(1), Entry(2), Entry(3, SiloStatus.Joining), Entry(4, SiloStatus.Dead), noGateway,
            Entry(6, SiloStatus.ShuttingDown));
        var gateways = new PostgresGatewayListProvider(_store, Options.Create(new ClusterOptions { ClusterId = clusterId }),
            Options.Create(new GatewayOptions()), Options.Create(new MembershipStorageOptions()));
        await gateways.InitializeGatewayListProvider();

        var uris = await gateways.GetGateways();

        // Orleans's gateway URI: gwy.tcp://host:gateway-port/generation
        Assert.Equal(["gwy.tcp://127.0.0.1:30001/1", "gwy.tcp://127.0.0.1:30002/1"], uris.Select(u => u.ToString()).Order());
        Assert.True(gateways.IsUpdatable);
    }
}
