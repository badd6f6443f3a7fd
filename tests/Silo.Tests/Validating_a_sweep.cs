using System.Text.Json;
using Xunit;

namespace Experiments.Silo.Tests;

public class Validating_a_sweep : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Expands_a_valid_file_into_its_trials_and_writes_nothing()
    {
        var file = _cli.WriteFile("sweep.yaml", """
            name: lr-by-arch
            dataset: mnist
            epochs: 2
            grid:
              arch: [lenet-matconvnet, ffnn-100]
              lr: [1e-3, 3e-3, 1e-2]
            repeats: 2
            """);

        var run = _cli.Run("sweep", "validate", file, "--json");

        Assert.True(run.ExitCode == 0, run.All);
        var trials = JsonDocument.Parse(run.Output).RootElement;
        Assert.Equal(2 * 3 * 2, trials.GetArrayLength());
        Assert.Equal(["ffnn-100", "lenet-matconvnet"], trials.EnumerateArray().Select(t => t.GetProperty("architecture").GetString()).Distinct().Order());
        Assert.False(Directory.Exists(Path.Combine(_cli.Home, "postgres")));
    }

    [Fact]
    public void Shows_the_learning_rates_as_the_leaderboards_write_them_and_the_data_limit_of_each_trial()
    {
        var file = _cli.WriteFile("limited.yaml", """
            name: limited
            dataset: mnist
            arch: ffnn-100
            epochs: 1
            grid:
              lr: [1e-3, 3e-4]
              limit: [0, 2000]
            """);

        var run = _cli.Run("sweep", "validate", file);
        var json = _cli.Run("sweep", "validate", file, "--json");

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("1e-3", run.Output);
        Assert.Contains("3e-4", run.Output);
        Assert.DoesNotContain("0.001", run.Output);
        Assert.Contains("images", run.Output);
        Assert.Contains("first 2,000", run.Output);
        Assert.Contains(" all ", run.Output);
        Assert.True(json.ExitCode == 0, json.All);
        Assert.Equal([0, 0, 2000, 2000], JsonDocument.Parse(json.Output).RootElement.EnumerateArray().Select(t => t.GetProperty("limit").GetInt32()).Order());
    }

    [Fact]
    public void Leaves_out_the_images_column_when_no_trial_limits_its_data()
    {
        var file = _cli.WriteFile("unlimited.yaml", """
            dataset: mnist
            arch: ffnn-100
            grid:
              lr: [1e-3]
            """);

        var run = _cli.Run("sweep", "validate", file);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.DoesNotContain("images", run.Output);
    }

    [Fact]
    public void Rejects_a_bad_file_with_one_message_per_problem_naming_each_key_path()
    {
        var file = _cli.WriteFile("bad.yaml", """
            dataset: mnist
            grid:
              lr: [1e-3, 0, -1]
              batch_size: []
            epochs: 0
            learning_rte: 1
            """);

        var run = _cli.Run("sweep", "validate", file);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("grid.lr[1]", run.All);
        Assert.Contains("grid.lr[2]", run.All);
        Assert.Contains("grid.batch_size", run.All);
        Assert.Contains("epochs", run.All);
        Assert.Contains("learning_rte", run.All);
    }

    [Fact]
    public void Needs_force_for_a_sweep_over_the_trial_limit()
    {
        var file = _cli.WriteFile("huge.yaml", """
            dataset: mnist
            arch: ffnn-100
            grid:
              lr: [1e-4, 2e-4, 3e-4, 4e-4, 5e-4, 6e-4, 7e-4, 8e-4, 9e-4, 1e-3]
              weight_decay: [0, 1e-5, 2e-5, 3e-5, 4e-5, 5e-5, 6e-5, 7e-5, 8e-5, 9e-5]
            repeats: 11
            """);

        var refused = _cli.Run("sweep", "validate", file);
        var forced = _cli.Run("sweep", "validate", file, "--force", "--json");

        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--force", refused.All);
        Assert.True(forced.ExitCode == 0, forced.All);
        Assert.Equal(1_100, JsonDocument.Parse(forced.Output).RootElement.GetArrayLength());
    }

    private static IEnumerable<string> Examples => Directory.GetFiles(Path.Combine(Repository.Root(), "examples"), "*.yaml").Select(f => Path.GetFileName(f));

    public static TheoryData<string> ExampleFiles
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var example in Examples) data.Add(example);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ExampleFiles))]
    public void Accepts_every_shipped_example_sweep_file(string example)
    {
        var run = _cli.Run("sweep", "validate", Path.Combine(Repository.Root(), "examples", example), "--json");

        Assert.True(run.ExitCode == 0, run.All);
        Assert.NotEqual(0, JsonDocument.Parse(run.Output).RootElement.GetArrayLength());
    }

    [Fact]
    public void Ships_the_five_examples_the_readme_describes()
    {
        Assert.Equal(["demo.yaml", "fashion-mnist-cnn-vs-ffnn.yaml", "inline-architecture.yaml", "loopback.yaml", "random-asha.yaml"],
            Examples.Order());
    }

    [Fact]
    public void The_demo_runs_the_shipped_examples_demo_yaml_itself()
    {
        var run = _cli.Run("demo", "--show-sweep");

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal(File.ReadAllText(Path.Combine(Repository.Root(), "examples", "demo.yaml")), run.Output);
    }

    public void Dispose() => _cli.Dispose();
}
