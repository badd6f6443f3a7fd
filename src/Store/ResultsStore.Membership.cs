using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Experiments.Store;

/// <summary>
/// Cluster membership (migration 0006), the storage behind Orleans's IMembershipTable and IGatewayListProvider
/// (src/Cluster adapts Orleans's types to these calls).
/// <para>
/// Contract: every change of membership (a silo inserted, a row updated) commits together with the cluster's new version
/// and a new version etag, or not at all; it is refused (false, nothing written) when the caller's version etag or row
/// etag is stale, or when the row it inserts exists or the row it updates does not. Heartbeats (<see
/// cref="UpdateSiloIAmAliveAsync"/>) touch the IAmAlive time only, never an etag or the version, and never move it back.
/// Reads are one statement each, so a snapshot's version and rows are consistent.
/// Failures: like every store call, each runs in the store's retry pipeline. A conditional write whose commit reached the
/// server but whose acknowledgement was lost reports false on its retry (its etag has moved on); Orleans re-reads the table
/// after a false and finds the write there.
/// </para>
/// </summary>
public sealed partial class ResultsStore
{
    private const string MemberColumns =
        "s.address, s.port, s.generation, s.status, s.proxy_port, s.host_name, s.silo_name, s.role_name, s.update_zone, " +
        "s.fault_zone, s.suspecters, s.suspected_at, s.start_time, s.i_am_alive_time, s.etag";

