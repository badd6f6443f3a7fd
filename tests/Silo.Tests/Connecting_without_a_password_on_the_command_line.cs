using Experiments.Store;
using Npgsql;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// docs/cluster.md keeps the password out of every command line, where <c>ps</c> shows it to anyone on the node:
/// <c>EXPERIMENTS_DB</c> names the database without one and <c>~/.pgpass</c> holds it, which Npgsql reads as libpq does.
/// </summary>
public sealed class Connecting_without_a_password_on_the_command_line(LocalDatabase database) : IClassFixture<LocalDatabase>, IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void The_password_comes_from_the_pgpass_file_of_the_users_home()
    {
        var withPassword = new NpgsqlConnectionStringBuilder(database.ConnectionString);
        var withoutPassword = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Password = null }.ConnectionString;
        var userHome = Directory.CreateDirectory(Path.Combine(_cli.Home, "user")).FullName;
        var emptyHome = Directory.CreateDirectory(Path.Combine(_cli.Home, "nobody")).FullName;
        var passfile = Path.Combine(userHome, ".pgpass");
        File.WriteAllText(passfile, $"{withPassword.Host}:{withPassword.Port}:{withPassword.Database}:{withPassword.Username}:{withPassword.Password}\n");
        // It holds a password: readable by its owner alone, as libpq asks of it.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var refused = _cli.RunWith(new Dictionary<string, string> { [StoreConnection.EnvironmentVariable] = withoutPassword, ["HOME"] = emptyHome }, ["PGPASSFILE", "PGPASSWORD"], "sweep", "list");
        var connected = _cli.RunWith(new Dictionary<string, string> { [StoreConnection.EnvironmentVariable] = withoutPassword, ["HOME"] = userHome }, ["PGPASSFILE", "PGPASSWORD"], "sweep", "list");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("password", refused.Error, StringComparison.OrdinalIgnoreCase);
        Assert.True(connected.ExitCode == 0, connected.All);
        Assert.DoesNotContain(withPassword.Password!, connected.All, StringComparison.Ordinal);
    }

    public void Dispose() => _cli.Dispose();
}
