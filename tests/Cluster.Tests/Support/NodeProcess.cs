using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Experiments.Cluster.Tests.Support;

/// <summary>
/// The built <c>experiments</c> CLI run as a separate process, as on a cluster machine: its own EXPERIMENTS_HOME,
/// one thread for OpenBLAS, no colour. <see cref="Start"/> launches a long-running node (`experiments silo …`) whose
/// output is captured for diagnostics; <see cref="RunAsync"/> runs a command to completion.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private NodeProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>A label for diagnostics, e.g. "worker-a".</summary>
    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Waits until the node has exited and the last of what it wrote is in <see cref="Output"/>: <see cref="HasExited"/>
    /// turns true before the output readers reach the end of the streams, so its last lines can still be missing then.
    /// </summary>
    public Task WaitForExitAsync(CancellationToken ct) => _process.WaitForExitAsync(ct);

    /// <summary>Everything the node wrote so far, stdout and stderr interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    public static NodeProcess Start(string name, string home, params string[] arguments) => Start(name, StartInfo(home, arguments));

    /// <summary>Any program as a node, e.g. the Orleans test silo; its output is captured like a CLI node's.</summary>
    public static NodeProcess Start(string name, ProcessStartInfo start)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var node = new NodeProcess(name, process);
        process.OutputDataReceived += (_, e) => node.Append(e.Data);
        process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <summary>kill -9 of the node and anything it started: no shutdown code runs, as when a machine dies.</summary>
    public void KillHard()
    {
        if (_process.HasExited) return;
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* exited meanwhile */ }
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM (a clean stop: running trials are handed back), then kill -9 if it lingers.</summary>
    public async Task StopAsync(TimeSpan? grace = null)
    {
        if (_process.HasExited) return;
        using (var term = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Pid.ToString(CultureInfo.InvariantCulture) } })!)
            await term.WaitForExitAsync();
        using var wait = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(15));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            KillHard();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
    }

    public static Task<CliRun> RunAsync(string home, params string[] arguments) => RunAsync(StartInfo(home, arguments), TimeSpan.FromMinutes(2));

    /// <summary>Runs a command to completion; kills it and throws after <paramref name="limit"/>.</summary>
    public static async Task<CliRun> RunAsync(ProcessStartInfo start, TimeSpan limit)
    {
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"experiments {string.Join(' ', start.ArgumentList.Skip(1))} did not finish in {limit.TotalMinutes:0} minutes");
        }
        return new CliRun(process.ExitCode, await output, await error);
    }

    /// <summary>How a CLI node starts: <see cref="CliProcess.StartInfo"/> without EXPERIMENTS_DB.</summary>
    public static ProcessStartInfo StartInfo(string home, string[] arguments)
    {
        var start = CliProcess.StartInfo(home, arguments);
        // Every node is pointed at the test's database with --db; nothing may fall back to another one.
        start.Environment.Remove("EXPERIMENTS_DB");
        return start;
    }
}
