using System.Diagnostics;
using System.Net;
using Experiments.Store;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// <c>experiments dashboard</c> as a user starts it: on loopback with no token, beyond it only with the printed token,
/// stopped by Ctrl+C, refusing a bad address; and its database connection cannot write.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Serving_the_dashboard_safely(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task A_request_without_the_token_is_refused_when_bound_beyond_loopback()
    {
        using var server = Start("--bind", "0.0.0.0", "--port", "0");
        // By host name and by loopback, as Jupyter prints them.
        var printed = await server.AddressesAsync(2);
        var local = Assert.Single(printed, a => a.Host == "127.0.0.1");
        var token = local.Query["?token=".Length..];
        Assert.Equal(64, token.Length);
        var root = new Uri(local.GetLeftPart(UriPartial.Authority));

        using var stranger = new HttpClient { BaseAddress = root };
        foreach (var path in new[] { "/", $"/sweeps/{dashboard.SweepId}", "/api/sweeps", "/api/changes", "/assets/dashboard.js", "/?token=wrong" })
            Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync(path)).StatusCode);

        using var visitor = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = root };
        Assert.Equal(HttpStatusCode.OK, (await visitor.GetAsync(local.PathAndQuery)).StatusCode);
        // After the first visit the cookie carries the token: the page's own requests need nothing in their address.
        var sweeps = await visitor.GetAsync("/api/sweeps");
        Assert.Equal(HttpStatusCode.OK, sweeps.StatusCode);
        Assert.Contains(RecordedSweepDashboard.SweepName, await sweeps.Content.ReadAsStringAsync());
        Assert.Equal(0, server.Stop());
    }

    [Fact]
    public async Task On_loopback_it_prints_its_address_without_a_token_and_ctrl_c_stops_it()
    {
        using var server = Start("--port", "0");
        var address = Assert.Single(await server.AddressesAsync(1));
        Assert.Equal("127.0.0.1", address.Host);
        Assert.Equal("", address.Query);
        using var client = new HttpClient();
        var page = await client.GetAsync(address);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<link rel=\"icon\" href=\"data:,\">", await page.Content.ReadAsStringAsync());
        Assert.Equal(0, server.Stop());
    }

    [Fact]
    public void An_address_that_is_not_one_is_refused_in_one_line_with_exit_code_2()
    {
        var run = dashboard.Cli.Run("dashboard", "--bind", "everywhere");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: --bind must be an IP address such as 127.0.0.1 or 0.0.0.0, got 'everywhere'", run.Error.Trim());
    }

    [Fact]
    public void A_port_already_in_use_is_said_in_one_line_with_exit_code_1()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var run = dashboard.Cli.Run("dashboard", "--port", port);
        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: cannot listen on 127.0.0.1:{port}: ", line);
        Assert.EndsWith("address already in use; choose another with --port", line);
    }

    [Fact]
    public async Task Its_database_connection_runs_read_only_transactions_even_as_the_application_role()
    {
        await using var store = await ResultsStore.OpenAsync(dashboard.WriterConnection, new ResultsStoreOptions { ReadOnly = true });
        await using var db = store.CreateDbContext();
        var refused = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("UPDATE sweeps SET name = 'changed'"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
        Assert.NotEmpty(await store.ListSweepsAsync());
    }

    private DashboardProcess Start(params string[] arguments) =>
        new(Process.Start(CliProcess.StartInfo(dashboard.Cli.Home, ["dashboard", .. arguments]))!);

    /// <summary>A running <c>experiments dashboard</c>: the addresses it prints, and Ctrl+C (SIGINT) to stop it.</summary>
    private sealed class DashboardProcess(Process process) : IDisposable
    {
        /// <summary>The <paramref name="count"/> addresses it prints on stdout, once it says on stderr that it listens.</summary>
        public async Task<IReadOnlyList<Uri>> AddressesAsync(int count)
        {
            var addresses = new List<Uri>();
            for (var i = 0; i < count; i++)
                addresses.Add(new Uri(await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) ?? throw new InvalidOperationException("the dashboard stopped")));
            var ready = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(ready is not null && ready.StartsWith("The dashboard listens", StringComparison.Ordinal), ready);
            return addresses;
        }

        /// <summary>Ctrl+C, as a terminal sends it; returns the exit code.</summary>
        public int Stop()
        {
            using (var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) interrupt.WaitForExit();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(20)), "Ctrl+C did not stop the dashboard");
            return process.ExitCode;
        }

        public void Dispose()
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.Dispose();
        }
    }
}
