using System.CommandLine;
using System.Globalization;
using Experiments.Coordinator.Orchestration;
using Experiments.Silo.Hosting;
using Experiments.Worker.Node;
using Microsoft.Extensions.Hosting;
using Experiments.Datasets;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments silo</c>: one node of a cluster (docs/cluster.md).</summary>
public static class SiloCommands
{
    public static Command Create()
    {
        var role = new Option<string>("--role") { Description = "coordinator, worker, or all (both in one process).", DefaultValueFactory = _ => "all" };
        role.AcceptOnlyFromAmong("coordinator", "worker", "all");
        var bus = SweepCommands.BusOption();
        bus.Required = true;
        var db = StoreAccess.DbOption();
        var (slots, threads) = (SweepCommands.SlotsOption(), SweepCommands.ThreadsOption());
        var slotsPerGpu = new Option<int>("--slots-per-gpu")
        {
            Description = "Trials sharing one CUDA device (2 for sweeps with gpus_per_trial: 0.5).", DefaultValueFactory = _ => 1,
        };
        var lease = new Option<double>("--lease") { Description = "Seconds a running trial stays a worker's without a heartbeat.", DefaultValueFactory = _ => 30 };
        var heartbeat = new Option<double>("--heartbeat") { Description = "Seconds between a worker's heartbeats.", DefaultValueFactory = _ => 5 };
        var poll = new Option<double>("--poll") { Description = "Seconds between a coordinator's passes over the database.", DefaultValueFactory = _ => 2 };
        var command = new Command("silo",
            "Run a cluster node until stopped (Ctrl+C or SIGTERM): a coordinator that dispatches sweeps, a worker that trains\n" +
            "trials, or both. All nodes share one PostgreSQL (--db) and one RabbitMQ (--bus).\n" +
            $"Example: {ExperimentsCommand.Name} silo --role worker --bus amqp://guest:guest@10.0.0.1:5672/ --db \"Host=10.0.0.1;Username=…\"")
        { role, bus, db, slots, threads, slotsPerGpu, lease, heartbeat, poll };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            var (leaseSeconds, heartbeatSeconds) = (parse.GetValue(lease), parse.GetValue(heartbeat));
            if (!(heartbeatSeconds > 0) || !(leaseSeconds >= 2 * heartbeatSeconds))
                throw new ArgumentException($"--lease ({leaseSeconds} s) must be at least twice --heartbeat ({heartbeatSeconds} s), so one missed beat does not lose a trial");
            var worker = new WorkerOptions
            {
                Slots = parse.GetValue(slots), ThreadsPerSlot = parse.GetValue(threads), SlotsPerGpu = parse.GetValue(slotsPerGpu),
                Lease = TimeSpan.FromSeconds(leaseSeconds), HeartbeatInterval = TimeSpan.FromSeconds(heartbeatSeconds),
            };
            var coordinator = new CoordinatorOptions
            {
                PollInterval = TimeSpan.FromSeconds(parse.GetValue(poll)),
                WorkerLiveWithin = TimeSpan.FromSeconds(Math.Max(3 * heartbeatSeconds, leaseSeconds)),
            };
            await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
            var settings = new NodeSettings(parse.GetValue(bus), NodeRoles.Parse(parse.GetValue(role)!), worker, coordinator);
            using var host = ExperimentsNode.Build(store, settings);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"experiments silo: role {parse.GetValue(role)}, worker name {worker.Name}; Ctrl+C stops it."));
            try
            {
                await host.RunAsync(ct);
            }
            catch (OperationCanceledException)
            {
            }
            return CommandErrors.Ok;
        }));
        return command;
    }
}
