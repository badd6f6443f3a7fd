using System.Globalization;

namespace Experiments.Bench;

/// <summary>What to measure: the recording cost of real trials, and the leaderboard query over generated results.</summary>
internal sealed record StoreBenchOptions
{
    public IReadOnlyList<string> Models { get; init; } = ["lenet-cifar", "resnet-small"];
    public int Images { get; init; } = 5_000;
    public int TestImages { get; init; } = 1_000;
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 64;
    public int Threads { get; init; } = 2;
    public int Trials { get; init; } = 5_000;
    public int EpochsPerTrial { get; init; } = 30;
    public int Sweeps { get; init; } = 50;
    public int Runs { get; init; } = 20;
    public int WarmupRuns { get; init; } = 3;
    public bool Explain { get; init; }

    /// <summary>The training images of one real CIFAR-10 epoch: the write share is also reported at this size.</summary>
    public const int FullCifarEpoch = 50_000;

    public const string Usage = """
        usage: StoreBench [options]
          --models a,b        built-in architectures to train with a recorder attached (default lenet-cifar,resnet-small)
          --images N          synthetic 3×32×32 images generated for training; 10% of them are held out for
                              validation (default 5000)
          --test N            synthetic test images (default 1000)
          --epochs N          recorded training epochs per model, after epoch 0 (default 3)
          --batch N           batch size (default 64)
          --threads N         libtorch intra-op threads (default 2)
          --trials N          generated trials for the leaderboard query (default 5000)
          --trial-epochs N    generated epochs per trial, epoch 0 included (default 30)
          --sweeps N          sweeps the generated trials are spread over (default 50)
          --runs N            timed runs of each query; the median is reported (default 20)
          --warmup N          untimed runs of each query first (default 3)
          --explain           print EXPLAIN ANALYZE of the leaderboard query even when it meets its target
        """;

    /// <summary>Parses the command line; null after printing the usage (for --help).</summary>
    public static StoreBenchOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new StoreBenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            int Positive() => int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n : throw new ArgumentException($"{args[i - 1]} needs a positive whole number, got '{args[i]}'");
            options = args[i] switch
            {
                "--models" => options with { Models = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                "--images" => options with { Images = Positive() },
                "--test" => options with { TestImages = Positive() },
                "--epochs" => options with { Epochs = Positive() },
                "--batch" => options with { BatchSize = Positive() },
                "--threads" => options with { Threads = Positive() },
                "--trials" => options with { Trials = Positive() },
                "--trial-epochs" => options with { EpochsPerTrial = Positive() },
                "--sweeps" => options with { Sweeps = Positive() },
                "--runs" => options with { Runs = Positive() },
                "--warmup" => options with { WarmupRuns = Positive() },
                "--explain" => options with { Explain = true },
                "--help" or "-h" => null!,
                _ => throw new ArgumentException($"unknown option '{args[i]}'\n{Usage}"),
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
