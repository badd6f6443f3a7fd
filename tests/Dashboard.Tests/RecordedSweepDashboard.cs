using System.Text.Json;
using System.Text.RegularExpressions;
using Experiments.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;
using Xunit;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// A sweep really recorded by the CLI (two architectures × two learning rates, 2 epochs each on 500 synthetic digits),
/// served by a dashboard on a free loopback port over its PostgreSQL, read-only as <c>experiments dashboard</c> reads
/// it, and one headless Debian Chromium shared by the tests.
/// </summary>
public sealed class RecordedSweepDashboard : IAsyncLifetime
{
    /// <summary>The test collection that shares one recorded sweep, dashboard and browser.</summary>
    public const string Collection = "a recorded sweep on a dashboard";

    public const string SweepName = "lenet-vs-mlp";

    // Debian's Chromium, never a browser Playwright downloads.
    private const string Chromium = "/usr/lib/chromium/chromium";

    private IPlaywright? _playwright;
    private ResultsStore? _readOnly;

    public CliProcess Cli { get; } = new();

    public long SweepId { get; private set; }

    /// <summary>The sweep's trials by id, as <c>sweep status --json</c> lists them, with their architecture and learning rate.</summary>
    public IReadOnlyList<(long Id, string Architecture, double LearningRate)> Trials { get; private set; } = [];

    /// <summary>The application role's connection to the same database, for tests that record into it as a worker would.</summary>
    public string WriterConnection { get; private set; } = "";

    public ResultsStore ReadOnlyStore => _readOnly!;

    public WebApplication App { get; private set; } = null!;

    public string Url { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var file = Cli.WriteFile("dashboard-sweep.yaml", $"""
            name: {SweepName}
            dataset: synthetic
            epochs: 2
            limit: 500
            batch_size: 64
            grid:
              arch: [lenet-matconvnet, ffnn-100]
              lr: [1e-3, 3e-3]
            """);
        var run = Cli.Run("sweep", "run", file, "--slots", "1", "--threads", "1");
        Assert.True(run.ExitCode == 0, run.All);
        SweepId = long.Parse(Regex.Match(run.Output, @"Sweep (\d+) completed").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

        WriterConnection = ConnectionStrings.ToNpgsql(Cli.Run("db", "url").Output.Trim());
        await using (var store = await ResultsStore.OpenAsync(WriterConnection))
        {
            var rows = await store.ListTrialsAsync(SweepId, 100);
            Trials = [.. rows.OrderBy(r => r.Id).Select(r =>
            {
                using var hyperparameters = JsonDocument.Parse(r.HyperparametersJson);
                return (r.Id, r.Architecture, hyperparameters.RootElement.GetProperty("lr").GetDouble());
            })];
        }

        var reader = await StoreConnection.ResolveReaderAsync(null, null, Cli.Home, progress: null, CancellationToken.None);
        _readOnly = await ResultsStore.OpenAsync(reader, new ResultsStoreOptions { ReadOnly = true });
        App = DashboardApp.Build(new DashboardOptions(_readOnly, Token: null) { DatasetHome = Cli.Home }, "http://127.0.0.1:0");
        await App.StartAsync();
        Url = App.Urls.First();

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
    }

    public long Trial(string architecture, double learningRate) =>
        Trials.Single(t => t.Architecture == architecture && t.LearningRate.Equals(learningRate)).Id;

    /// <summary>A new page that collects every console error and uncaught exception, and every dialog (an alert would mean a script ran).</summary>
    public async Task<WatchedPage> OpenAsync(string path)
    {
        var page = await Browser.NewPageAsync();
        var watched = new WatchedPage(page);
        page.Console += (_, message) => { if (message.Type == "error") watched.Errors.Add($"console: {message.Text}"); };
        page.PageError += (_, error) => watched.Errors.Add($"page error: {error}");
        page.Dialog += async (_, dialog) => { watched.Errors.Add($"dialog: {dialog.Message}"); await dialog.DismissAsync(); };
        page.RequestFailed += (_, request) => { if (!request.Url.EndsWith("/api/changes", StringComparison.Ordinal)) watched.Errors.Add($"request failed: {request.Url}"); };
        await page.GotoAsync(Url + path);
        return watched;
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (App is not null)
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
        if (_readOnly is not null) await _readOnly.DisposeAsync();
        Cli.Dispose();
    }
}

/// <summary>A browser page with what went wrong on it so far.</summary>
public sealed record WatchedPage(IPage Page)
{
    public List<string> Errors { get; } = [];
}

/// <summary>Shares one <see cref="RecordedSweepDashboard"/> between the test classes that browse and serve it.</summary>
[CollectionDefinition(RecordedSweepDashboard.Collection)]
public sealed class RecordedSweepDashboardCollection : ICollectionFixture<RecordedSweepDashboard>;
