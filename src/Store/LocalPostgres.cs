using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;

namespace Experiments.Store;

/// <summary>The PostgreSQL server binaries (initdb, pg_ctl, postgres) could not be found.</summary>
public sealed class PostgresNotInstalledException(string message) : Exception(message);

/// <summary>The local PostgreSQL could not be created, started or stopped; the message says why and what to do.</summary>
public sealed class LocalPostgresException(string message) : InvalidOperationException(message);

/// <summary>
/// The embedded default: a private PostgreSQL cluster under &lt;home&gt;/postgres, created on first use and started on
/// demand, listening on 127.0.0.1 with a free port recorded in the data directory, and a unix socket in the data directory.
/// The bootstrap superuser is "experiments"; it only creates the database and the two roles of
/// <see cref="DatabaseRoles"/>, which every command then uses: the application role (owner of the schema) and the
/// read-only query role. Their random passwords are kept in &lt;home&gt;/postgres/experiments-local.json (0600);
/// TCP connections need them (scram-sha-256); the unix socket trusts whoever can reach it, which the data directory's
/// 0700 mode limits to its owner.
/// As root, initdb, pg_ctl and postgres run as the "postgres" user (PostgreSQL refuses to run as root), which then owns the data directory.
/// Concurrent callers (threads or processes) serialise on &lt;home&gt;/postgres.lock.
/// </summary>
public sealed partial class LocalPostgres
{
    public const string DatabaseName = "experiments";
    public const string SuperUser = "experiments";
    private const string StateFile = "experiments-local.json";
    private const string ConfFile = "experiments.conf";

    private readonly string? _binDirectory;

    public LocalPostgres(string home) : this(home, binDirectory: null) { }

    /// <param name="home">The experiments home (EXPERIMENTS_HOME or ~/.experiments), resolved by the caller.</param>
    /// <param name="binDirectory">Where initdb, pg_ctl and postgres are; null finds the newest /usr/lib/postgresql/*/bin, then PATH.</param>
    public LocalPostgres(string home, string? binDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(home);
        Home = Path.GetFullPath(home);
        DataDirectory = ChooseDataDirectory(Home);
        _binDirectory = binDirectory;
    }

