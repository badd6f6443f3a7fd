using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Experiments.Cluster.Tests.Support;
using Experiments.Store;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// `experiments silo --role dashboard`: a silo of the cluster that serves the dashboard over the cluster's database,
/// and that placement never gives a trial or a sweep's coordinator grain.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class Serving_the_dashboard_from_a_silo(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_dashboard_silo_on_loopback_serves_the_clusters_sweeps_and_never_runs_a_trial()
    {
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        cluster.StartCoordinator();
        await using var dashboard = NodeProcess.Start("dashboard", fixture.NewHome("dashboard"),
            "silo", "--role", "dashboard", "--db", cluster.Database, "--dashboard-port", "0", "--heartbeat", "1", "--poll", "1", "--lease", "4");
        string? url = null;
        await cluster.WaitUntilAsync("the dashboard's address", TimeSpan.FromSeconds(60), () =>
            Task.FromResult((url = Regex.Match(dashboard.Output, @"^http://127\.0\.0\.1:\d+/", RegexOptions.Multiline).Value) is { Length: > 0 }));
        // Both silos are members: the coordinator and the dashboard, and no worker anywhere.
        await cluster.WaitUntilAsync("2 active silos", TimeSpan.FromSeconds(60), async () =>
            await cluster.ScalarAsync("SELECT count(*) FROM cluster_silos WHERE status = 'active'") == 2);

        var sweepId = await cluster.SubmitAsync("""
            name: watched-not-run
            dataset: synthetic
            epochs: 1
            batch_size: 32
            grid:
              arch: [ffnn-100]
              lr: [0.001, 0.002]
            seed: 1
            """);
        using var client = new HttpClient { BaseAddress = new Uri(url!) };
        JsonElement shown = default;
        await cluster.WaitUntilAsync("the sweep on the dashboard", TimeSpan.FromSeconds(30), async () =>
        {
            using var sweeps = JsonDocument.Parse(await client.GetStringAsync("/api/sweeps"));
            shown = sweeps.RootElement.EnumerateArray().FirstOrDefault(s => s.GetProperty("id").GetInt64() == sweepId).Clone();
            return shown.ValueKind == JsonValueKind.Object;
        });
        Assert.Equal("watched-not-run", shown.GetProperty("name").GetString());

        // The coordinator passes over the sweep every second: ten passes later its trials still wait for a worker, since
        // the one other silo serves the dashboard and placement gives it no trial.
        await Task.Delay(TimeSpan.FromSeconds(10));
        var trials = await cluster.Store.GetSweepTrialsAsync(sweepId);
        Assert.Equal(2, trials.Count);
        Assert.All(trials, t => Assert.Equal((TrialStatus.Queued, 0, null), (t.Status, t.Attempts, t.Worker)));
        Assert.Equal(0, await cluster.ScalarAsync("SELECT count(*) FROM workers"));
        Assert.Equal(0, await cluster.ScalarAsync("SELECT count(*) FROM epochs"));
        using (var sweeps = JsonDocument.Parse(await client.GetStringAsync("/api/sweeps")))
        {
            var row = sweeps.RootElement.EnumerateArray().Single(s => s.GetProperty("id").GetInt64() == sweepId);
            Assert.Equal(2, row.GetProperty("trialsByStatus").GetProperty("queued").GetInt32());
        }
        Assert.Contains("experiments silo: role dashboard", dashboard.Output);
        Assert.False(dashboard.HasExited, dashboard.Output);
        cluster.Log($"sweep {sweepId.ToString(CultureInfo.InvariantCulture)} stayed queued beside a dashboard silo");
    }
}
