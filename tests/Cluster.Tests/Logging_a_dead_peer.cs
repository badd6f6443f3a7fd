using System.Diagnostics;
using System.Text.RegularExpressions;
using Experiments.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// What a user watching `experiments silo` sees when a peer silo dies: Orleans's warnings about the lost connection,
/// the failed probes and the vote, one line each, not a .NET stack trace under every one.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class Logging_a_dead_peer(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_workers_console_shows_one_line_per_event_and_no_stack_trace_when_a_peer_silo_is_killed()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        cluster.StartCoordinator();
        var watched = cluster.StartWorker("worker-a");
        var victim = cluster.StartWorker("worker-b");
        await cluster.WaitForWorkersAsync(2);
        var before = watched.Output.Length;

        victim.KillHard();
        // Membership declares it dead after failed probes and votes: the events whose warnings carried the traces.
        await cluster.WaitUntilAsync("the killed silo declared dead", TimeSpan.FromSeconds(60), async () =>
            await cluster.ScalarAsync("SELECT count(*) FROM cluster_silos WHERE status = 'dead'") >= 1);
        await Task.Delay(TimeSpan.FromSeconds(3)); // the warnings that follow the vote
        var since = watched.Output[before..];
        output.WriteLine($"worker-a after the kill:\n{since}");

        Assert.False(string.IsNullOrWhiteSpace(since), "worker-a said nothing about its dead peer; the test needs its warnings to check them");
        Assert.DoesNotMatch(StackFrame(), since);
        Assert.DoesNotContain("--- End of", since, StringComparison.Ordinal);
        // Every line is a log entry (time, level, category) or one of our own one-line messages.
        Assert.All(since.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            line => Assert.Matches(@"^(\d\d:\d\d:\d\d (trce|dbug|info|warn|fail|crit): \S+: |experiments silo: |The results database )", line));
        // Our own lines are untouched: the worker's start-up line is still whole.
        Assert.Contains($"experiments silo: role worker, worker name {Running_a_sweep_across_processes.WorkerName(watched)}", watched.Output, StringComparison.Ordinal);
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>A .NET stack frame as Exception.ToString() writes it: "   at Namespace.Type.Method(…)".</summary>
    [GeneratedRegex(@"(?m)^\s+at \S+")]
    private static partial Regex StackFrame();
}
