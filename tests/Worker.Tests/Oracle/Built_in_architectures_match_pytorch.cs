using Experiments.Architectures;
using Experiments.Worker.Tests.OracleSupport;
using Xunit;

namespace Experiments.Worker.Tests.Oracle;

public class Built_in_architectures_match_pytorch
{
    public static TheoryData<string> Names => [.. ArchitectureCatalog.Names];

    [Theory]
    [MemberData(nameof(Names))]
    public void Layer_by_layer(string name)
    {
        var architecture = ArchitectureCatalog.BuiltIns[name];
        var seed = 10_000 + ArchitectureCatalog.Names.ToList().IndexOf(name);

        ForwardComparison.AssertMatchesPyTorch([new ForwardCase(architecture, architecture.Input!, seed, Batch: 3)]);
    }
}
