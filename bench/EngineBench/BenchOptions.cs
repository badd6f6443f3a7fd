namespace Experiments.Bench;

/// <summary>What to measure. Both engines always get the same data, batch size, epochs and thread count.</summary>
internal sealed record BenchOptions
{
    public IReadOnlyList<string> Models { get; init; } = ["lenet-cifar", "ffnn-100"];
    public int Threads { get; init; } = 2;
    public int Images { get; init; } = 10_000;
    public int BatchSize { get; init; } = 64;
    public int Epochs { get; init; } = 3;
    public int WarmupBatches { get; init; } = 20;
    public string Python { get; init; } = "/usr/bin/python3";

    public const string Usage = """
        usage: EngineBench [options]
          --models a,b       built-in architectures to time (default lenet-cifar,ffnn-100)
          --threads N        libtorch intra-op threads for both engines (default 2)
          --images N         synthetic 3×32×32 training images, 10 classes (default 10000)
          --batch N          batch size (default 64)
          --epochs N         timed epochs per engine; the median epoch is reported (default 3)
          --warmup N         untimed batches first, per engine (default 20)
          --python PATH      the interpreter with torch (default /usr/bin/python3)
        """;

    /// <summary>Parses the command line; null after printing the usage (for --help).</summary>
    public static BenchOptions? Parse(IReadOnlyList<string> args)
    {
        var reader = new ArgumentReader(args, Usage);
        var options = new BenchOptions();
        while (reader.Next(out var option))
        {
            options = option switch
            {
                "--models" => options with { Models = reader.List() },
                "--threads" => options with { Threads = reader.Positive() },
                "--images" => options with { Images = reader.Positive() },
                "--batch" => options with { BatchSize = reader.Positive() },
                "--epochs" => options with { Epochs = reader.Positive() },
                "--warmup" => options with { WarmupBatches = reader.Positive() },
                "--python" => options with { Python = reader.Value() },
                "--help" or "-h" => null,
                _ => throw reader.Unknown(),
            };
            if (options is null)
            {
                Console.WriteLine(Usage);
                return null;
            }
        }
        return options;
    }
}
