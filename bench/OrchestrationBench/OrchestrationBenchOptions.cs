namespace Experiments.Bench;

/// <summary>
/// What to measure: the orchestration overhead of a sweep of short trials (in-process silo and loopback cluster), the
/// slot layout of a 2-core node, recovery from a worker's kill -9, and the scale of submit and status.
/// </summary>
internal sealed record OrchestrationBenchOptions
{
    public int Trials { get; init; } = 200;
    public int Slots { get; init; } = 2;
    public int Threads { get; init; } = 1;
    public string Model { get; init; } = "ffnn-100";
    public int BatchSize { get; init; } = 64;
    public int Rounds { get; init; } = 2;
    public bool SkipSlots { get; init; }
    public bool SkipOverhead { get; init; }
    public int SlotTrials { get; init; } = 8;
    public string SlotModel { get; init; } = "lenet-matconvnet";
    public int SlotEpochs { get; init; } = 1;
    public bool SkipCluster { get; init; }
    public bool SkipRecovery { get; init; }
    public bool SkipScale { get; init; }
    public int Kills { get; init; } = 5;
    public int ScaleTrials { get; init; } = 10_000;

    public const string Usage = """
        usage: OrchestrationBench [options]
          --trials N          trials in the overhead sweep, each 1 epoch on the synthetic dataset (default 200)
          --slots N           trials at once, for the system and the baseline alike (default 2)
          --threads N         libtorch threads per slot (default 1)
          --model NAME        the overhead sweep's architecture (default ffnn-100)
          --batch N           batch size of every trial (default 64)
          --rounds N          times each mode runs the whole sweep, in alternating order, summed (default 2)
          --skip-slots        leave out the second section (2 slots × 1 thread against 1 slot × 2 threads)
          --skip-overhead     leave out the first section (the overhead sweep); measure the slot layouts only
          --slot-trials N     trials in each layout of the second section (default 8)
          --slot-model NAME   the second section's architecture (default lenet-matconvnet)
          --slot-epochs N     epochs per trial in the second section (default 1)
          --skip-cluster      leave the 3-silo loopback cluster out of the overhead sweep
          --skip-recovery     leave out the recovery section (kill -9 of a worker until its trial trains elsewhere)
          --skip-scale        leave out the scale section (a large sweep submitted, then `sweep status` on it)
          --kills N           kills in the recovery section (default 5)
          --scale-trials N    trials in the scale section's sweep (default 10000)
        """;

    /// <summary>Parses the command line; null after printing the usage (for --help).</summary>
    public static OrchestrationBenchOptions? Parse(IReadOnlyList<string> args)
    {
        var reader = new ArgumentReader(args, Usage);
        var options = new OrchestrationBenchOptions();
        while (reader.Next(out var option))
        {
            options = option switch
            {
                "--trials" => options with { Trials = reader.Positive() },
                "--slots" => options with { Slots = reader.Positive() },
                "--threads" => options with { Threads = reader.Positive() },
                "--model" => options with { Model = reader.Value() },
                "--batch" => options with { BatchSize = reader.Positive() },
                "--rounds" => options with { Rounds = reader.Positive() },
                "--skip-slots" => options with { SkipSlots = true },
                "--skip-overhead" => options with { SkipOverhead = true },
                "--slot-trials" => options with { SlotTrials = reader.Positive() },
                "--slot-model" => options with { SlotModel = reader.Value() },
                "--slot-epochs" => options with { SlotEpochs = reader.Positive() },
                "--skip-cluster" => options with { SkipCluster = true },
                "--skip-recovery" => options with { SkipRecovery = true },
                "--skip-scale" => options with { SkipScale = true },
                "--kills" => options with { Kills = reader.Positive() },
                "--scale-trials" => options with { ScaleTrials = reader.Positive() },
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
