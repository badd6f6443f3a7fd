using Npgsql;

namespace Experiments.Store;

/// <summary>The answer to an ad-hoc query: column names and rows of values rendered as text (null stays null).</summary>
/// <param name="Truncated">Why fewer rows came back than the query produced ("rows" or "bytes"), or null when none were cut.</param>
public sealed record QueryResult(IReadOnlyList<string> Columns, IReadOnlyList<string?[]> Rows, string? Truncated);

/// <summary>An ad-hoc query that was refused, or that the server rejected; the message says why.</summary>
public sealed class QueryRefusedException(string message) : ArgumentException(message);

/// <summary>The caps on one ad-hoc query.</summary>
/// <param name="Timeout">The statement timeout.</param>
/// <param name="MaxRows">At most this many rows are returned.</param>
/// <param name="MaxBytes">At most this many bytes of rendered values (UTF-16 characters × 2) are returned.</param>
public sealed record QueryLimits(TimeSpan Timeout, int MaxRows, long MaxBytes);

/// <summary>
/// Runs a user's SQL as exactly one statement in a read-only transaction with a statement timeout, capped in rows and
/// bytes, and only over a connection whose role cannot leave that transaction's bounds: a superuser or a role holding
/// <see cref="DatabaseRoles.DangerousPredefinedRoles"/> is refused before the query is sent, because read-only does not
/// stop <c>COPY … TO PROGRAM</c>, <c>pg_read_file</c> or <c>pg_terminate_backend</c>. The transaction is always rolled back.
/// </summary>
public static class ReadOnlySql
{
    public static async Task<QueryResult> RunAsync(string connectionString, string sql, QueryLimits limits, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        var problems = await DatabaseRoles.UnsafeRightsAsync(connection, ct);
        if (problems.Count > 0)
            throw new QueryRefusedException(
                $"ad-hoc SQL refuses to run as role \"{connection.UserName}\" ({string.Join(", ", problems)}); " +
                $"connect as the read-only role {DatabaseRoles.Reader} with --read-db or EXPERIMENTS_READ_DB " +
                "(the `db roles` command creates it; see docs/schema.md, \"Roles\")");

        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var setup = new NpgsqlCommand(
            $"SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = {(long)limits.Timeout.TotalMilliseconds}", connection, transaction))
            await setup.ExecuteNonQueryAsync(ct);

        // One positional parameter turns off Npgsql's splitting at semicolons, so the text goes to the server as a single
        // prepared statement and the server itself refuses a second one ("cannot insert multiple commands …").
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = 0 });
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToArray();
            var rows = new List<string?[]>();
            string? truncated = null;
            long bytes = 0;
            while (truncated is null && await reader.ReadAsync(ct))
            {
                if (rows.Count == limits.MaxRows) { truncated = "rows"; break; }
                var row = new string?[reader.FieldCount];
                for (var i = 0; i < row.Length; i++)
                    row[i] = reader.IsDBNull(i) ? null : Render(reader.GetValue(i));
                bytes += row.Sum(v => 2L * (v?.Length ?? 0));
                if (bytes > limits.MaxBytes) truncated = "bytes";
                else rows.Add(row);
            }
            await reader.CloseAsync();
            await transaction.RollbackAsync(ct);
            return new QueryResult(columns, rows, truncated);
        }
        catch (PostgresException e) when (IsAboutTheQuery(e))
        {
            throw new QueryRefusedException(e.SqlState switch
            {
                PostgresErrorCodes.QueryCanceled => $"the query ran past its statement timeout of {limits.Timeout.TotalSeconds:0.###} s",
                PostgresErrorCodes.SyntaxError when e.MessageText.Contains("multiple commands", StringComparison.Ordinal) =>
                    "ad-hoc SQL runs exactly one statement; send the others one at a time",
                PostgresErrorCodes.ReadOnlySqlTransaction => $"the query was refused: {e.MessageText} (ad-hoc SQL only reads)",
                _ => $"the query was refused: {e.MessageText}",
            });
        }
    }

    // Everything but the server or the connection failing (class 08 connection, 53 resources, 57P admin shutdown,
    // 58 system, XX internal) is the query's own fault: bad syntax, no such table, no permission, too slow.
    private static bool IsAboutTheQuery(PostgresException e) =>
        e.SqlState is not { Length: 5 } state
        || !(state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("53", StringComparison.Ordinal)
             || state.StartsWith("57P", StringComparison.Ordinal) || state.StartsWith("58", StringComparison.Ordinal)
             || state.StartsWith("XX", StringComparison.Ordinal));

    private static string Render(object value) => value switch
    {
        bool b => b ? "true" : "false",
        // timestamptz arrives as a UTC DateTime; written the way psql writes it, not in the machine's culture.
        DateTime t => t.ToString(t.Kind == DateTimeKind.Utc ? "yyyy-MM-dd HH:mm:ss.FFFFFF'+00'" : "yyyy-MM-dd HH:mm:ss.FFFFFF", System.Globalization.CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFzzz", System.Globalization.CultureInfo.InvariantCulture),
        double d => d.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("G6", System.Globalization.CultureInfo.InvariantCulture),
        byte[] b => $"<{b.Length} bytes>",
        Array a => "{" + string.Join(",", a.Cast<object?>()) + "}",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
