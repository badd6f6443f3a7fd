namespace Experiments.Coordinator.Tests;

public class Expanding_a_sweep
{
    private static IReadOnlyList<TrialSpec> Expand(string yaml, SweepLimits? limits = null) =>
        SweepExpander.Expand(SweepReader.Parse(yaml, "sweep.yaml", limits));

    [Fact]
    public void A_grid_gives_every_combination_with_the_last_axis_varying_fastest()
    {
        var trials = Expand("""
            dataset: mnist
            grid:
              arch: [ffnn-100, lenet-matconvnet]
              lr: [0.001, 0.003]
              weight_decay: [0, 0.0001, 0.001]
            """);

        Assert.Equal(12, trials.Count);
        var expected =
            from arch in new[] { "ffnn-100", "lenet-matconvnet" }
            from lr in new[] { 0.001, 0.003 }
            from wd in new[] { 0, 0.0001, 0.001 }
            select (arch, lr, wd);
        Assert.Equal(expected, trials.Select(t => (t.Architecture.Name, t.LearningRate, t.WeightDecay)));
        Assert.Equal("arch=ffnn-100 lr=1e-3 weight_decay=1e-4 seed=0", trials[1].Label);
    }

    [Fact]
    public void Constants_and_defaults_fill_every_parameter_that_is_not_swept()
    {
        var trial = Assert.Single(Expand("""
            dataset: mnist
            arch: ffnn-100
            optimizer: sgd
            momentum: 0.5
            batch_size: 32
            """));

        Assert.Equal((OptimizerKind.Sgd, 0.5, 32), (trial.Optimizer, trial.Momentum, trial.BatchSize));
        var defaults = TrialParameters.Defaults;
        Assert.Equal((defaults.LearningRate, defaults.Epochs, defaults.ValSplit, defaults.LrDecay), (trial.LearningRate, trial.Epochs, trial.ValSplit, trial.LrDecay));
        Assert.Equal("mnist", trial.Dataset);
    }

    [Fact]
    public void Repeats_run_each_configuration_with_consecutive_seeds_from_the_base_seed()
    {
        var trials = Expand("""
            dataset: mnist
            arch: ffnn-100
            seed: 10
            repeats: 3
            grid: {lr: [0.1, 0.2]}
            """);

        Assert.Equal(new[] { (0.1, 10, 0), (0.1, 11, 1), (0.1, 12, 2), (0.2, 10, 0), (0.2, 11, 1), (0.2, 12, 2) },
            trials.Select(t => (t.LearningRate, t.Seed, t.Repeat)));
        Assert.Equal(trials.Count, trials.Select(t => t.Label).Distinct().Count());
    }

    private const string RandomSweep = """
        dataset: mnist
        arch: ffnn-100
        random:
          samples: 400
          seed: 7
          params:
            lr: {distribution: log_uniform, min: 1e-4, max: 1e-2}
            weight_decay: {distribution: uniform, min: 0, max: 1e-3}
            batch_size: {distribution: choice, values: [32, 64]}
        """;

    [Fact]
    public void Random_samples_are_the_same_every_time_for_the_same_seed()
    {
        var first = Expand(RandomSweep);
        var second = Expand(RandomSweep);
        var reseeded = Expand(RandomSweep.Replace("seed: 7", "seed: 8", StringComparison.Ordinal));

        Assert.Equal(first.Select(t => t.Label), second.Select(t => t.Label));
        Assert.Equal(first.Select(t => t.LearningRate), second.Select(t => t.LearningRate));
        Assert.NotEqual(first.Select(t => t.LearningRate), reseeded.Select(t => t.LearningRate));
    }

    [Fact]
    public void Random_samples_stay_within_their_bounds_and_choices()
    {
        var trials = Expand(RandomSweep);

        Assert.All(trials, t => Assert.InRange(t.LearningRate, 1e-4, 1e-2));
        Assert.All(trials, t => Assert.InRange(t.WeightDecay, 0, 1e-3));
        Assert.All(trials, t => Assert.Contains(t.BatchSize, new[] { 32, 64 }));
        Assert.Equal(new[] { 32, 64 }, trials.Select(t => t.BatchSize).Distinct().Order());
    }

    [Fact]
    public void Log_uniform_samples_spread_evenly_over_each_decade()
    {
        var logs = Expand(RandomSweep).Select(t => Math.Log10(t.LearningRate)).ToList();

        // Two decades, 1e-4..1e-2, cut into four bins of 100 expected samples each. A uniform draw on the
        // learning rate itself would put ~90% of samples in the top decade and fail this by a wide margin.
        var bins = logs.GroupBy(l => Math.Min(3, (int)((l + 4) * 2))).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(Enumerable.Range(0, 4), bin => Assert.InRange(bins.GetValueOrDefault(bin), 65, 135));
        Assert.InRange(logs.Average(), -3.15, -2.85);
    }

