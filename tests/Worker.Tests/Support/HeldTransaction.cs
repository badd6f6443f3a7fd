using Npgsql;

namespace Experiments.Worker.Tests.Support;

/// <summary>
/// One statement run in a transaction of its own connection, left open: whatever it locked (a row <c>FOR UPDATE</c>, an
/// uncommitted row a unique key waits on) stays locked until <see cref="ReleaseAsync"/> rolls it back. Tests hold an
/// epoch's write open with it for as long as they choose, so what happens meanwhile is a fact rather than a race.
/// </summary>
internal sealed class HeldTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
{
    /// <summary>The trial's row locked: an epoch write of that trial (which shares the row) waits until release.</summary>
    public static Task<HeldTransaction> LockTrialAsync(string connectionString, long trial) =>
        BeginAsync(connectionString, "SELECT id FROM trials WHERE id = @trial FOR UPDATE", ("trial", trial));

    public static async Task<HeldTransaction> BeginAsync(string connectionString, string sql, params (string Name, object Value)[] parameters)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync();
        return new HeldTransaction(connection, transaction);
    }

    /// <summary>Rolls back: the statement leaves nothing behind.</summary>
    public Task ReleaseAsync() => transaction.RollbackAsync();

    public async ValueTask DisposeAsync()
    {
        await transaction.DisposeAsync();
        await connection.DisposeAsync();
    }
}
