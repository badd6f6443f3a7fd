using System.Diagnostics;
using System.Text.RegularExpressions;
using Experiments.Cluster.Tests.Support;
using Experiments.Store;
using Xunit.Abstractions;

namespace Experiments.Cluster.Tests;

/// <summary>
/// docs/cluster.md's loopback walkthrough, run as a reader would: the commands of the fenced block under the
/// walkthrough's marker, exactly as written, from the repository's folder. Only the database differs: every command
/// reaches the test's PostgreSQL through EXPERIMENTS_DB, which the walkthrough names as the way to bring one. A change
/// to the doc's commands changes what this test runs.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class Following_the_loopback_walkthrough(ClusterFixture fixture, ITestOutputHelper output)
{
    private const string Marker = "<!-- tests/Cluster.Tests/Following_the_loopback_walkthrough.cs runs the commands of the next block exactly as written. -->";

    [Fact]
    public async Task The_walkthroughs_commands_run_a_sweep_to_completion_on_both_of_its_workers()
    {
        var clock = Stopwatch.StartNew();
        var commands = WalkthroughCommands(await File.ReadAllTextAsync(Path.Combine(Repository.Root(), "docs", "cluster.md")));
        output.WriteLine("the walkthrough:\n  " + string.Join("\n  ", commands.Select(c => "./experiments " + string.Join(' ', c))));
        // The doc promises one coordinator and two workers, then a submit and a watch; the checks below depend on it.
        Assert.Equal(["silo", "silo", "silo", "sweep", "sweep"], commands.Select(c => c[0]));

        await using var cluster = await TestCluster.CreateAsync(fixture, output);
        // One machine, one user: every terminal shares the home (the dataset cache), as in the walkthrough.
        var home = fixture.NewHome("walkthrough");
        var silos = new List<NodeProcess>();
        var ran = new List<CliRun>();
        foreach (var command in commands)
        {
            if (command[0] == "silo")
            {
                silos.Add(cluster.StartNode($"terminal-{silos.Count + 1}", Command(home, cluster.Database, command)));
                continue;
            }
            // A reader types the next command once the silos say they are up; so does the test.
            if (ran.Count == 0) await cluster.WaitForWorkersAsync(2);
            ran.Add(await NodeProcess.RunAsync(Command(home, cluster.Database, command), TimeSpan.FromMinutes(4)));
        }

        var (submit, watch) = (ran[0], ran[1]);
        Assert.True(submit.ExitCode == 0, submit.All);
        Assert.Equal("1", submit.Output.Trim()); // the id the walkthrough's `sweep status 1` watches
        Assert.True(watch.ExitCode == 0, watch.All);
        Assert.Contains("completed", watch.Output, StringComparison.Ordinal);

        Assert.Equal(SweepStatus.Completed, (await cluster.Store.GetSweepAsync(1))!.Status);
        var trials = await cluster.Store.GetSweepTrialsAsync(1);
        Assert.Equal(4, trials.Count);
        Assert.All(trials, t => Assert.Equal(TrialStatus.Completed, t.Status));
        // Both worker terminals trained, and nothing else did.
        var workers = silos.Where((_, i) => commands[i].Contains("worker")).Select(Running_a_sweep_across_processes.WorkerName).ToHashSet();
        Assert.Equal(2, workers.Count);
        Assert.Equal(workers, trials.Select(t => t.Worker!).ToHashSet());
        cluster.Log($"test took {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>The commands of the fenced block after <see cref="Marker"/>, each split into its arguments (after `./experiments`).</summary>
    private static List<string[]> WalkthroughCommands(string markdown)
    {
        var at = markdown.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(at >= 0, "docs/cluster.md lost the walkthrough's marker: " + Marker);
        var lines = markdown[(at + Marker.Length)..].Split('\n').Select(l => l.TrimEnd()).SkipWhile(l => l.Length == 0).ToList();
        Assert.Equal("```", lines[0]);
        var commands = new List<string[]>();
        foreach (var line in lines.Skip(1).TakeWhile(l => l != "```"))
        {
            var command = TrailingComment().Replace(line, "").Trim();
            if (command.Length == 0) continue;
            Assert.DoesNotMatch("[\"'$`\\\\|&;<>]", command); // plain words only, so splitting on spaces is what a shell does
            var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("./experiments", words[0]);
            commands.Add(words[1..]);
        }
        return commands;
    }

    /// <summary>A command as typed in a terminal at the repository's root, on the test's database.</summary>
    private static ProcessStartInfo Command(string home, string database, string[] arguments)
    {
        var start = CliProcess.StartInfo(home, arguments);
        start.WorkingDirectory = Repository.Root();
        start.Environment["EXPERIMENTS_DB"] = database;
        return start;
    }

    [GeneratedRegex(@"\s#.*$")]
    private static partial Regex TrailingComment();
}
