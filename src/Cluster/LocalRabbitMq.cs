using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Experiments.Cluster.Hosting;

namespace Experiments.Cluster;

/// <summary>The RabbitMQ server scripts (rabbitmq-server, rabbitmqctl) could not be found.</summary>
public sealed class RabbitMqNotInstalledException(string message) : Exception(message);

/// <summary>The local RabbitMQ node could not be started or stopped; the message says why and ends with its log.</summary>
public sealed class LocalRabbitMqException(string message) : InvalidOperationException(message);

/// <summary>How a <see cref="LocalRabbitMq"/> node is started.</summary>
public sealed record LocalRabbitMqOptions
{
    /// <summary>
    /// How long a consumer may hold an unacknowledged delivery before RabbitMQ closes its channel
    /// (RabbitMQ's own default is 30 minutes). A worker acknowledges a trial message when the trial ends, and trials run
    /// for hours, so the default here is generous; redelivery after a real worker death does not depend on it (the
    /// broker redelivers as soon as the dead worker's connection closes).
    /// </summary>
    public TimeSpan ConsumerTimeout { get; init; } = TimeSpan.FromHours(2);

    /// <summary>How long to wait for the node to answer AMQP before giving up.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The Erlang node name; null picks a fresh "exp-&lt;random&gt;@localhost", so instances never collide.</summary>
    public string? NodeName { get; init; }

    /// <summary>Where rabbitmq-server and rabbitmqctl are; null uses Debian's /usr/lib/rabbitmq/bin, then PATH.</summary>
    public string? ScriptDirectory { get; init; }
}

/// <summary>
/// A private RabbitMQ node on loopback, for the cluster tests and the `experiments` local cluster.
/// Everything lives under its own directory (&lt;directory&gt;/&lt;node&gt;/: config, mnesia, logs, pid file and, as
/// HOME, the Erlang cookie), and it uses three free loopback ports chosen at start: AMQP, Erlang distribution, and a
/// private epmd (so stopping the node can stop its epmd too, instead of leaving a shared one behind).
/// The node runs as the current user, root included; it never touches /var/lib/rabbitmq or the system service.
/// A small shell watchdog runs the node and stops it if this process dies, so a crashed test host leaves no broker behind.
/// Dispose stops it (rabbitmqctl stop, then a kill of the process tree) and is idempotent.
/// </summary>
public sealed class LocalRabbitMq : IAsyncDisposable, IDisposable
{
    /// <summary>Debian's home of the upstream scripts. /usr/sbin/rabbitmq-server is a wrapper that, as root, switches
    /// to the "rabbitmq" user, resets HOME, changes to /var/lib/rabbitmq and sends output to /var/log/rabbitmq: unusable here.</summary>
    public const string DebianScriptDirectory = "/usr/lib/rabbitmq/bin";

    private readonly Process _watchdog;
    private readonly string _scriptDirectory;
    private readonly SemaphoreSlim _stopLock = new(1, 1);
    private bool _stopped;

    private LocalRabbitMq(string baseDirectory, string nodeName, Ports ports, string scriptDirectory, Process watchdog)
    {
        BaseDirectory = baseDirectory;
        NodeName = nodeName;
        AmqpPort = ports.Amqp;
        DistributionPort = ports.Distribution;
        EpmdPort = ports.Epmd;
        _scriptDirectory = scriptDirectory;
        _watchdog = watchdog;
    }

    public string BaseDirectory { get; }
    public string NodeName { get; }
    public int AmqpPort { get; }
    public int DistributionPort { get; }
    public int EpmdPort { get; }

    /// <summary>The default "guest" user, which RabbitMQ allows from loopback only.</summary>
    public Uri AmqpUri => new($"amqp://guest:guest@127.0.0.1:{AmqpPort.ToString(CultureInfo.InvariantCulture)}/");

    /// <summary>From launching the node to its first AMQP Connection.Start.</summary>
    public TimeSpan StartDuration { get; private set; }

