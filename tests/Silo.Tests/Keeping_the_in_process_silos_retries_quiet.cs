using Experiments.Silo.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// The silo inside `demo`, `sweep run` and `train` logs no handled retry of Orleans's grain placement (category Polly):
/// the first `demo` in a fresh home printed two "cannot place sweepcoordinator/1" warnings for a placement that then
/// succeeded. A placement that fails for good, and the tool's own warnings, still show.
/// </summary>
public sealed class Keeping_the_in_process_silos_retries_quiet(LocalDatabase database) : IClassFixture<LocalDatabase>
{
    [Fact]
    public async Task Placement_retries_are_hidden_and_errors_and_our_own_warnings_are_not()
    {
        await using var store = await database.OpenAsync();
        using var host = ExperimentsNode.Build(store, NodeSettings.InProcess());
        var loggers = host.Services.GetRequiredService<ILoggerFactory>();

        Assert.False(loggers.CreateLogger("Polly").IsEnabled(LogLevel.Warning));
        Assert.True(loggers.CreateLogger("Polly").IsEnabled(LogLevel.Error));
        Assert.True(loggers.CreateLogger("Experiments.Worker.Node.TrialExecutor").IsEnabled(LogLevel.Warning));
    }
}
