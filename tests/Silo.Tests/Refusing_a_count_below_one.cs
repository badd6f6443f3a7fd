using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// Every <c>--limit</c> that counts rows refuses 0 and negative numbers with one line and exit 2, before any database is
/// opened; `results list --limit -5` used to reach PostgreSQL and fail with "LIMIT must not be negative" (exit 1).
/// </summary>
public sealed class Refusing_a_count_below_one : IDisposable
{
    private readonly CliProcess _cli = new();

    [Theory]
    [InlineData("results list --limit -5", "-5")]
    [InlineData("results top --limit -1", "-1")]
    [InlineData("results sql --limit 0 x", "0")]
    [InlineData("sweep list --limit 0", "0")]
    [InlineData("sweep status 1 --limit -2", "-2")]
    public void A_limit_below_one_is_refused_before_the_database_is_opened(string command, string given)
    {
        var run = _cli.Run(command.Split(' '));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"--limit must be at least 1, got {given}", run.Error);
        Assert.DoesNotContain("database", run.All);
        Assert.DoesNotContain("PostgreSQL", run.All);
        Assert.False(Directory.Exists(Path.Combine(_cli.Home, "postgres")), "no database should have been created");
    }

    public void Dispose() => _cli.Dispose();
}
