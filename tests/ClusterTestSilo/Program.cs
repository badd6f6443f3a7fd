using System.Diagnostics;
using Experiments.Cluster.Hosting;
using Experiments.Contracts.Cluster;
using Experiments.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

// Usage: Experiments.ClusterTestSilo <connection string> <cluster id> <coordinator|worker|coordinator,worker>
// Prints "silo <address> active" once it has joined, then runs until SIGTERM (or kill -9).
if (args.Length != 3)
{
    Console.Error.WriteLine("usage: Experiments.ClusterTestSilo <connection string> <cluster id> <roles>");
    return 2;
}
await using var store = await ResultsStore.OpenAsync(args[0], ResultsStoreOptions.LongRunning());
// Listen to every source, as an OpenTelemetry exporter would, so grain calls run under activities the tests can see.
using var listener = new ActivityListener
{
    ShouldListenTo = _ => true,
    Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
};
ActivitySource.AddActivityListener(listener);
var resources = SiloResources.FromMetadata(new Dictionary<string, string> { [SiloResources.RolesKey] = args[2], [SiloResources.SlotsKey] = "1" });
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Logging.AddSimpleConsole(o => o.SingleLine = true); // Orleans's warnings, for a failing test's diagnostics
builder.AddExperimentsSilo(new SiloSettings(resources) { ClusterId = args[1], MembershipStore = store });
using var host = builder.Build();
await host.StartAsync();
Console.WriteLine($"silo {host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString()} active");
await host.WaitForShutdownAsync();
return 0;
