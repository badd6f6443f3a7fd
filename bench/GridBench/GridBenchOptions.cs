namespace Experiments.Bench;

/// <summary>What to measure: the seed grid on our system and on Optuna, and where one trial's epoch time goes.</summary>
internal sealed record GridBenchOptions
{
    public IReadOnlyList<string> Architectures { get; init; } = ["ffnn-100", "lenet-matconvnet"];
    public IReadOnlyList<string> LearningRates { get; init; } = ["1e-3", "3e-3"];
    public IReadOnlyList<string> WeightDecays { get; init; } = ["0", "1e-4"];
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 64;
    public int Slots { get; init; } = 2;
    public int Threads { get; init; } = 1;
    public int Rounds { get; init; } = 2;

    /// <summary>Training images to use (the first ones, validation held out of them, as `train --limit`); 0: all.</summary>
    public int Limit { get; init; }

    public string ProfileModel { get; init; } = "lenet-matconvnet";
    public bool SkipProfile { get; init; }
    public bool SkipGrid { get; init; }
    public bool SkipOptuna { get; init; }

    /// <summary>Also run our grid with unpipelined recording (each epoch's write commits before the next trains), in the same rounds.</summary>
    public bool ComparePipelining { get; init; }
    public string Python { get; init; } = "/usr/bin/python3";

    public const string Usage = """
        usage: GridBench [options]
          --archs A,B         the grid's architectures (default ffnn-100,lenet-matconvnet)
          --lrs X,Y           the grid's learning rates (default 1e-3,3e-3)
          --weight-decays X,Y the grid's weight decays (default 0,1e-4)
          --epochs N          epochs per trial (default 3)
          --batch N           batch size (default 64)
          --slots N           our slots and Optuna's worker processes (default 2)
          --threads N         libtorch threads per slot or worker (default 1)
          --rounds N          times each side runs the grid, in alternating order (default 2)
          --limit N           train on the first N MNIST training images only, validation held out of them (default: all)
          --profile-model A   the architecture whose epoch time the profile breaks down (default lenet-matconvnet)
          --skip-profile      leave out the epoch profile
          --skip-grid         leave out the grid (profile only)
          --skip-optuna       run only our side of the grid
          --compare-pipelining  also run our grid unpipelined (each epoch's write commits before the next epoch
                              trains) in every round, and print both wall times and their ratio
          --python PATH       the interpreter with torch and optuna (default /usr/bin/python3)
        """;

    /// <summary>Parses the command line; null after printing the usage (for --help).</summary>
    public static GridBenchOptions? Parse(IReadOnlyList<string> args)
    {
        var reader = new ArgumentReader(args, Usage);
        var options = new GridBenchOptions();
        while (reader.Next(out var option))
        {
            options = option switch
            {
                "--archs" => options with { Architectures = reader.List() },
                "--lrs" => options with { LearningRates = reader.List() },
                "--weight-decays" => options with { WeightDecays = reader.List() },
                "--epochs" => options with { Epochs = reader.Positive() },
                "--batch" => options with { BatchSize = reader.Positive() },
                "--slots" => options with { Slots = reader.Positive() },
                "--threads" => options with { Threads = reader.Positive() },
                "--rounds" => options with { Rounds = reader.Positive() },
                "--limit" => options with { Limit = reader.Positive() },
                "--profile-model" => options with { ProfileModel = reader.Value() },
                "--skip-profile" => options with { SkipProfile = true },
                "--skip-grid" => options with { SkipGrid = true },
                "--skip-optuna" => options with { SkipOptuna = true },
                "--compare-pipelining" => options with { ComparePipelining = true },
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

    /// <summary>The grid points: architecture × learning rate × weight decay.</summary>
    public int GridPoints => Architectures.Count * LearningRates.Count * WeightDecays.Count;
}
