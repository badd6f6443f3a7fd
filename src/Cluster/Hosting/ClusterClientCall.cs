using System.Globalization;
using Experiments.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;

namespace Experiments.Cluster.Hosting;

/// <summary>
/// One short call into a running cluster from a command that is not a silo (`sweep submit`, `sweep cancel`): it finds
/// the gateways in the membership table, connects as an Orleans client, makes the call and disconnects, all within a
/// deadline. The call is only ever a prompt (PostgreSQL already holds what it is about), so a cluster that is down or
/// slow never holds the command up: it is told why the prompt did not go out, and carries on.
/// </summary>
public static class ClusterClientCall
{
    /// <summary>
    /// Runs <paramref name="call"/> against the cluster <paramref name="clusterId"/> whose membership lives in
    /// <paramref name="store"/>'s database. Returns null when the call completed, else why it was not made, as a phrase
    /// ("no silo of the cluster is up", "no silo answered within 5 s", or the failure's message). Only a cancel of
    /// <paramref name="ct"/> throws.
    /// </summary>
    public static async Task<string?> TryAsync(ResultsStore store, Func<IGrainFactory, Task> call, TimeSpan timeout, CancellationToken ct,
        string clusterId = "experiments")
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(call);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            if ((await store.ActiveGatewaysAsync(clusterId, deadline.Token)).Count == 0) return "no silo of the cluster is up";
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return "the cluster's membership could not be read: " + e.Message;
        }
        // No logging providers: the client's own notes (a refused gateway of a silo that just died) are not the user's.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddExperimentsClusterClient(store, clusterId);
        using var client = builder.Build();
        try
        {
            await client.StartAsync(deadline.Token);
            await call(client.Services.GetRequiredService<IGrainFactory>()).WaitAsync(deadline.Token);
            return null;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return deadline.IsCancellationRequested
                ? string.Create(CultureInfo.InvariantCulture, $"no silo answered within {timeout.TotalSeconds:0.#} s")
                : e.Message;
        }
        finally
        {
            try
            {
                await client.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException or ObjectDisposedException)
            {
                // A client that cannot say goodbye to a gateway in time leaves nothing behind that matters.
            }
        }
    }
}