    public string LogFile => Path.Combine(BaseDirectory, "log", NodeName + ".log");
    public string ConsoleFile => Path.Combine(BaseDirectory, "console.log");

    /// <summary>Whether the node's watchdog (and so the node) is still alive.</summary>
    public bool IsRunning => !_stopped && !_watchdog.HasExited;

    /// <summary>
    /// Starts a node under &lt;directory&gt;/&lt;node short name&gt;/ and returns once it answers the AMQP handshake on
    /// 127.0.0.1. Throws <see cref="RabbitMqNotInstalledException"/> when RabbitMQ is missing, and
    /// <see cref="LocalRabbitMqException"/> (with the tail of the node's log) when it exits or is not ready in time.
    /// </summary>
    public static async Task<LocalRabbitMq> StartAsync(string directory, LocalRabbitMqOptions? options = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options ??= new LocalRabbitMqOptions();
        if (options.ConsumerTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(options), "ConsumerTimeout must be positive.");

        var scripts = FindScripts(options.ScriptDirectory);
        var nodeName = options.NodeName ?? $"exp-{Convert.ToHexString(RandomNumberGenerator.GetBytes(5)).ToLowerInvariant()}@localhost";
        var baseDirectory = Path.Combine(Path.GetFullPath(directory), nodeName.Split('@')[0]);
        var ports = new Ports(LoopbackPort.Free(), LoopbackPort.Free(), LoopbackPort.Free());
        var environment = WriteNodeFiles(baseDirectory, nodeName, ports, options);

        var clock = Stopwatch.StartNew();
        var watchdog = StartWatchdog(Path.Combine(scripts, "rabbitmq-server"), baseDirectory, environment);
        var node = new LocalRabbitMq(baseDirectory, nodeName, ports, scripts, watchdog);
        try
        {
            await node.WaitUntilReadyAsync(options.StartTimeout, ct);
            node.StartDuration = clock.Elapsed;
            return node;
        }
        catch
        {
            await node.StopAsync();
            throw;
        }
    }

    /// <summary>Stops the node (rabbitmqctl stop, then a kill of the process tree if it lingers) and its private epmd. Idempotent.</summary>
    public async Task StopAsync()
    {
        await _stopLock.WaitAsync();
        try
        {
            if (_stopped) return;
            _stopped = true;
            if (!_watchdog.HasExited)
            {
                using var graceful = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await RunProcessAsync(Path.Combine(_scriptDirectory, "rabbitmqctl"), ["-n", NodeName, "stop"], NodeEnvironment(), graceful.Token);
                    await _watchdog.WaitForExitAsync(graceful.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or LocalRabbitMqException or System.ComponentModel.Win32Exception)
                {
                    // Not answering or already gone: the kill below ends it either way.
                }
                if (!_watchdog.HasExited)
                {
                    try { _watchdog.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* exited meanwhile */ }
                    await _watchdog.WaitForExitAsync();
                }
            }
            // The watchdog stops epmd after the node; after a kill it could not, so ask again (no-op when gone).
            await StopEpmdAsync();
            _watchdog.Dispose();
        }
        finally
        {
            _stopLock.Release();
        }
    }

    /// <summary>Runs rabbitmqctl against this node (e.g. "list_queues", or "eval" for diagnostics) and returns its output.</summary>
    public Task<string> RabbitMqCtlAsync(IReadOnlyList<string> arguments, CancellationToken ct = default) =>
        RunProcessAsync(Path.Combine(_scriptDirectory, "rabbitmqctl"), ["-n", NodeName, .. arguments], NodeEnvironment(), ct);

    public async ValueTask DisposeAsync() => await StopAsync();

    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    // ---- set-up -----------------------------------------------------------------------------------------------

    private sealed record Ports(int Amqp, int Distribution, int Epmd);

