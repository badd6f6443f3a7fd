using Npgsql;

namespace Experiments.Store;

/// <summary>The answer to an ad-hoc query: column names and rows of values rendered as text (null stays null).</summary>
public sealed record QueryResult(IReadOnlyList<string> Columns, IReadOnlyList<string?[]> Rows, bool Truncated);

/// <summary>
/// Runs a user's SQL in a read-only transaction with a statement timeout, so a typo or a runaway query can neither
/// change the results nor hold the database. The transaction is always rolled back.
/// </summary>
public static class ReadOnlySql
{
    public static async Task<QueryResult> RunAsync(string connectionString, string sql, TimeSpan timeout, int maxRows, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var setup = new NpgsqlCommand(
            $"SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {(long)timeout.TotalMilliseconds}", connection, transaction))
            await setup.ExecuteNonQueryAsync(ct);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
        var rows = new List<string?[]>();
        var truncated = false;
        while (await reader.ReadAsync(ct))
        {
            if (rows.Count == maxRows) { truncated = true; break; }
            var row = new string?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
                row[i] = reader.IsDBNull(i) ? null : Render(reader.GetValue(i));
            rows.Add(row);
        }
        await reader.CloseAsync();
        await transaction.RollbackAsync(ct);
        return new QueryResult(columns, rows, truncated);
    }

    private static string Render(object value) => value switch
    {
        double d => d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        byte[] b => $"<{b.Length} bytes>",
        Array a => "{" + string.Join(",", a.Cast<object?>()) + "}",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
