namespace Experiments.Architectures;

/// <summary>The seeds' networks, built in by name, and resolution of a name or an architecture file.</summary>
public static class ArchitectureCatalog
{
    private static readonly string[] _fileExtensions = [".yaml", ".yml", ".json"];

    private static readonly TensorShape _cifar = new(3, 32, 32);
    private static readonly TensorShape _mnist = new(1, 28, 28);

    private static readonly Architecture[] _builtIns =
    [
        new("ffnn-100",
        [
            new FlattenLayer(), new LinearLayer(100), Relu(), new LinearLayer(10),
        ], _cifar, "Seed 000's feed-forward baseline: one hidden layer of 100 units, no convolutions."),

        new("lenet-cifar",
        [
            Conv(32, 5), Relu(), MaxPool(2),
            Conv(64, 5), Relu(), MaxPool(2),
            // Table 1 of seed 000 lists layer 7 only as "Fully connected, N/A": no hidden width is given,
            // so the classifier is the single linear layer to the 10 classes.
            new FlattenLayer(), new LinearLayer(10),
        ], _cifar, "Seed 000, Table 1: the LeNet-5-inspired CNN for CIFAR-10."),

        new("doshi-mnist",
        [
            Conv(16, 2, Padding.Same), MaxPool(2),
            Conv(128, 3), Relu(),
            Conv(256, 3), Relu(),
            MaxPool(2), new DropoutLayer(0.5), new FlattenLayer(),
            new LinearLayer(128), Relu(), new DropoutLayer(0.25), new LinearLayer(10),
        ], _mnist, "Seed 002, section A: the MNIST CNN with two dropout layers (99.2% test accuracy reported)."),

        new("lenet-matconvnet",
        [
            Conv(20, 5), MaxPool(2),
            Conv(50, 5), MaxPool(2),
            Conv(500, 4), Relu(),
            Conv(10, 1),
            // MatConvNet's last 1×1 convolution already yields 10×1×1 class scores; flatten makes them a vector.
            new FlattenLayer(),
        ], _mnist, "Seed 003: MatConvNet's default MNIST LeNet, used there for filter decoding."),

        new("vgg-small",
        [
            Conv(32, 3, Padding.Same), new BatchNormLayer(), Relu(),
            Conv(32, 3, Padding.Same), new BatchNormLayer(), Relu(), MaxPool(2),
            Conv(64, 3, Padding.Same), new BatchNormLayer(), Relu(),
            Conv(64, 3, Padding.Same), new BatchNormLayer(), Relu(), MaxPool(2),
            new FlattenLayer(), new LinearLayer(128), Relu(), new DropoutLayer(0.5), new LinearLayer(10),
        ], _cifar, "Seed 004's VGG family, small: two blocks of paired 3×3 convolutions with batch norm."),

        new("resnet-small",
        [
            // Bias is dropped because batch norm right after it would cancel it, as in torchvision's ResNets.
            new Conv2dLayer(16, Pair.Square(3), Pair.Square(1), Padding.Of(1), Pair.Square(1), Bias: false),
            new BatchNormLayer(), Relu(),
            new ResidualBlockLayer(16, 1), new ResidualBlockLayer(32, 2), new ResidualBlockLayer(64, 2),
            new GlobalAveragePoolLayer(), new LinearLayer(10),
        ], _cifar, "Seed 004's residual networks, small: three basic blocks (16, 32, 64 channels) and global average pooling."),
    ];

    /// <summary>Built-in architectures by name (case-insensitive), each with its default input.</summary>
    public static IReadOnlyDictionary<string, Architecture> BuiltIns { get; } =
        _builtIns.ToDictionary(a => a.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Built-in names in catalogue order, for listings and messages.</summary>
    public static IReadOnlyList<string> Names { get; } = _builtIns.Select(a => a.Name).ToArray();

    /// <summary>
    /// A built-in by name, otherwise an architecture file (.yaml, .yml or .json).
    /// </summary>
    /// <exception cref="ArchitectureException">Neither a built-in nor a readable architecture file.</exception>
    /// <exception cref="SpecException">The file exists but has problems.</exception>
    public static Architecture Resolve(string nameOrPath)
    {
        if (BuiltIns.TryGetValue(nameOrPath, out var builtIn)) return builtIn;

        var extension = Path.GetExtension(nameOrPath).ToLowerInvariant();
        var isArchitectureFile = _fileExtensions.Contains(extension);
        if (isArchitectureFile && File.Exists(nameOrPath)) return ArchitectureReader.ReadFile(nameOrPath);
        if (isArchitectureFile) throw new ArchitectureException($"architecture file '{nameOrPath}' does not exist");
        if (File.Exists(nameOrPath))
            throw new ArchitectureException($"'{nameOrPath}' is not an architecture file: use a .yaml, .yml or .json file");

        var hint = YamlSpec.Suggest(nameOrPath, Names) is { } suggestion ? $"did you mean '{suggestion}'? " : "";
        throw new ArchitectureException(
            $"'{nameOrPath}' is neither a built-in architecture nor a .yaml/.yml/.json file; {hint}built-ins: {string.Join(", ", Names)}");
    }

    private static Conv2dLayer Conv(int outChannels, int kernel, Padding? padding = null) =>
        new(outChannels, Pair.Square(kernel), Pair.Square(1), padding ?? Padding.Valid, Pair.Square(1));

    private static PoolLayer MaxPool(int size) => new(PoolKind.Max, Pair.Square(size), Pair.Square(size), Pair.Square(0));

    private static ActivationLayer Relu() => new(ActivationKind.Relu);
}
