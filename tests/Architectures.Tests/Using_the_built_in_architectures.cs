namespace Experiments.Architectures.Tests;

public class Using_the_built_in_architectures
{
    public static TheoryData<string> Names => [.. ArchitectureCatalog.Names];

    [Fact]
    public void Offers_the_seed_networks_in_catalogue_order()
    {
        Assert.Equal(["ffnn-100", "lenet-cifar", "doshi-mnist", "lenet-matconvnet", "vgg-small", "resnet-small"], ArchitectureCatalog.Names);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Plans_each_built_in_on_its_default_input_to_ten_class_scores(string name)
    {
        var architecture = ArchitectureCatalog.BuiltIns[name];

        Assert.NotNull(architecture.Input);
        Assert.Equal(new TensorShape(10), ShapeInference.Plan(architecture).Output);
        Assert.Contains("Seed 00", architecture.Description);
    }

    [Theory]
    [InlineData("vgg-small")]
    [InlineData("resnet-small")]
    [InlineData("ffnn-100")]
    public void Plans_the_cifar_built_ins_on_mnist_sized_input_too(string name)
    {
        Assert.Equal(new TensorShape(10), ShapeInference.Plan(ArchitectureCatalog.BuiltIns[name], new TensorShape(1, 28, 28)).Output);
    }

    [Fact]
    public void Builds_doshi_mnist_exactly_as_seed_002_lists_it()
    {
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["doshi-mnist"]);

        Assert.Equal(
            ["conv2d 16@2×2 s1 same", "maxpool 2×2 s2 p0", "conv2d 128@3×3 s1 p0", "relu", "conv2d 256@3×3 s1 p0", "relu",
             "maxpool 2×2 s2 p0", "dropout 0.5", "flatten", "linear 6400→128", "relu", "dropout 0.25", "linear 128→10"],
            plan.Layers.Select(l => LayerDescriptions.Describe(l.Layer, l.Input)));
    }

    [Fact]
    public void Keeps_lenet_matconvnet_fully_convolutional_until_the_flatten()
    {
        var plan = ShapeInference.Plan(ArchitectureCatalog.BuiltIns["lenet-matconvnet"]);

        Assert.Equal(["20×24×24", "20×12×12", "50×8×8", "50×4×4", "500×1×1", "500×1×1", "10×1×1", "10"],
            plan.Layers.Select(l => l.Output.ToString()));
    }

    [Fact]
    public void Resolves_a_built_in_by_name_ignoring_case()
    {
        Assert.Same(ArchitectureCatalog.BuiltIns["lenet-cifar"], ArchitectureCatalog.Resolve("LeNet-CIFAR"));
    }

    [Fact]
    public void Resolves_an_architecture_file_by_path()
    {
        var directory = Directory.CreateTempSubdirectory();
        try
        {
            var path = Path.Combine(directory.FullName, "mine.json");
            File.WriteAllText(path, ArchitectureWriter.ToJson(ArchitectureCatalog.BuiltIns["vgg-small"] with { Name = "mine" }));

            Assert.Equal(ArchitectureCatalog.BuiltIns["vgg-small"] with { Name = "mine" }, ArchitectureCatalog.Resolve(path));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Lists_the_built_ins_when_a_name_is_unknown()
    {
        var error = Assert.Throws<ArchitectureException>(() => ArchitectureCatalog.Resolve("lenet-cifr"));

        Assert.Equal(
            "'lenet-cifr' is neither a built-in architecture nor a .yaml/.yml/.json file; did you mean 'lenet-cifar'? "
            + "built-ins: ffnn-100, lenet-cifar, doshi-mnist, lenet-matconvnet, vgg-small, resnet-small",
            error.Message);
    }

    [Fact]
    public void Says_so_when_an_architecture_file_is_missing()
    {
        var error = Assert.Throws<ArchitectureException>(() => ArchitectureCatalog.Resolve("nowhere/net.yaml"));

        Assert.Equal("architecture file 'nowhere/net.yaml' does not exist", error.Message);
    }
}
