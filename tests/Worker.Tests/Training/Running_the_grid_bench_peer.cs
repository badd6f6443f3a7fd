using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Experiments.Architectures;
using Experiments.Testing;
using Experiments.Worker.Tests.Support;
using Xunit;

namespace Experiments.Worker.Tests.Training;

/// <summary>
/// `bench grid`'s peer, bench/GridBench/optuna_grid.py, on a tiny grid: two Optuna workers share one study through
/// RDB storage (SQLite here, so the test needs no database; the bench gives it PostgreSQL), train, evaluate the three
/// splits every epoch and report what they ran. The bench itself is not a test: it is timed.
/// </summary>
public class Running_the_grid_bench_peer
{
    [Fact]
    public async Task Runs_every_trial_it_is_given_and_counts_the_grid_points_it_covered()
    {
        using var scratch = new TemporaryFolder();
        var data = TestData.SmallSplits();
        var plan = TestData.TinyCnn();
        Directory.CreateDirectory(Path.Combine(scratch.Path, "arch"));
        foreach (var (name, images) in new[] { ("train", data.Train), ("val", data.Validation), ("test", data.Test) })
        {
            File.WriteAllBytes(Path.Combine(scratch.Path, name + ".f32"), MemoryMarshal.AsBytes(images.Pixels.AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(scratch.Path, name + ".i32"), MemoryMarshal.AsBytes(images.Labels.AsSpan()).ToArray());
        }
        File.WriteAllText(Path.Combine(scratch.Path, "meta.json"), JsonSerializer.Serialize(new { shape = data.Train.SampleShape.Dims }));
        File.WriteAllText(Path.Combine(scratch.Path, "arch", "tiny.json"), ArchitectureWriter.ToJson(plan.PlannedArchitecture));
        var grid = Path.Combine(scratch.Path, "grid.json");
        File.WriteAllText(grid, """{"arch": ["tiny"], "lr": [0.001, 0.003], "weight_decay": [0.0]}""");

        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
                 {
                     Path.Combine(Repository.Root(), "bench", "GridBench", "optuna_grid.py"), "run", "--data", scratch.Path, "--grid", grid,
                     "--storage", "sqlite:///" + Path.Combine(scratch.Path, "study.db"), "--study", "tiny", "--workers", "2",
                     "--trials-per-worker", "1", "--epochs", "1", "--train-sample", "100",
                 })
            start.ArgumentList.Add(argument);
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, $"optuna_grid.py exited {process.ExitCode} (it needs python3-torch and python3-optuna): {await stderr}");
        using var result = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        var root = result.RootElement;
        var trials = root.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(2, root.GetProperty("grid_points").GetInt32());
        // Each worker asked for one trial; GridSampler may give both the same point, which the counts must then show.
        Assert.Equal(2, trials.Count);
        Assert.All(trials, t =>
        {
            Assert.Equal("COMPLETE", t.GetProperty("state").GetString());
            Assert.True(t.GetProperty("train_seconds").GetDouble() > 0);
            Assert.True(t.GetProperty("eval_seconds").GetDouble() > 0);
            Assert.InRange(t.GetProperty("val_accuracy").GetDouble(), 0, 1);
        });
        var distinct = trials.Select(t => t.GetProperty("params").GetProperty("lr").GetDouble()).Distinct().Count();
        Assert.Equal(distinct, root.GetProperty("distinct_points_run").GetInt32());
        Assert.Equal(trials.Count - distinct, root.GetProperty("duplicates").GetInt32());
        Assert.True(root.GetProperty("wall_seconds").GetDouble() > 0);
    }

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("grid-peer-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
