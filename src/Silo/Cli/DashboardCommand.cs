using System.CommandLine;
using System.Globalization;
using System.Net;
using Experiments.Contracts;
using Experiments.Dashboard;
using Experiments.Datasets;
using Experiments.Store;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments dashboard</c>: the results in a browser, live, until stopped (src/Dashboard).</summary>
public static class DashboardCommand
{
    public const int DefaultPort = 5170;

    public static Command Create()
    {
        var db = StoreAccess.DbOption();
        var port = new Option<int>("--port") { Description = "The port to listen on (0: any free one, printed).", DefaultValueFactory = _ => DefaultPort };
        var bind = new Option<string>("--bind")
        {
            Description = "The address to listen on. Anything but loopback (e.g. 0.0.0.0) asks every visitor for a token, generated and printed in the address.",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var sqlTimeout = new Option<double>("--sql-timeout") { Description = "The SQL page's statement timeout in seconds.", DefaultValueFactory = _ => 10 };
        var command = new Command("dashboard",
            "Serve the results in a browser until stopped (Ctrl+C), updated live: every sweep with its progress and ETA; each sweep's trial table\n" +
            "(sort, filter), learning curves, parallel coordinates, hyperparameter importance and slices; each trial's epochs, confusion matrix,\n" +
            "ROC, weight health, and inside the network at any stored epoch: kernels, decoded filters, feature maps, saliency, Grad-CAM and CAM,\n" +
            "class probabilities and misclassified images; 2-4 trials compared side by side; CSV and safetensors exports; and a SQL page.\n" +
            "It reads the database in read-only transactions. Every page and view: docs/dashboard.md.\n" +
            $"Example: {ExperimentsCommand.Name} dashboard, then open http://127.0.0.1:{DefaultPort}") { db, port, bind, sqlTimeout };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            var address = ParseBind(parse.GetValue(bind)!);
            var chosenPort = parse.GetValue(port);
            if (chosenPort is < 0 or > 65535) throw new ArgumentException($"--port must be from 0 to 65535, got {chosenPort}");
            var timeout = parse.GetValue(sqlTimeout);
            if (!(timeout is > 0 and <= 3600)) throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--sql-timeout must be a number of seconds above 0 and at most 3600, got {timeout}"));
            await using var dashboard = await StartAsync(parse.GetValue(db), address, chosenPort, TimeSpan.FromSeconds(timeout), ct);
            if (dashboard is null) return CommandErrors.Failure;
            var token = dashboard.Token;
            Console.Error.WriteLine(token is null
                ? "The dashboard listens on this machine only; Ctrl+C stops it."
                : "The dashboard listens beyond this machine: only visitors with the token in the address get in. Ctrl+C stops it.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
            return CommandErrors.Ok;
        }));
        return command;
    }

    /// <summary>
    /// Opens the results database read-only and starts a dashboard on <paramref name="address"/>:<paramref name="port"/>
    /// (a token when the address is not loopback), printing the addresses to open on stdout. Null, having said why in
    /// one line, when the port cannot be listened on. <c>dashboard</c> and <c>silo --role dashboard</c> both start it so.
    /// </summary>
    internal static async Task<RunningDashboard?> StartAsync(string? db, IPAddress address, int port, TimeSpan sqlTimeout, CancellationToken ct,
        string portOption = "--port")
    {
        var connection = await StoreConnection.ResolveReaderAsync(null, db, ExperimentsHome.Resolve(),
            new SynchronousProgress<string>(message => Console.Error.WriteLine(message)), ct);
        var store = await ResultsStore.OpenAsync(connection, new ResultsStoreOptions { ReadOnly = true }, ct);
        var token = IPAddress.IsLoopback(address) ? null : DashboardToken.Create();
        var app = DashboardApp.Build(new DashboardOptions(store, token) { SqlTimeout = sqlTimeout }, $"http://{Host(address)}:{port}");
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            CommandErrors.Error($"cannot listen on {Host(address)}:{port}: {e.Message.TrimEnd('.')}; choose another with {portOption}");
            await app.DisposeAsync();
            await store.DisposeAsync();
            return null;
        }
        var bound = new Uri(app.Urls.First()).Port;
        foreach (var url in Addresses(address, bound, token)) Console.WriteLine(url);
        return new RunningDashboard(app, store, token);
    }

    /// <summary>Parses <c>--bind</c>: an IP address, or localhost.</summary>
    internal static IPAddress ParseBind(string text) =>
        text.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : IPAddress.TryParse(text, out var address) ? address
        : throw new ArgumentException($"--bind must be an IP address such as 127.0.0.1 or 0.0.0.0, got '{text}'");


    private static string Host(IPAddress address) => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();

    /// <summary>The addresses to open, as Jupyter prints them: by host name and by loopback when it listens on every interface.</summary>
    private static IEnumerable<string> Addresses(IPAddress address, int port, string? token)
    {
        var query = token is null ? "" : $"?{DashboardToken.QueryName}={token}";
        string Url(string host) => string.Create(CultureInfo.InvariantCulture, $"http://{host}:{port}/{query}");
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            yield return Url(Dns.GetHostName());
            yield return Url("127.0.0.1");
        }
        else yield return Url(Host(address));
    }
}

/// <summary>A started dashboard and the read-only store it reads; disposing stops the one and closes the other.</summary>
internal sealed record RunningDashboard(Microsoft.AspNetCore.Builder.WebApplication App, ResultsStore Store, string? Token) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        await Store.DisposeAsync();
    }
}
