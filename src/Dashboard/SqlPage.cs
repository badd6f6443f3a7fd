using System.Globalization;
using System.Text;
using Experiments.Store;
using Experiments.Visualization.Exports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Experiments.Dashboard;

/// <summary>
/// The SQL page (<c>/sql</c>): one ad-hoc statement at a time, run by <see cref="ReadOnlySql"/> exactly as
/// <c>results sql</c> runs it (a read-only transaction with a statement timeout, refused for a superuser), so what
/// keeps it from writing is the database, never a parse of the text. Beside the box, the documented views and tables
/// (docs/schema.md) with their columns as the database has them.
/// </summary>
public static class SqlPage
{
    /// <summary>
    /// The relations docs/schema.md documents, views first, each with what one row is. Their columns are read from the
    /// database itself, so the list never goes stale against a migration.
    /// </summary>
    internal static readonly IReadOnlyList<(string Name, string Kind, string About)> Documented =
    [
        ("trial_summary", "view", "one row per trial, with its best trained epoch and that epoch's validation and test figures"),
        ("epoch_metrics_long", "view", "every recorded figure as one row (trial_id, epoch, split, metric, value), for pivots and plots"),
        ("sweeps", "table", "a named group of trials"),
        ("trials", "table", "one training run: its settings, status and attempts"),
        ("epochs", "table", "one row per trial and epoch: losses, accuracies, learning rate, seconds"),
        ("weight_tensors", "table", "every stored tensor of every epoch's snapshot"),
        ("epoch_artifacts", "table", "per-epoch JSON artifacts: confusion matrices, ROC curves"),
        ("workers", "table", "the workers that ran trials"),
        ("worker_heartbeats", "table", "each running trial's latest heartbeat"),
    ];

    /// <summary>Maps the page and its JSON: <c>POST /api/sql</c> (JSON <c>{"query": …}</c>), <c>POST /api/sql/csv</c> (form field <c>query</c>), <c>GET /api/sql/schema</c>.</summary>
    public static WebApplication MapSqlPage(this WebApplication app)
    {
        app.MapGet("/sql", () => StaticAssets.Serve("page.html"));
        app.MapGet("/api/sql/schema", SchemaAsync);
        app.MapPost("/api/sql", async (SqlRequest request, DashboardOptions options, CancellationToken ct) =>
        {
            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var result = await RunAsync(request.Query, options, ct);
                return Results.Json(new SqlAnswer(result.Columns, result.Rows, Truncation(result, options),
                    System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds));
            }
            catch (QueryRefusedException e)
            {
                return Results.Json(new { error = e.Message }, statusCode: StatusCodes.Status400BadRequest);
            }
        });
        // A plain form post, so the browser saves the answer as a file (Content-Disposition) with no script involved.
        app.MapPost("/api/sql/csv", async (HttpContext context, DashboardOptions options, CancellationToken ct) =>
        {
            var form = await context.Request.ReadFormAsync(ct);
            try
            {
                var result = await RunAsync(form["query"].ToString(), options, ct);
                return Results.File(Encoding.UTF8.GetBytes(CsvText.Write(result.Columns, result.Rows)), "text/csv; charset=utf-8", "query.csv");
            }
            catch (QueryRefusedException e)
            {
                return Results.Text(e.Message, "text/plain; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);
            }
        });
        return app;
    }

    /// <summary>The answer as RFC 4180 CSV: a header row of column names, then one line per row; a SQL NULL is an empty field.</summary>
    private static Task<QueryResult> RunAsync(string? query, DashboardOptions options, CancellationToken ct) =>
        string.IsNullOrWhiteSpace(query)
            ? throw new QueryRefusedException("write a query first, e.g. select * from trial_summary")
            : ReadOnlySql.RunAsync(options.Store.ConnectionString, query, new QueryLimits(options.SqlTimeout, options.SqlMaxRows, options.SqlMaxBytes), ct);

    private static string? Truncation(QueryResult result, DashboardOptions options) => result.Truncated switch
    {
        "rows" => $"only the first {options.SqlMaxRows:N0} rows are shown",
        "bytes" => $"only the rows that fit in {options.SqlMaxBytes / (1 << 20):N0} MiB are shown",
        _ => null,
    };

    private static async Task<IResult> SchemaAsync(DashboardOptions options, CancellationToken ct)
    {
        var names = string.Join(", ", Documented.Select(r => $"'{r.Name}'"));
        try
        {
            var columns = await ReadOnlySql.RunAsync(options.Store.ConnectionString,
                $"SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN ({names}) ORDER BY table_name, ordinal_position",
                new QueryLimits(options.SqlTimeout, 10_000, 8L << 20), ct);
            var byRelation = columns.Rows.GroupBy(r => r[0]!).ToDictionary(g => g.Key, g => g.Select(r => new SqlColumn(r[1]!, r[2]!)).ToList());
            return Results.Json(new SqlSchema(options.SqlTimeout.TotalSeconds, options.SqlMaxRows,
                [.. Documented.Where(r => byRelation.ContainsKey(r.Name)).Select(r => new SqlRelation(r.Name, r.Kind, r.About, byRelation[r.Name]))]));
        }
        catch (QueryRefusedException e)
        {
            return Results.Json(new { error = e.Message }, statusCode: StatusCodes.Status400BadRequest);
        }
    }
}

/// <summary>The SQL page's request: one statement.</summary>
public sealed record SqlRequest(string? Query);

/// <summary>
/// The SQL page's answer: column names, rows of values as text (null for SQL NULL), why rows were cut (null when none
/// were), and how long the query took in milliseconds.
/// </summary>
public sealed record SqlAnswer(IReadOnlyList<string> Columns, IReadOnlyList<string?[]> Rows, string? Truncated, double Milliseconds);

/// <summary>What the SQL page says beside its box: the statement timeout in seconds, the row cap, and the documented relations.</summary>
public sealed record SqlSchema(double TimeoutSeconds, int MaxRows, IReadOnlyList<SqlRelation> Relations);

/// <summary>A documented view or table (docs/schema.md) with its columns as the database has them.</summary>
public sealed record SqlRelation(string Name, string Kind, string About, IReadOnlyList<SqlColumn> Columns);

/// <summary>A column and its PostgreSQL type.</summary>
public sealed record SqlColumn(string Name, string Type);