    /// <summary>
    /// A new temporary home whose cluster stays inside it (and so is deleted with it): temporary folders are 0700, and as
    /// root the server runs as "postgres", which must traverse the home; so it is opened to 0755. For tests and benches.
    /// </summary>
    public static string CreateTemporaryHome(string prefix)
    {
        var home = Directory.CreateTempSubdirectory(prefix).FullName;
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(home, File.GetUnixFileMode(home) | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return home;
    }

    /// <summary>Where clusters go when, as root, the "postgres" user cannot reach the home (e.g. ~/.experiments under a 0700 /root).</summary>
    public const string RootFallbackDirectory = "/var/lib/experiments/clusters";

    // As root the server runs as "postgres", which must be able to traverse every parent of its data directory.
    // A home under a private directory (root's own home is 0700) cannot work, so its cluster lives in a fixed place
    // derived from the home's path instead: every command with the same home finds the same cluster.
    private static string ChooseDataDirectory(string home)
    {
        var inHome = Path.Combine(home, "postgres");
        if (!RunningAsRoot || TraversableByOthers(home)) return inHome;
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(home)))[..16].ToLowerInvariant();
        return Path.Combine(RootFallbackDirectory, key, "postgres");
    }

    private static bool TraversableByOthers(string path)
    {
        if (OperatingSystem.IsWindows()) return true;
        for (var dir = new DirectoryInfo(path); dir is not null; dir = dir.Parent)
        {
            if (!dir.Exists) continue; // created later with the default (traversable) mode
            if ((File.GetUnixFileMode(dir.FullName) & UnixFileMode.OtherExecute) == 0) return false;
        }
        return true;
    }

    public string Home { get; }
    public string DataDirectory { get; }
    public string LogFile => Path.Combine(DataDirectory, "server.log");

    /// <summary>
    /// False for throw-away clusters (tests): no fsync at initdb or at commit. A crash can then corrupt the cluster,
    /// so the default, used for real results, is durable.
    /// </summary>
    internal bool Durable { get; init; } = true;

    /// <summary>Whether the cluster's postmaster is alive (postmaster.pid names a live process).</summary>
    public bool IsRunning => RunningPid() is not null;

    /// <summary>The application role's connection string to the "experiments" database, when running.</summary>
    public string? ConnectionString => IsRunning && ReadState() is { } state ? ApplicationConnectionString(state) : null;

    /// <summary>The read-only query role's connection string to the "experiments" database, when running.</summary>
    public string? ReaderConnectionString => IsRunning && ReadState() is { } state ? ReaderConnection(state) : null;

    /// <summary>The bootstrap superuser's connection string to a database of this cluster, when running (set-up and tests only).</summary>
    public string? ConnectionStringFor(string database) =>
        IsRunning && ReadState() is { } state ? BuildConnectionString(state, database) : null;

    /// <summary>
    /// initdb on first use, start if stopped, create the "experiments" database and its roles if missing; returns the
    /// application role's connection string.
    /// </summary>
    public async Task<string> EnsureStartedAsync(IProgress<string>? progress = null, CancellationToken ct = default)
    {
        var bin = FindBinaries();
        Directory.CreateDirectory(Home);
        await using var _ = await AcquireLockAsync(ct);

        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            progress?.Report($"Creating a PostgreSQL cluster in {DataDirectory} …");
            await InitAsync(bin, ct);
        }

        var state = ReadState() ?? throw new LocalPostgresException(
            $"{DataDirectory} holds a PostgreSQL cluster that this tool did not create ({StateFile} is missing). Move it away or set EXPERIMENTS_HOME.");

        if (RunningPid() is null)
        {
            if (!PortIsFree(state.Port))
            {
                state = state with { Port = FreePort() };
                WriteState(state);
            }
            WriteConf(state.Port);
            progress?.Report($"Starting PostgreSQL on 127.0.0.1:{state.Port} …");
            await RunAsync(bin, "pg_ctl", ["start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-s"], ct);
        }

        state = await EnsureDatabaseAsync(state, ct);
        return ApplicationConnectionString(state);
    }

    /// <summary>Stops the cluster (fast shutdown: open sessions are disconnected, committed data is safe). No-op when stopped.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION"))) return;
        var bin = FindBinaries();
        await using var _ = await AcquireLockAsync(ct);
        if (RunningPid() is null) return;
        await RunAsync(bin, "pg_ctl", ["stop", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "-s"], ct);
    }

    // ---- set-up -----------------------------------------------------------------------------------------------

    private async Task InitAsync(string bin, CancellationToken ct)
    {
        if (Directory.Exists(DataDirectory) && Directory.EnumerateFileSystemEntries(DataDirectory).Any())
            throw new LocalPostgresException($"{DataDirectory} is not empty and holds no PostgreSQL cluster. Move it away or set EXPERIMENTS_HOME.");
        Directory.CreateDirectory(DataDirectory);
        if (DataDirectory.StartsWith(RootFallbackDirectory, StringComparison.Ordinal))
            await File.WriteAllTextAsync(Path.Combine(DataDirectory, "..", "home.txt"), Home + "\n", ct);
        if (RunningAsRoot)
        {
            await RunProcessAsync("chown", ["postgres:postgres", DataDirectory], ct);
            var probe = await RunProcessAsync("runuser", ["-u", "postgres", "--", "test", "-w", DataDirectory], ct, throwOnError: false);
            if (probe.ExitCode != 0)
                throw new LocalPostgresException(
                    $"Running as root, the cluster runs as the 'postgres' user, which cannot reach {DataDirectory} " +
                    $"(a parent directory is not searchable by it). Set EXPERIMENTS_HOME to a directory such as /var/lib/experiments.");
        }

        var password = DatabaseRoles.NewPassword();
        // Beside the data directory, which the server's user can reach by construction (the home may not be).
        var passwordFile = Path.Combine(Path.GetDirectoryName(DataDirectory)!, $".pwfile-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(passwordFile, password + "\n", ct);
        try
        {
            SetMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            if (RunningAsRoot) await RunProcessAsync("chown", ["postgres", passwordFile], ct);
            await RunAsync(bin, "initdb",
                ["-D", DataDirectory, "-U", SuperUser, "--pwfile", passwordFile, "-E", "UTF8", "--no-locale",
                 "--auth-local=trust", "--auth-host=scram-sha-256", .. (Durable ? Array.Empty<string>() : ["--no-sync"])], ct);
        }
        finally
        {
            File.Delete(passwordFile);
        }

        // Our settings live in their own file, rewritten at every start; postgresql.conf only includes it.
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), $"\ninclude_if_exists '{ConfFile}'\n", ct);
        WriteState(new LocalState(FreePort(), password));
    }

    private void WriteConf(int port)
    {
        // A unix socket path is limited to 107 bytes; with a deep home, fall back to TCP only.
        var socketDir = DataDirectory.Length + "/.s.PGSQL.65535".Length < 100 ? DataDirectory : "";
        var conf = new StringBuilder()
            .AppendLine("# Written by experiments (LocalPostgres) at every start.")
            .AppendLine("listen_addresses = '127.0.0.1'")
            .AppendLine(CultureInfo.InvariantCulture, $"port = {port}")
            .AppendLine(CultureInfo.InvariantCulture, $"unix_socket_directories = '{socketDir.Replace("'", "''", StringComparison.Ordinal)}'")
            .AppendLine("max_connections = 100")
            .AppendLine(Durable ? "" : "fsync = off\nsynchronous_commit = off\nfull_page_writes = off")
            .ToString();
        // Readable by the server, which runs as "postgres" when we are root.
        File.WriteAllText(Path.Combine(DataDirectory, ConfFile), conf);
        SetMode(Path.Combine(DataDirectory, ConfFile), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    // Creates the database and the roles when missing. Clusters made before the roles existed get them here too (and
    // their objects move to the application role), so an upgrade needs no step of its own.
    private async Task<LocalState> EnsureDatabaseAsync(LocalState state, CancellationToken ct)
    {
        // Unpooled: a pooled connection could be a dead one from before a restart.
        var admin = new NpgsqlConnectionStringBuilder(BuildConnectionString(state, "postgres")) { Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync(ct);
        await using var check = new NpgsqlCommand(
            """
            SELECT (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = @name),
                   (SELECT count(*) FROM pg_roles WHERE rolname IN (@app, @reader))
            """, connection);
        check.Parameters.AddWithValue("name", DatabaseName);
        check.Parameters.AddWithValue("app", DatabaseRoles.Application);
        check.Parameters.AddWithValue("reader", DatabaseRoles.Reader);
        string? owner;
        long roles;
        await using (var reader = await check.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            owner = reader.IsDBNull(0) ? null : reader.GetString(0);
            roles = reader.GetInt64(1);
        }
        if (owner is null)
        {
            try
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", connection);
                await create.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
            {
                // Created by someone else meanwhile (e.g. another cluster user): fine.
            }
        }
        if (owner == DatabaseRoles.Application && roles == 2 && state.ApplicationPassword is not null && state.ReaderPassword is not null)
            return state;

        state = state with
        {
            ApplicationPassword = state.ApplicationPassword ?? DatabaseRoles.NewPassword(),
            ReaderPassword = state.ReaderPassword ?? DatabaseRoles.NewPassword(),
        };
        await DatabaseRoles.ApplyAsync(BuildConnectionString(state, DatabaseName), state.ApplicationPassword, state.ReaderPassword, ct);
        WriteState(state);
        return state;
    }

    private static string ApplicationConnectionString(LocalState state) =>
        BuildConnectionString(state, DatabaseName, DatabaseRoles.Application, state.ApplicationPassword);

    private static string ReaderConnection(LocalState state) =>
        BuildConnectionString(state, DatabaseName, DatabaseRoles.Reader, state.ReaderPassword);

    private static string BuildConnectionString(LocalState state, string database, string user = SuperUser, string? password = null) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = state.Port,
            Username = user,
            Password = user == SuperUser ? state.Password : password,
            Database = database,
        }.ConnectionString;

    // ---- state ------------------------------------------------------------------------------------------------

    /// <param name="Password">The bootstrap superuser's.</param>
    /// <param name="ApplicationPassword">The application role's; null in clusters made before the roles existed.</param>
    /// <param name="ReaderPassword">The query role's; likewise.</param>
    private sealed record LocalState(int Port, string Password, string? ApplicationPassword = null, string? ReaderPassword = null);

    /// <summary>The state file's JSON, generated at build time: `sweep status` runs as a Native AOT program, which has no reflection serializer.</summary>
    [JsonSerializable(typeof(LocalState))]
    private sealed partial class LocalStateJson : JsonSerializerContext;

    private LocalState? ReadState()
    {
        var path = Path.Combine(DataDirectory, StateFile);
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllText(path), LocalStateJson.Default.LocalState) : null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void WriteState(LocalState state) =>
        WriteOwnedFile(Path.Combine(DataDirectory, StateFile), JsonSerializer.Serialize(state, LocalStateJson.Default.LocalState));

    // The state holds the password: owner-only.
    private static void WriteOwnedFile(string path, string text)
    {
        File.WriteAllText(path, "");
        SetMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(path, text);
    }

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
    }

    private int? RunningPid()
    {
        try
        {
            var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
            if (!File.Exists(pidFile)) return null;
            using var reader = new StreamReader(pidFile);
            return int.TryParse(reader.ReadLine(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid)
                && Directory.Exists($"/proc/{pid}") ? pid : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private async Task<IAsyncDisposable> AcquireLockAsync(CancellationToken ct)
    {
        var path = Path.Combine(Home, "postgres.lock");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (deadline.Elapsed < TimeSpan.FromMinutes(2))
            {
                await Task.Delay(50, ct);
            }
        }
    }

    private static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // ---- binaries and processes -------------------------------------------------------------------------------

    private static bool RunningAsRoot => Environment.UserName == "root";

    /// <summary>The directory holding initdb, pg_ctl and postgres, or a <see cref="PostgresNotInstalledException"/>.</summary>
    public string FindBinaries()
    {
        static bool Complete(string dir) => new[] { "initdb", "pg_ctl", "postgres" }.All(n => File.Exists(Path.Combine(dir, n)));

        if (_binDirectory is not null)
            return Complete(_binDirectory) ? _binDirectory : throw NotInstalled($"in {_binDirectory}");

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(x => Complete(x.Dir))
                .OrderByDescending(x => x.Version)
                .FirstOrDefault();
            if (newest.Dir is not null) return newest.Dir;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (Complete(dir)) return dir;
        throw NotInstalled($"in {debianRoot}/*/bin or on PATH");
    }

    private static PostgresNotInstalledException NotInstalled(string where) => new(
        $"The PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found {where}. " +
        "Install them with `sudo apt-get install postgresql`, or point --db / EXPERIMENTS_DB at an existing PostgreSQL (13 or newer).");

    private static Task<ProcessResult> RunAsync(string bin, string tool, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var executable = Path.Combine(bin, tool);
        return RunningAsRoot
            ? RunProcessAsync("runuser", ["-u", "postgres", "--", executable, .. arguments], ct)
            : RunProcessAsync(executable, arguments, ct);
    }

    private sealed record ProcessResult(int ExitCode, string Output);

    private static async Task<ProcessResult> RunProcessAsync(string fileName, IReadOnlyList<string> arguments, CancellationToken ct, bool throwOnError = true)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment["LC_ALL"] = "C";
        using var process = Process.Start(info) ?? throw new LocalPostgresException($"Could not start {fileName}.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var output = (await stdout + await stderr).Trim();
        if (throwOnError && process.ExitCode != 0)
            throw new LocalPostgresException(
                $"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} failed with exit code {process.ExitCode}: {output}");
        return new ProcessResult(process.ExitCode, output);
    }
}
