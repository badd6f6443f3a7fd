using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CsvHelper;
using Npgsql;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The SQL page (<c>/sql</c>) over the recorded sweep: a query over a documented view lists the store's rows, writes
/// are refused by PostgreSQL itself and change nothing, a query past the statement timeout is cancelled, and the CSV
/// download holds exactly the table.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Querying_results_on_the_sql_page(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task A_select_over_a_documented_view_lists_the_rows_the_store_has_beside_the_documented_views()
    {
        var watched = await dashboard.OpenAsync("/sql");
        var page = watched.Page;
        // The views docs/schema.md documents, each with its columns as the database has them.
        await Expect(page.Locator("#sql-relations details[data-relation='trial_summary'] .columns")).ToContainTextAsync("best_val_accuracy");
        await Expect(page.Locator("#sql-relations details[data-relation='epoch_metrics_long'] .columns")).ToContainTextAsync("metric");
        await Expect(page.Locator("#sql-note")).ToContainTextAsync("cancelled after 10 s");

        // The box opens with a query that runs as it is: Run before typing lists the leaderboard, every trial.
        await page.Locator("#sql-run").ClickAsync();
        await Expect(page.Locator("#sql-result thead th")).ToHaveTextAsync(["trial_id", "architecture", "best_epoch", "best_val_accuracy"]);
        await Expect(page.Locator("#sql-error")).ToBeEmptyAsync();

        await page.Locator("#sql-query").FillAsync(
            $"select trial_id, architecture, epochs_trained from trial_summary where sweep_id = {dashboard.SweepId} order by trial_id");
        await page.Locator("#sql-run").ClickAsync();

        await Expect(page.Locator("#sql-result thead th")).ToHaveTextAsync(["trial_id", "architecture", "epochs_trained"]);
        await Expect(page.Locator("#sql-result tbody tr")).ToHaveCountAsync(dashboard.Trials.Count);
        var cells = await page.Locator("#sql-result tbody tr").EvaluateAllAsync<string[][]>(
            "rows => rows.map(r => [...r.cells].map(c => c.textContent))");
        // Every trial of the sweep, each trained for the sweep's 2 epochs.
        Assert.Equal(dashboard.Trials.Select(t => new[] { t.Id.ToString(CultureInfo.InvariantCulture), t.Architecture, "2" }), cells);
        await Expect(page.Locator("#sql-status")).ToContainTextAsync($"{dashboard.Trials.Count} row(s)");
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_delete_typed_into_the_page_is_refused_with_postgresqls_message_and_deletes_nothing()
    {
        var before = await CountAsync("select count(*) from epochs");
        var watched = await dashboard.OpenAsync("/sql");
        var page = watched.Page;
        await page.Locator("#sql-query").FillAsync("delete from epochs");
        await page.Locator("#sql-query").PressAsync("Control+Enter");
        await Expect(page.Locator("#sql-error")).ToHaveTextAsync(
            "the query was refused: cannot execute DELETE in a read-only transaction (ad-hoc SQL only reads)");
        await Expect(page.Locator("#sql-result tbody tr")).ToHaveCountAsync(0);
        Assert.Equal(before, await CountAsync("select count(*) from epochs"));
        // The refusal is the API's 400, which Chromium logs; nothing else went wrong.
        Assert.All(watched.Errors, e => Assert.Contains("status of 400 (Bad Request)", e));
        await page.CloseAsync();
    }

    [Theory]
    [InlineData("insert into sweeps (name, spec) values ('written', '{}')", "INSERT")]
    [InlineData("drop table epochs", "DROP TABLE")]
    // PostgreSQL names a statement by its top command: a SELECT whose WITH deletes is refused as a SELECT.
    [InlineData("with gone as (delete from trials returning id) select count(*) from gone", "SELECT")]
    public async Task A_write_sent_to_the_json_api_is_refused_by_the_database_and_changes_nothing(string write, string command)
    {
        const string everything = "select (select count(*) from sweeps) * 1000000 + (select count(*) from trials) * 1000 + (select count(*) from epochs)";
        var before = await CountAsync(everything);
        using var client = new HttpClient { BaseAddress = new Uri(dashboard.Url) };
        var response = await client.PostAsJsonAsync("/api/sql", new { query = write });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();
        Assert.Equal($"the query was refused: cannot execute {command} in a read-only transaction (ad-hoc SQL only reads)", error);
        Assert.Equal(before, await CountAsync(everything));
    }

    [Fact]
    public async Task A_query_sleeping_past_the_statement_timeout_is_cancelled_with_a_message_that_says_so()
    {
        // A dashboard of its own over the same database, with a 1 s timeout so the test does not wait out the default 10 s.
        await using var app = DashboardApp.Build(new DashboardOptions(dashboard.ReadOnlyStore, Token: null) { SqlTimeout = TimeSpan.FromSeconds(1) },
            "http://127.0.0.1:0");
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var clock = Stopwatch.StartNew();
        var response = await client.PostAsJsonAsync("/api/sql", new { query = "select pg_sleep(20)" });
        clock.Stop();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("the query ran past its statement timeout of 1 s",
            (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the query was answered after {clock.Elapsed.TotalSeconds:F1} s, not cancelled at 1 s");
        await app.StopAsync();
    }

    [Fact]
    public async Task The_csv_download_holds_exactly_the_table_with_commas_quotes_newlines_and_nulls_quoted_as_rfc_4180_says()
    {
        // Hyperparameters as JSON text hold commas and double quotes; the literal holds a line break; the null is SQL NULL.
        var query = $"select id as trial_id, hyperparameters::text as settings, E'two\\nlines' as note, null as nothing " +
                    $"from trials where sweep_id = {dashboard.SweepId} order by id";
        var watched = await dashboard.OpenAsync("/sql");
        var page = watched.Page;
        await page.Locator("#sql-query").FillAsync(query);
        await page.Locator("#sql-run").ClickAsync();
        await Expect(page.Locator("#sql-status")).ToContainTextAsync("row(s)");
        await Expect(page.Locator("#sql-error")).ToHaveTextAsync("");
        await Expect(page.Locator("#sql-result tbody tr")).ToHaveCountAsync(dashboard.Trials.Count);
        var shown = await page.Locator("#sql-result tr").EvaluateAllAsync<string?[][]>(
            "rows => rows.map(r => [...r.cells].map(c => c.classList.contains('null') ? null : c.textContent))");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#sql-csv").ClickAsync());
        Assert.Equal("query.csv", download.SuggestedFilename);
        using var reader = new StreamReader(await download.CreateReadStreamAsync());
        using var csv = new CsvParser(reader, CultureInfo.InvariantCulture);
        var parsed = new List<string?[]>();
        while (await csv.ReadAsync()) parsed.Add(csv.Record!);

        // The header, then each row as the table shows it; an SQL NULL is an empty field.
        Assert.Equal(shown.Select(r => r.Select(v => v ?? "").ToArray()), parsed);
        // And the table is what the database holds, read here over the application role's own connection.
        await using var connection = new NpgsqlConnection(dashboard.WriterConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"select id::text, hyperparameters::text from trials where sweep_id = {dashboard.SweepId} order by id", connection);
        await using var rows = await command.ExecuteReaderAsync();
        var expected = new List<string?[]> { new[] { "trial_id", "settings", "note", "nothing" } };
        while (await rows.ReadAsync()) expected.Add([rows.GetString(0), rows.GetString(1), "two\nlines", null]);
        Assert.Equal(expected, shown);
        Assert.Contains(parsed.Skip(1), r => r[1]!.Contains(',') && r[1]!.Contains('"'));
        // A form post answered with an attachment turns into a download, which Chromium reports as an aborted request.
        Assert.DoesNotContain(watched.Errors, e => !e.EndsWith("/api/sql/csv", StringComparison.Ordinal));
        await page.CloseAsync();
    }

    [Fact]
    public void A_statement_timeout_of_zero_is_refused_in_one_line_as_bad_input()
    {
        var run = dashboard.Cli.Run("dashboard", "--sql-timeout", "0");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: --sql-timeout must be a number of seconds above 0 and at most 3600, got 0", run.Error.Trim());
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(dashboard.WriterConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
