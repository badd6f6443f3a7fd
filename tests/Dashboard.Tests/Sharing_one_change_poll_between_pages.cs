using System.Diagnostics;
using Experiments.Store;
using Npgsql;
using Xunit;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The live feed polls the database once per interval however many pages listen, and every page hears each change:
/// counted by PostgreSQL itself, as the change query is the only reader of the sweeps table while no page loads, so
/// its scans in pg_stat_user_tables are the polls. The count is taken on a PostgreSQL and a dashboard of the test's
/// own: on the collection's shared one, pictures an earlier test's trial page started (they run to the end after the
/// page goes, to be cached) read the trial with its sweep and were counted as polls. And the sweeps page's one
/// statement reads what the per-sweep reads do.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Sharing_one_change_poll_between_pages(RecordedSweepDashboard dashboard)
{
    private const int Pages = 5;

    [Fact]
    public async Task Five_listening_pages_cost_the_database_one_change_query_per_interval_and_all_hear_a_new_epoch()
    {
        await using var database = new LocalDatabase();
        await database.InitializeAsync();
        await using var writer = await database.OpenAsync();
        await using var readOnly = await ResultsStore.OpenAsync(database.ConnectionString, new ResultsStoreOptions { ReadOnly = true });
        await using var app = DashboardApp.Build(new DashboardOptions(readOnly, Token: null) { DatasetHome = dashboard.Cli.Home }, "http://127.0.0.1:0");
        await app.StartAsync();

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = Timeout.InfiniteTimeSpan };
        var listeners = new List<StreamReader>();
        for (var i = 0; i < Pages; i++)
        {
            var response = await client.GetAsync("/api/changes", HttpCompletionOption.ResponseHeadersRead, stop.Token);
            response.EnsureSuccessStatusCode();
            listeners.Add(new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token)));
        }
        // Each page first hears how things stand now.
        var first = await Task.WhenAll(listeners.Select(l => NextEventAsync(l, stop.Token)));
        Assert.Single(first.Distinct());

        await Task.Delay(1500, stop.Token);
        var before = await SweepScansAsync(database.ConnectionString);
        var window = Stopwatch.StartNew();
        await Task.Delay(5000, stop.Token);
        var polls = await SweepScansAsync(database.ConnectionString) - before;
        var intervals = window.Elapsed.TotalSeconds / 0.5;
        // One poll per 0.5 s interval (PostgreSQL's statistics reach the view within about a second, hence the slack);
        // each of five pages polling on its own would be five times as many.
        Assert.InRange(polls, intervals - 4, intervals + 4);

        // A new trial: every page hears of it within 2 s.
        var model = (await dashboard.ReadOnlyStore.GetTrialAsync(dashboard.Trial("ffnn-100", 1e-3)))!;
        await writer.CreateTrialAsync(new TrialDefinition(null, model.Architecture, (await dashboard.ReadOnlyStore.GetArchitectureSpecAsync(model.Id))!,
            model.Dataset, model.HyperparametersJson, model.Seed));
        var written = Stopwatch.StartNew();
        using var soon = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        soon.CancelAfter(TimeSpan.FromSeconds(2));
        var second = await Task.WhenAll(listeners.Select(l => NextEventAsync(l, soon.Token)));
        Assert.True(written.Elapsed < TimeSpan.FromSeconds(2));
        Assert.Single(second.Distinct());
        Assert.NotEqual(first[0], second[0]);
        foreach (var listener in listeners) listener.Dispose();
        await app.StopAsync();
    }

    [Fact]
    public async Task The_sweeps_pages_single_query_reads_each_sweeps_trials_as_the_sweep_page_reads_them()
    {
        // A second sweep beside the recorded one, half done: one trial with an epoch of two, one queued.
        await SyntheticSweep.WriteAsync(dashboard, "overview", [new(new Dictionary<string, double> { ["lr"] = 1e-3 }, 0, [0.5, 0.4], [0.6, 0.7])]);
        var overviews = await dashboard.ReadOnlyStore.ListSweepOverviewsAsync(limit: 1000);
        Assert.True(overviews.Count >= 2);
        Assert.Equal(overviews.Select(o => o.Sweep.Id).OrderDescending(), overviews.Select(o => o.Sweep.Id));
        foreach (var overview in overviews)
        {
            var trials = await dashboard.ReadOnlyStore.GetSweepTrialsAsync(overview.Sweep.Id);
            Assert.Equal(trials, overview.Trials);
            Assert.Equal(await dashboard.ReadOnlyStore.GetSweepAsync(overview.Sweep.Id) is { } sweep ? sweep.TrialsByStatus.OrderBy(kv => kv.Key) : null,
                overview.Sweep.TrialsByStatus.OrderBy(kv => kv.Key));
        }
    }

    private static async Task<string> NextEventAsync(StreamReader stream, CancellationToken ct)
    {
        while (await stream.ReadLineAsync(ct) is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal)) return line["data: ".Length..];
        throw new InvalidOperationException("the event stream ended");
    }

    private static async Task<long> SweepScansAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0)::bigint FROM pg_stat_user_tables WHERE relname = 'sweeps'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