    [Fact]
    public void Random_samples_are_crossed_with_every_grid_combination()
    {
        var trials = Expand("""
            dataset: mnist
            grid: {arch: [ffnn-100, lenet-matconvnet]}
            random:
              samples: 3
              params: {lr: {distribution: uniform, min: 0.01, max: 0.1}}
            """);

        Assert.Equal(6, trials.Count);
        Assert.Equal(trials.Take(3).Select(t => t.LearningRate), trials.Skip(3).Select(t => t.LearningRate));
        Assert.Equal(["ffnn-100", "ffnn-100", "ffnn-100", "lenet-matconvnet", "lenet-matconvnet", "lenet-matconvnet"],
            trials.Select(t => t.Architecture.Name));
    }

    [Fact]
    public void An_inline_architecture_is_resolved_and_named_in_the_label()
    {
        var trials = Expand("""
            dataset: mnist
            grid:
              arch:
                - ffnn-100
                - {name: tiny-cnn, layers: [{type: conv2d, out: 4, kernel: 3}, relu, flatten, {type: linear, out: 10}]}
                - {layers: [flatten, {type: linear, out: 10}]}
            """);

        Assert.Equal(3, trials.Count);
        Assert.Equal(4, trials[1].Architecture.Layers.Count);
        Assert.Equal("arch=tiny-cnn seed=0", trials[1].Label);
        Assert.Equal("grid-arch-2", trials[2].Architecture.Name);
    }

    private const string LargeGrid = """
        dataset: mnist
        arch: ffnn-100
        grid:
          lr: [0.1, 0.2, 0.3, 0.4, 0.5]
          weight_decay: [0, 0.1]
        repeats: 3
        """;

    [Fact]
    public void A_sweep_over_the_trial_limit_is_rejected_with_a_hint_to_force_it()
    {
        var error = Assert.Throws<SpecException>(() => SweepReader.Parse(LargeGrid, "sweep.yaml", new SweepLimits(MaxTrials: 29)));

        var problem = Assert.Single(error.Problems);
        Assert.Equal("grid", problem.Path);
        Assert.Contains("expands to 30 trials", problem.Message, StringComparison.Ordinal);
        Assert.Contains("--force", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Force_lifts_the_trial_limit()
    {
        Assert.Equal(30, Expand(LargeGrid, new SweepLimits(MaxTrials: 29, Force: true)).Count);
        Assert.Equal(30, Expand(LargeGrid, new SweepLimits(MaxTrials: 30)).Count);
    }

    [Fact]
    public void The_goal_defaults_from_the_metric()
    {
        Assert.Equal(MetricGoal.Minimize, SweepReader.Parse("{dataset: mnist, arch: ffnn-100, metric: val_loss}", "s.yaml").Metric.Goal);
        Assert.Equal(MetricGoal.Maximize, SweepReader.Parse("{dataset: mnist, arch: ffnn-100, metric: {name: test_accuracy}}", "s.yaml").Metric.Goal);
        Assert.Equal(SweepMetric.Default, SweepReader.Parse("{dataset: mnist, arch: ffnn-100}", "s.yaml").Metric);
    }

    [Fact]
    public void Asha_runs_to_the_longest_trial_unless_told_otherwise()
    {
        var spec = SweepReader.Parse("""
            dataset: mnist
            arch: ffnn-100
            grid: {epochs: [3, 9]}
            early_stopping: {type: asha}
            """, "s.yaml");

        Assert.Equal(new AshaStopping(GraceEpochs: 1, ReductionFactor: 3, MaxEpochs: 9), spec.EarlyStopping);
    }

    [Fact]
    public void A_queued_trial_stores_the_spec_with_its_datasets_input_not_the_architectures_default()
    {
        var trial = Expand("""
            dataset: mnist
            grid:
              arch: [ffnn-100]
            """).Single();
        Assert.Equal(new TensorShape(3, 32, 32), trial.Architecture.Input); // the built-in's default

        var stored = ArchitectureReader.Parse(Orchestration.SweepSubmission.Queued(trial).Definition.ArchitectureSpec, "stored spec");

        Assert.Equal(new TensorShape(1, 28, 28), stored.Input);
        Assert.Equal(trial.Architecture.Layers, stored.Layers);
    }

    [Fact]
    public void A_limit_reaches_every_trial_and_its_stored_hyperparameters_and_can_be_swept()
    {
        var constant = Expand("""
            dataset: mnist
            limit: 2000
            grid:
              arch: [ffnn-100]
              lr: [1e-3, 3e-3]
            """);
        var swept = Expand("""
            dataset: mnist
            arch: ffnn-100
            grid:
              limit: [1000, 0]
            """);

        Assert.All(constant, t => Assert.Equal(2_000, t.Limit));
        var stored = Contracts.TrialHyperparameters.FromJson(Orchestration.SweepSubmission.Queued(constant[0]).Definition.HyperparametersJson);
        Assert.Equal(2_000, stored.Limit);
        Assert.Equal([1_000, 0], swept.Select(t => t.Limit));
        Assert.Equal("limit=1000 seed=0", swept[0].Label);
        Assert.Null(Contracts.TrialHyperparameters.FromJson(Orchestration.SweepSubmission.Queued(swept[1]).Definition.HyperparametersJson).Limit);
    }
}