    private static Dictionary<string, string> WriteNodeFiles(string baseDirectory, string nodeName, Ports ports, LocalRabbitMqOptions options)
    {
        var home = Path.Combine(baseDirectory, "home");
        Directory.CreateDirectory(home);
        Directory.CreateDirectory(Path.Combine(baseDirectory, "mnesia"));
        Directory.CreateDirectory(Path.Combine(baseDirectory, "log"));

        var timeoutMs = (long)options.ConsumerTimeout.TotalMilliseconds;
        // The AMQP listener comes from RABBITMQ_NODE_IP_ADDRESS/PORT; a listeners.tcp.* line here would override them
        // (listeners.tcp.default = <port> binds every interface).
        File.WriteAllText(Path.Combine(baseDirectory, "rabbitmq.conf"), string.Join('\n',
            "# Written by experiments (LocalRabbitMq).",
            "# A worker acknowledges a trial when the trial ends; trials run for hours, longer than RabbitMQ's 30-minute default.",
            $"consumer_timeout = {timeoutMs.ToString(CultureInfo.InvariantCulture)}",
            "# guest/guest, usable from loopback only (RabbitMQ's default, stated here on purpose).",
            "loopback_users.guest = true",
            "") );
        File.WriteAllText(Path.Combine(baseDirectory, "enabled_plugins"), "[].\n");
        // Replaces /etc/rabbitmq/rabbitmq-env.conf, so the machine's settings (e.g. NODENAME, NODE_PORT) cannot leak in.
        File.WriteAllText(Path.Combine(baseDirectory, "rabbitmq-env.conf"), "# Empty on purpose: every setting comes from the environment.\n");

        return new Dictionary<string, string>
        {
            ["HOME"] = home, // the Erlang cookie is $HOME/.erlang.cookie, shared by the node and rabbitmqctl
            ["RABBITMQ_NODENAME"] = nodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = ports.Amqp.ToString(CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = ports.Distribution.ToString(CultureInfo.InvariantCulture),
            // Distribution listens on loopback too (it would otherwise bind every interface).
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            ["ERL_EPMD_PORT"] = ports.Epmd.ToString(CultureInfo.InvariantCulture),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(baseDirectory, "rabbitmq-env.conf"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(baseDirectory, "rabbitmq.conf"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(baseDirectory, "enabled_plugins"),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(baseDirectory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(baseDirectory, "log"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(baseDirectory, "rabbitmq.pid"),
            ["LC_ALL"] = "C.UTF-8",
        };
    }

    private Dictionary<string, string> NodeEnvironment() => new()
    {
        ["HOME"] = Path.Combine(BaseDirectory, "home"),
        ["ERL_EPMD_PORT"] = EpmdPort.ToString(CultureInfo.InvariantCulture),
        ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
        ["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(BaseDirectory, "rabbitmq-env.conf"),
        ["LC_ALL"] = "C.UTF-8",
    };

    // Runs rabbitmq-server in the foreground under sh. The shell stops the node (SIGTERM, which rabbitmq-server turns
    // into a clean shutdown) when our process disappears, and stops the private epmd once the node is gone.
    private const string WatchdogScript = """
        server_script=$1; console=$2; owner=$3
        "$server_script" > "$console" 2>&1 < /dev/null &
        server=$!
        signalled=
        stop_server() { [ -z "$signalled" ] && signalled=1 && kill -TERM "$server" 2>/dev/null; }
        trap stop_server TERM
        while kill -0 "$server" 2>/dev/null; do
            [ -d "/proc/$owner" ] || stop_server
            sleep 1 & wait $! 2>/dev/null
        done
        wait "$server" 2>/dev/null; status=$?
        epmd -port "$ERL_EPMD_PORT" -kill > /dev/null 2>&1
        exit $status
        """;

    private static Process StartWatchdog(string serverScript, string baseDirectory, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = baseDirectory, // erl_crash.dump lands in the working directory
        };
        foreach (var argument in new[] { "-c", WatchdogScript, "rabbitmq-watchdog", serverScript, Path.Combine(baseDirectory, "console.log"),
                     Environment.ProcessId.ToString(CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        // Inherited RabbitMQ settings from the caller's environment would override the ones above in rabbitmq-env.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("RABBITMQ_", StringComparison.Ordinal) && !environment.ContainsKey(k)).ToList())
            info.Environment.Remove(key);
        return Process.Start(info) ?? throw new LocalRabbitMqException("Could not start /bin/sh to run rabbitmq-server.");
    }

    private async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (_watchdog.HasExited)
                throw new LocalRabbitMqException(
                    $"RabbitMQ node {NodeName} exited during start-up (exit code {_watchdog.ExitCode}).{LogTail()}");
            if (await AmqpHandshake.AnswersAsync("127.0.0.1", AmqpPort, TimeSpan.FromSeconds(2), ct)) return;
            if (deadline.Elapsed > timeout)
                throw new LocalRabbitMqException(
                    $"RabbitMQ node {NodeName} did not answer AMQP on 127.0.0.1:{AmqpPort} within {timeout.TotalSeconds:0} s.{LogTail()}");
            await Task.Delay(100, ct);
        }
    }

    /// <summary>The last lines of the console output and of the node's log, for error messages.</summary>
    public string LogTail(int lines = 20)
    {
        var text = new StringBuilder();
        foreach (var file in new[] { ConsoleFile, LogFile })
        {
            try
            {
                if (!File.Exists(file)) continue;
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var tail = new StreamReader(stream).ReadToEnd().Split('\n').Where(l => l.Trim().Length > 0).TakeLast(lines).ToList();
                if (tail.Count == 0) continue;
                text.Append(CultureInfo.InvariantCulture, $"\n--- last lines of {file} ---\n").AppendJoin('\n', tail);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return text.Length == 0 ? " (The node wrote no log.)" : text.ToString();
    }

    private async Task StopEpmdAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await RunProcessAsync("epmd", ["-port", EpmdPort.ToString(CultureInfo.InvariantCulture), "-kill"], NodeEnvironment(), timeout.Token, throwOnError: false);
        }
        catch (Exception e) when (e is OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // epmd not on PATH or hanging: at worst an idle epmd stays on its loopback port.
        }
    }

    // ---- binaries and processes -------------------------------------------------------------------------------

    /// <summary>The directory holding the upstream rabbitmq-server and rabbitmqctl scripts, or a <see cref="RabbitMqNotInstalledException"/>.</summary>
    public static string FindScripts(string? scriptDirectory = null)
    {
        static bool Complete(string dir) => File.Exists(Path.Combine(dir, "rabbitmq-server")) && File.Exists(Path.Combine(dir, "rabbitmqctl"));
        // Debian's /usr/sbin wrappers switch user and directories (see DebianScriptDirectory); never use them.
        static bool IsDebianWrapper(string dir) =>
            File.ReadAllText(Path.Combine(dir, "rabbitmq-server")).Contains("/usr/lib/rabbitmq/bin/", StringComparison.Ordinal);

        if (scriptDirectory is not null)
            return Complete(scriptDirectory) ? scriptDirectory : throw NotInstalled($"in {scriptDirectory}");
        if (Complete(DebianScriptDirectory)) return DebianScriptDirectory;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (Complete(dir) && !IsDebianWrapper(dir)) return dir;
        throw NotInstalled($"in {DebianScriptDirectory} or on PATH");
    }

    private static RabbitMqNotInstalledException NotInstalled(string where) => new(
        $"The RabbitMQ server scripts (rabbitmq-server, rabbitmqctl) were not found {where}. " +
        "Install them with `sudo apt-get install rabbitmq-server` (then `sudo systemctl disable --now rabbitmq-server`: " +
        "the system service is not needed), or point --bus at an existing RabbitMQ (amqp://…).");

    private static async Task<string> RunProcessAsync(string fileName, IReadOnlyList<string> arguments, Dictionary<string, string> environment,
        CancellationToken ct, bool throwOnError = true)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info) ?? throw new LocalRabbitMqException($"Could not start {fileName}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        var output = (await stdout + await stderr).Trim();
        if (throwOnError && process.ExitCode != 0)
            throw new LocalRabbitMqException(
                $"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {output}");
        return output;
    }
}
