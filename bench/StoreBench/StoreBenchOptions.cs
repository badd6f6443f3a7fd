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
    public bool LargeModel { get; init; } = true;
    public int RetentionEpochs { get; init; } = 30;

    /// <summary>One part of the bench to run alone (recording, retention or top); null runs them all.</summary>
    public string? Only { get; init; }

    public static IReadOnlyList<string> Parts { get; } = ["recording", "retention", "top"];

    public bool Includes(string part) => Only is null || Only == part;

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
          --no-large          skip the generated 11 M-parameter model's recording
          --retention-epochs N  trained epochs per trial in the retention comparison of every built-in (default 30)
          --only PART         run one part alone: recording (write time and bytes per snapshot, TOAST settings),
                              retention (bytes per trial of every built-in) or top (the leaderboard query)
        """;

    /// <summary>Parses the command line; null after printing the usage (for --help).</summary>
    public static StoreBenchOptions? Parse(IReadOnlyList<string> args)
    {
        var reader = new ArgumentReader(args, Usage);
        var options = new StoreBenchOptions();
        while (reader.Next(out var option))
        {
            options = option switch
            {
                "--models" => options with { Models = reader.List() },
                "--images" => options with { Images = reader.Positive() },
                "--test" => options with { TestImages = reader.Positive() },
                "--epochs" => options with { Epochs = reader.Positive() },
                "--batch" => options with { BatchSize = reader.Positive() },
                "--threads" => options with { Threads = reader.Positive() },
                "--trials" => options with { Trials = reader.Positive() },
                "--trial-epochs" => options with { EpochsPerTrial = reader.Positive() },
                "--sweeps" => options with { Sweeps = reader.Positive() },
                "--runs" => options with { Runs = reader.Positive() },
                "--warmup" => options with { WarmupRuns = reader.Positive() },
                "--explain" => options with { Explain = true },
                "--no-large" => options with { LargeModel = false },
                "--retention-epochs" => options with { RetentionEpochs = reader.Positive() },
                "--only" => options with { Only = reader.OneOf(Parts) },
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