    /// <summary>Creates the cluster's version row (version 0) unless it exists. Idempotent.</summary>
    public Task InitializeMembershipAsync(string clusterId, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand("INSERT INTO cluster_versions (cluster_id) VALUES (@cluster) ON CONFLICT DO NOTHING");
            command.Parameters.AddWithValue("cluster", clusterId);
            return await command.ExecuteNonQueryAsync(token);
        }, ct);

    /// <summary>
    /// The cluster's version and its silos (only <paramref name="silo"/>'s row when given), read in one statement.
    /// A cluster never initialised reads as version 0 with no silos.
    /// </summary>
    public Task<MembershipSnapshot> ReadMembershipAsync(string clusterId, SiloKey? silo = null, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            // The LEFT JOIN returns the version row even when no silo matches, so version and rows come from one snapshot.
            await using var command = _dataSource.CreateCommand(
                $"""
                SELECT v.version, v.etag, {MemberColumns}
                FROM cluster_versions v
                LEFT JOIN cluster_silos s ON s.cluster_id = v.cluster_id
                    AND (@address::text IS NULL OR (s.address = @address AND s.port = @port AND s.generation = @generation))
                WHERE v.cluster_id = @cluster
                """);
            command.Parameters.AddWithValue("cluster", clusterId);
            command.Parameters.Add(Nullable("address", NpgsqlDbType.Text, silo?.Address));
            command.Parameters.AddWithValue("port", silo?.Port ?? 0);
            command.Parameters.AddWithValue("generation", silo?.Generation ?? 0);
            await using var reader = await command.ExecuteReaderAsync(token);
            var version = new MembershipTableVersion(0, ETagText(0));
            var members = new List<VersionedSiloMember>();
            while (await reader.ReadAsync(token))
            {
                version = new MembershipTableVersion(reader.GetInt32(0), ETagText(reader.GetInt64(1)));
                if (!reader.IsDBNull(2)) members.Add(ReadMember(reader, 2));
            }
            return new MembershipSnapshot(version, members);
        }, ct);

    /// <summary>
    /// Adds a silo's row and sets the cluster's version to <paramref name="newVersion"/>, if the cluster's etag still is
    /// <c>newVersion.ETag</c> (the one the caller read) and the silo has no row yet; else writes nothing and returns false.
    /// </summary>
    public Task<bool> InsertSiloAsync(string clusterId, SiloMember member, MembershipTableVersion newVersion, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            if (ParseETag(newVersion.ETag) is not { } expected) return false;
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            if (!await BumpVersionAsync(connection, transaction, clusterId, newVersion.Version, expected, token)) return false;
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO cluster_silos (cluster_id, address, port, generation, status, proxy_port, host_name, silo_name, role_name,
                                           update_zone, fault_zone, suspecters, suspected_at, start_time, i_am_alive_time)
                VALUES (@cluster, @address, @port, @generation, @status, @proxy_port, @host_name, @silo_name, @role_name,
                        @update_zone, @fault_zone, @suspecters, @suspected_at, @start_time, @i_am_alive_time)
                ON CONFLICT DO NOTHING
                """, connection, transaction);
            AddMemberParameters(insert, clusterId, member);
            // A row that exists already: refused, and the version bump above is rolled back with the transaction.
            if (await insert.ExecuteNonQueryAsync(token) != 1) return false;
            await transaction.CommitAsync(token);
            return true;
        }, ct);

    /// <summary>
    /// Replaces a silo's row (status, suspicions, ports, names, zones, start time) and sets the cluster's version to
    /// <paramref name="newVersion"/>, if the row's etag still is <paramref name="rowETag"/> and the cluster's etag still is
    /// <c>newVersion.ETag</c>; else writes nothing and returns false. The IAmAlive time keeps the later of the stored and
    /// the given one, so an update built from an old read never moves a heartbeat back.
    /// </summary>
    public Task<bool> UpdateSiloAsync(string clusterId, SiloMember member, string rowETag, MembershipTableVersion newVersion, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            if (ParseETag(newVersion.ETag) is not { } expectedVersion || ParseETag(rowETag) is not { } expectedRow) return false;
            await using var connection = await _dataSource.OpenConnectionAsync(token);
            await using var transaction = await connection.BeginTransactionAsync(token);
            if (!await BumpVersionAsync(connection, transaction, clusterId, newVersion.Version, expectedVersion, token)) return false;
            await using var update = new NpgsqlCommand(
                """
                UPDATE cluster_silos
                SET status = @status, proxy_port = @proxy_port, host_name = @host_name, silo_name = @silo_name, role_name = @role_name,
                    update_zone = @update_zone, fault_zone = @fault_zone, suspecters = @suspecters, suspected_at = @suspected_at,
                    start_time = @start_time, i_am_alive_time = greatest(i_am_alive_time, @i_am_alive_time), etag = etag + 1
                WHERE cluster_id = @cluster AND address = @address AND port = @port AND generation = @generation AND etag = @row_etag
                """, connection, transaction);
            AddMemberParameters(update, clusterId, member);
            update.Parameters.AddWithValue("row_etag", expectedRow);
            if (await update.ExecuteNonQueryAsync(token) != 1) return false;
            await transaction.CommitAsync(token);
            return true;
        }, ct);

    /// <summary>
    /// Records that a silo is alive at <paramref name="aliveAt"/> (kept only if later than the stored time). Touches no
    /// etag and not the version, as Orleans allows, so it never makes a concurrent membership change fail. No-op for a
    /// silo without a row.
    /// </summary>
    public Task UpdateSiloIAmAliveAsync(string clusterId, SiloKey silo, DateTimeOffset aliveAt, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                """
                UPDATE cluster_silos SET i_am_alive_time = greatest(i_am_alive_time, @alive)
                WHERE cluster_id = @cluster AND address = @address AND port = @port AND generation = @generation
                """);
            command.Parameters.AddWithValue("cluster", clusterId);
            AddKeyParameters(command, silo);
            command.Parameters.AddWithValue("alive", aliveAt.ToUniversalTime());
            return await command.ExecuteNonQueryAsync(token);
        }, ct);

    /// <summary>
    /// Deletes the rows of dead silos last alive before <paramref name="before"/>; rows in any other state stay, however
    /// old. The version is unchanged (removing the dead changes no live member's view). Returns how many were deleted.
    /// </summary>
    public Task<int> DeleteDefunctSilosAsync(string clusterId, DateTimeOffset before, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                "DELETE FROM cluster_silos WHERE cluster_id = @cluster AND status = 'dead' AND i_am_alive_time < @before");
            command.Parameters.AddWithValue("cluster", clusterId);
            command.Parameters.AddWithValue("before", before.ToUniversalTime());
            return await command.ExecuteNonQueryAsync(token);
        }, ct);

    /// <summary>Deletes a cluster's version row and every silo row of it.</summary>
    public Task DeleteClusterMembershipAsync(string clusterId, CancellationToken ct = default) =>
        RunAsync(async token =>
        {
            await using var command = _dataSource.CreateCommand("DELETE FROM cluster_versions WHERE cluster_id = @cluster");
            command.Parameters.AddWithValue("cluster", clusterId);
            return await command.ExecuteNonQueryAsync(token);
        }, ct);

    /// <summary>The active silos of a cluster that accept clients (a gateway port above 0): what a client connects to.</summary>
    public Task<IReadOnlyList<SiloMember>> ActiveGatewaysAsync(string clusterId, CancellationToken ct = default) =>
        RunAsync<IReadOnlyList<SiloMember>>(async token =>
        {
            await using var command = _dataSource.CreateCommand(
                $"SELECT {MemberColumns} FROM cluster_silos s WHERE s.cluster_id = @cluster AND s.status = 'active' AND s.proxy_port > 0");
            command.Parameters.AddWithValue("cluster", clusterId);
            await using var reader = await command.ExecuteReaderAsync(token);
            var gateways = new List<SiloMember>();
            while (await reader.ReadAsync(token)) gateways.Add(ReadMember(reader, 0).Member);
            return gateways;
        }, ct);

    /// <summary>Sets the cluster's version, if its etag is still the one the caller read; true when it was.</summary>
    private static async Task<bool> BumpVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string clusterId, int version,
        long expectedETag, CancellationToken ct)
    {
        // Under READ COMMITTED a concurrent writer of the same etag waits for this row's lock, then re-checks the etag
        // against the committed row and matches nothing: of two writers that read the same version, exactly one wins.
        await using var command = new NpgsqlCommand(
            "UPDATE cluster_versions SET version = @version, etag = etag + 1 WHERE cluster_id = @cluster AND etag = @etag",
            connection, transaction);
        command.Parameters.AddWithValue("cluster", clusterId);
        command.Parameters.AddWithValue("version", version);
        command.Parameters.AddWithValue("etag", expectedETag);
        return await command.ExecuteNonQueryAsync(ct) == 1;
    }

    private static void AddKeyParameters(NpgsqlCommand command, SiloKey silo)
    {
        command.Parameters.AddWithValue("address", silo.Address);
        command.Parameters.AddWithValue("port", silo.Port);
        command.Parameters.AddWithValue("generation", silo.Generation);
    }

    private static void AddMemberParameters(NpgsqlCommand command, string clusterId, SiloMember member)
    {
        command.Parameters.AddWithValue("cluster", clusterId);
        AddKeyParameters(command, member.Silo);
        command.Parameters.AddWithValue("status", StateText(member.State));
        command.Parameters.AddWithValue("proxy_port", member.ProxyPort);
        command.Parameters.AddWithValue("host_name", member.HostName);
        command.Parameters.AddWithValue("silo_name", member.SiloName);
        command.Parameters.AddWithValue("role_name", member.RoleName);
        command.Parameters.AddWithValue("update_zone", member.UpdateZone);
        command.Parameters.AddWithValue("fault_zone", member.FaultZone);
        command.Parameters.AddWithValue("suspecters", member.Suspicions.Select(s => s.Suspecter).ToArray());
        command.Parameters.AddWithValue("suspected_at", member.Suspicions.Select(s => s.At.UtcDateTime).ToArray());
        command.Parameters.AddWithValue("start_time", member.StartTime.ToUniversalTime());
        command.Parameters.AddWithValue("i_am_alive_time", member.IAmAliveTime.ToUniversalTime());
    }

    private static VersionedSiloMember ReadMember(NpgsqlDataReader reader, int first)
    {
        var suspecters = reader.GetFieldValue<string[]>(first + 10);
        var suspectedAt = reader.GetFieldValue<DateTime[]>(first + 11);
        var member = new SiloMember(
            new SiloKey(reader.GetString(first), reader.GetInt32(first + 1), reader.GetInt32(first + 2)),
            ParseState(reader.GetString(first + 3)),
            [.. suspecters.Zip(suspectedAt, (who, at) => new SiloSuspicion(who, new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc))))],
            reader.GetInt32(first + 4), reader.GetString(first + 5), reader.GetString(first + 6), reader.GetString(first + 7),
            reader.GetInt32(first + 8), reader.GetInt32(first + 9),
            reader.GetFieldValue<DateTimeOffset>(first + 12), reader.GetFieldValue<DateTimeOffset>(first + 13));
        return new VersionedSiloMember(member, ETagText(reader.GetInt64(first + 14)));
    }

    private static string ETagText(long etag) => etag.ToString(CultureInfo.InvariantCulture);

    /// <summary>An etag this store handed out, or null for anything else (which then matches no row).</summary>
    private static long? ParseETag(string? etag) =>
        long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string StateText(SiloState state) => state switch
    {
        SiloState.Created => "created",
        SiloState.Joining => "joining",
        SiloState.Active => "active",
        SiloState.ShuttingDown => "shutting_down",
        SiloState.Stopping => "stopping",
        SiloState.Dead => "dead",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "not a silo state"),
    };

    private static SiloState ParseState(string text) => text switch
    {
        "created" => SiloState.Created,
        "joining" => SiloState.Joining,
        "active" => SiloState.Active,
        "shutting_down" => SiloState.ShuttingDown,
        "stopping" => SiloState.Stopping,
        "dead" => SiloState.Dead,
        _ => throw new InvalidDataException($"cluster_silos holds an unknown status '{text}'"),
    };
}
