using System.CommandLine;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Experiments.Cluster.Hosting;
using Experiments.Coordinator.Orchestration;
using Experiments.Silo.Hosting;
using Experiments.Store;
using Experiments.Worker.Node;
using Microsoft.Extensions.Hosting;
using Experiments.Datasets;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments silo</c>: one node of a cluster (docs/cluster.md).</summary>
public static class SiloCommands
{
    public static Command Create()
    {
        var role = new Option<string>("--role")
        {
            Description = "coordinator, worker, all (both in one process), or dashboard (serves the dashboard; takes no trial and no sweep).",
            DefaultValueFactory = _ => "all",
        };
        role.AcceptOnlyFromAmong("coordinator", "worker", "all", "dashboard");
        var dashboardPort = new Option<int>("--dashboard-port")
        {
            Description = "With --role dashboard: the dashboard's HTTP port (0: a free one, printed).", DefaultValueFactory = _ => DashboardCommand.DefaultPort,
        };
        var dashboardBind = new Option<string>("--dashboard-bind")
        {
            Description = "With --role dashboard: the address the dashboard listens on; beyond loopback it asks for the printed token.",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var bus = SweepCommands.RemovedBusOption();
        var db = StoreAccess.DbOption();
        var (slots, threads) = (SweepCommands.SlotsOption(), SweepCommands.ThreadsOption());
        var slotsPerGpu = new Option<int>("--slots-per-gpu")
        {
            Description = "Trials sharing one CUDA device (2 for sweeps with gpus_per_trial: 0.5).", DefaultValueFactory = _ => 1,
        };
        var lease = new Option<double>("--lease") { Description = "Seconds a running trial stays a worker's without a heartbeat.", DefaultValueFactory = _ => 30 };
        var heartbeat = new Option<double>("--heartbeat") { Description = "Seconds between a worker's heartbeats.", DefaultValueFactory = _ => 5 };
        var poll = new Option<double>("--poll") { Description = "Seconds between a coordinator's passes over the database.", DefaultValueFactory = _ => 2 };
        var address = new Option<string>("--address")
        {
            Description = "The IP address the other silos and clients reach this one at (this machine's address on the cluster's network).",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var port = new Option<int>("--port") { Description = "Silo-to-silo TCP port (0: a free one, found by the others in the database).", DefaultValueFactory = _ => 0 };
        var gatewayPort = new Option<int>("--gateway-port")
        {
            Description = "TCP port for clients such as `sweep submit` (0: a free one, found by clients in the database).", DefaultValueFactory = _ => 0,
        };
        var probeTimeout = new Option<double>("--probe-timeout")
        {
            Description = "Seconds a silo waits for another to answer a liveness probe, and between probes (docs/cluster.md, \"Failure detection\").",
            DefaultValueFactory = _ => FailureDetection.Default.ProbeTimeout.TotalSeconds,
        };
        var missedProbes = new Option<int>("--missed-probes")
        {
            Description = "Probes in a row a silo may miss before the others vote it dead.", DefaultValueFactory = _ => FailureDetection.Default.MissedProbesLimit,
        };
        var command = new Command("silo",
            "Run a cluster node until stopped (Ctrl+C or SIGTERM): a coordinator that plans sweeps, a worker that trains\n" +
            "trials, both, or a dashboard. The silos are an Orleans cluster whose only server is the PostgreSQL they share (--db): they\n" +
            "find each other, and `sweep submit` finds them, in its membership table (docs/cluster.md).\n" +
            $"Example: {ExperimentsCommand.Name} silo --role worker --address 10.0.0.2 --db \"Host=10.0.0.1;Username=…\"")
        { role, bus, db, slots, threads, slotsPerGpu, lease, heartbeat, poll, address, port, gatewayPort, probeTimeout, missedProbes, dashboardPort, dashboardBind };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            SweepCommands.RejectBus(parse, bus);
            if (!IPAddress.TryParse(parse.GetValue(address), out var advertised))
                throw new ArgumentException($"--address must be an IP address such as 10.0.0.2, got '{parse.GetValue(address)}'");
            var dashboardAddress = DashboardCommand.ParseBind(parse.GetValue(dashboardBind)!);
            foreach (var (option, value) in new[] { ("--port", parse.GetValue(port)), ("--gateway-port", parse.GetValue(gatewayPort)), ("--dashboard-port", parse.GetValue(dashboardPort)) })
                if (value is < 0 or > 65535) throw new ArgumentException($"{option} must be a TCP port from 1 to 65535, or 0 for a free one, got {value}");
            var (leaseSeconds, heartbeatSeconds, pollSeconds) = (parse.GetValue(lease), parse.GetValue(heartbeat), parse.GetValue(poll));
            // Each interval is checked on its own first, so the message names the option that is wrong and why.
            RequirePositive("--heartbeat", heartbeatSeconds, "a worker that never beats loses every trial it claims when its lease runs out");
            RequirePositive("--poll", pollSeconds, "the coordinator would re-read the database without pause");
            RequirePositive("--probe-timeout", parse.GetValue(probeTimeout), "every probe would time out, and every silo be declared dead");
            if (parse.GetValue(missedProbes) < 1)
                throw new ArgumentException($"--missed-probes must be at least 1, got {parse.GetValue(missedProbes)}: a silo that misses no probe is never suspected");
            if (!(leaseSeconds >= 2 * heartbeatSeconds))
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"--lease ({leaseSeconds} s) must be at least twice --heartbeat ({heartbeatSeconds} s), so one missed beat does not lose a trial"));
            var worker = new WorkerOptions
            {
                Slots = parse.GetValue(slots), ThreadsPerSlot = parse.GetValue(threads), SlotsPerGpu = parse.GetValue(slotsPerGpu),
                Lease = TimeSpan.FromSeconds(leaseSeconds), HeartbeatInterval = TimeSpan.FromSeconds(heartbeatSeconds),
            };
            var coordinator = new CoordinatorOptions
            {
                PollInterval = TimeSpan.FromSeconds(pollSeconds),
                WorkerLiveWithin = TimeSpan.FromSeconds(Math.Max(3 * heartbeatSeconds, leaseSeconds)),
            };
            await using var store = await StoreAccess.OpenForLongRunAsync(parse.GetValue(db), ct);
            var roles = NodeRoles.Parse(parse.GetValue(role)!);
            var detection = FailureDetection.Default with
            {
                ProbeTimeout = TimeSpan.FromSeconds(parse.GetValue(probeTimeout)), MissedProbesLimit = parse.GetValue(missedProbes),
            };
            var join = new ClusterJoin(advertised, parse.GetValue(port), parse.GetValue(gatewayPort)) { FailureDetection = detection };
            var settings = NodeSettings.Joining(join, roles, worker, coordinator);
            using var host = ExperimentsNode.Build(store, settings);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"experiments silo: role {parse.GetValue(role)}{(roles.Worker ? $", worker name {worker.Name}" : "")}; Ctrl+C stops it."));
            // A node outlives short outages (the store waits them out); past the store's budget it stops, saying so,
            // rather than run trials whose epochs it cannot record.
            using var unreachable = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var watch = WatchForLongOutageAsync(store, unreachable);
            try
            {
                await host.StartAsync(unreachable.Token);
                var silo = host.Services.GetRequiredService<ILocalSiloDetails>();
                Console.Error.WriteLine($"experiments silo: {silo.SiloAddress.ToParsableString()} joined the cluster (gateway port {silo.GatewayAddress?.Endpoint.Port ?? 0}).");
                // A dashboard silo serves the cluster's database read-only, as `experiments dashboard` does.
                await using var dashboard = roles.Dashboard
                    ? await DashboardCommand.StartAsync(parse.GetValue(db), dashboardAddress, parse.GetValue(dashboardPort), TimeSpan.FromSeconds(10), unreachable.Token, "--dashboard-port")
                    : null;
                if (roles.Dashboard && dashboard is null)
                {
                    await host.StopAsync(CancellationToken.None);
                    return CommandErrors.Failure;
                }
                await host.WaitForShutdownAsync(unreachable.Token); // stops the host once asked to
            }
            catch (OperationCanceledException)
            {
            }
            await unreachable.CancelAsync();
            if (await watch is { } outage && !ct.IsCancellationRequested)
            {
                CommandErrors.Error(outage.Message + "; this node stopped. Once the database is back, start it again with the same command " +
                                    "(its trials resume from their latest epochs).");
                return CommandErrors.Failure;
            }
            return CommandErrors.Ok;
        }));
        return command;
    }

    /// <summary>Completes, and stops the node, once the database has been unreachable for longer than the store waits.</summary>
    private static async Task<StoreUnreachableException?> WatchForLongOutageAsync(ResultsStore store, CancellationTokenSource stopNode)
    {
        try
        {
            while (!stopNode.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stopNode.Token);
                if (store.OutagePastBudget() is { } outage)
                {
                    await stopNode.CancelAsync();
                    return outage;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        return null;
    }

    private static void RequirePositive(string option, double seconds, string why)
    {
        if (!(seconds > 0) || double.IsInfinity(seconds))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{option} must be a number of seconds above 0, got {seconds}: {why}"));
    }
}
