using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Experiments.Store.Tests;

[Collection(PostgresCollection.Name)]
public sealed class RetryingTransientFailures(FreshDatabase database) : IClassFixture<FreshDatabase>
{
    private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(10);

    [Fact]
    public async Task Serialization_failures_are_retried_with_back_off_until_the_epoch_is_written()
    {
        var retries = new List<StoreRetry>();
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString, new ResultsStoreOptions { BaseDelay = Quick, OnRetry = retries.Add });
        var trial = await store.CreateTrialAsync(Make.Trial());
        // A sequence survives the rollback of the transaction that advanced it, so the trigger fails exactly twice.
        await Make.ExecuteAsync(database.ConnectionString, $"""
            CREATE SEQUENCE inject_40001;
            CREATE FUNCTION inject_40001() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.trial_id = {trial} AND nextval('inject_40001') <= 2 THEN
                    RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = 'serialization_failure';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER inject_40001 BEFORE INSERT ON epochs FOR EACH ROW EXECUTE FUNCTION inject_40001();
            """);
        try
        {
            var snapshot = Make.SmallSnapshot();
            Assert.True(await store.WriteEpochAsync(trial, Make.Epoch(0), snapshot));

            Assert.Equal([1, 2], retries.Select(r => r.FailedAttempt));
            Assert.All(retries, r => Assert.Equal(PostgresErrorCodes.SerializationFailure, Assert.IsType<PostgresException>(r.Exception).SqlState));
            SnapshotAssert.BitExact(snapshot, await store.ReadSnapshotAsync(trial, 0));
        }
        finally
        {
            await Make.ExecuteAsync(database.ConnectionString, "DROP TRIGGER inject_40001 ON epochs; DROP FUNCTION inject_40001(); DROP SEQUENCE inject_40001;");
        }
    }

    [Fact]
    public async Task A_permanent_error_surfaces_at_once_with_its_cause()
    {
        var retries = 0;
        await using var store = await ResultsStore.OpenAsync(database.ConnectionString, new ResultsStoreOptions { BaseDelay = Quick, OnRetry = _ => retries++ });

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            store.CreateTrialAsync(Make.Trial() with { HyperparametersJson = "{not json" }));

        Assert.Equal(PostgresErrorCodes.InvalidTextRepresentation, error.SqlState);
        Assert.Equal(0, retries);
    }

    [Fact]
    public async Task A_refused_connection_is_retried_a_bounded_number_of_times_then_thrown()
    {
        var retries = new List<StoreRetry>();
        var nobodyListens = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Port = FreePort(), Timeout = 2 }.ConnectionString;

        var error = await Assert.ThrowsAsync<NpgsqlException>(() =>
            ResultsStore.OpenAsync(nobodyListens, new ResultsStoreOptions { MaxAttempts = 4, BaseDelay = Quick, OnRetry = retries.Add }));

        Assert.Equal([1, 2, 3], retries.Select(r => r.FailedAttempt));
        Assert.All(retries, r => Assert.InRange(r.Delay, TimeSpan.FromTicks(1), new ResultsStoreOptions().MaxDelay));
        Assert.IsType<SocketException>(error.InnerException);
    }

    [Fact]
    public async Task A_server_that_comes_up_late_is_reached_by_retrying()
    {
        var retries = new List<StoreRetry>();
        using var stop = new CancellationTokenSource();
        var (lateServer, forwarder) = ServerComingUpAfter(TimeSpan.FromMilliseconds(300), stop.Token);

        await using (var store = await ResultsStore.OpenAsync(lateServer,
            new ResultsStoreOptions { MaxAttempts = 8, BaseDelay = TimeSpan.FromMilliseconds(50), OnRetry = retries.Add }))
        {
            Assert.NotEmpty(retries);
            Assert.All(retries, r => Assert.True(r.Exception is NpgsqlException or SocketException, r.Exception.ToString()));
            Assert.Equal(-1, await store.LatestEpochAsync(1));
        }

        await stop.CancelAsync();
        try { await forwarder; } catch (OperationCanceledException) { }
    }

    [Fact]
    public async Task With_an_outage_budget_an_unreachable_database_is_waited_for_until_the_budget_is_spent_and_then_fails_at_once()
    {
        var changes = new List<StoreAvailability>();
        var budget = TimeSpan.FromSeconds(1);
        var nobodyListens = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Port = FreePort(), Timeout = 2 }.ConnectionString;
        var options = new ResultsStoreOptions { OutageBudget = budget, BaseDelay = Quick, MaxDelay = TimeSpan.FromMilliseconds(100), OnAvailabilityChanged = changes.Add };

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<StoreUnreachableException>(() => ResultsStore.OpenAsync(nobodyListens, options));

        // Far more than the 5 attempts of the default, for as long as the budget, and said once, not per retry.
        Assert.InRange(clock.Elapsed, budget, budget + TimeSpan.FromSeconds(3));
        Assert.IsType<SocketException>(error.InnerException?.InnerException);
        // The message gives the time waited in whole seconds: the 1 s budget, or a little more on a loaded machine.
        var waited = System.Text.RegularExpressions.Regex.Match(error.Message, @"^the results database has been unreachable for (\d+) s \(");
        Assert.True(waited.Success, error.Message);
        Assert.InRange(int.Parse(waited.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 4);
        var change = Assert.Single(changes);
        Assert.False(change.Reachable);
        Assert.Equal(budget, change.Budget);
    }

    [Fact]
    public async Task A_long_running_store_says_once_that_the_database_is_away_and_once_that_it_is_back()
    {
        var changes = new List<StoreAvailability>();
        using var stop = new CancellationTokenSource();
        var (lateServer, forwarder) = ServerComingUpAfter(TimeSpan.FromMilliseconds(1500), stop.Token);

        var options = ResultsStoreOptions.LongRunning(change => { lock (changes) changes.Add(change); });
        await using (var store = await ResultsStore.OpenAsync(lateServer, options))
        {
            Assert.Equal(-1, await store.LatestEpochAsync(1));
            Assert.NotNull(store.DatabaseRecoveredAt);
        }

        Assert.Equal([false, true], changes.Select(c => c.Reachable));
        Assert.InRange(changes[1].DownFor, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(90), changes[0].Budget);
        await stop.CancelAsync();
        try { await forwarder; } catch (OperationCanceledException) { }
    }

    /// <summary>
    /// A connection string to a free port on which, after <paramref name="delay"/>, a forwarder starts listening and
    /// relays to the test database: a server that is away, then comes up. The task is the forwarder's.
    /// </summary>
    private (string ConnectionString, Task Forwarder) ServerComingUpAfter(TimeSpan delay, CancellationToken stop)
    {
        var target = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var port = FreePort();
        var forwarder = Task.Run(async () =>
        {
            await Task.Delay(delay, stop);
            await TcpForwarder.RunAsync(port, target.Host!, target.Port, stop);
        }, stop);
        return (new NpgsqlConnectionStringBuilder(database.ConnectionString) { Port = port, Pooling = false }.ConnectionString, forwarder);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A TCP relay on 127.0.0.1:port to host:targetPort, until cancelled.</summary>
internal static class TcpForwarder
{
    public static async Task RunAsync(int port, string host, int targetPort, CancellationToken ct)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(ct);
                _ = Task.Run(async () =>
                {
                    using (client)
                    using (var server = new TcpClient())
                    {
                        await server.ConnectAsync(host, targetPort, ct);
                        var up = client.GetStream().CopyToAsync(server.GetStream(), ct);
                        var down = server.GetStream().CopyToAsync(client.GetStream(), ct);
                        try { await Task.WhenAny(up, down); } catch (Exception) { /* a relay ends when either side does */ }
                    }
                }, ct);
            }
        }
        finally
        {
            listener.Stop();
        }
    }
}
