using System.Globalization;
using System.Text.Json;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// Figures of one epoch show the trial's best epoch, the one <c>results top</c> names, not its last. Each test trains
/// a small trial and then raises one epoch's recorded figure so that its best epoch is not its last one.
/// </summary>
public sealed class Showing_the_best_epoch : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Results_show_viz_confusion_and_viz_report_use_the_best_epochs_confusion_matrix_and_say_so_and_epoch_picks_another()
    {
        var trial = Train();
        // Epoch 1 becomes the best by validation accuracy (a perfect score, which a later tie cannot take), so epoch 2, the last, is not.
        Assert.True(_cli.ExecuteSql($"update epochs set val_accuracy = 1 where trial_id = {trial} and epoch = 1") > 0);
        using (var top = JsonDocument.Parse(Ok("results", "top", "--json").Output))
            Assert.Equal(1, top.RootElement[0].GetProperty("bestEpoch").GetInt32());

        // The two epochs' test confusion matrices differ, so showing the wrong one would be seen.
        var matrices = TestConfusionMatrices(trial);
        Assert.NotEqual(matrices[1], matrices[2]);

        var show = Ok("results", "show", trial);
        Assert.Contains("test confusion matrix of epoch 1 (the best by val_accuracy, 100.00%):", show.Output);
        Assert.Equal(matrices[1], PrintedMatrix(show.Output));

        var confusion = Ok("viz", "confusion", "--trial", trial);
        Assert.Contains($"trial {trial}: epoch 1 (the best by val_accuracy, 100.00%); --epoch picks another", confusion.Error);
        Assert.EndsWith("confusion-test-epoch-1.svg", Assert.Single(confusion.Lines), StringComparison.Ordinal);
        // The chart's numbers and title are written beside it as JSON (docs/visualization.md).
        using (var chart = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(confusion.Lines[0], ".json"))))
        {
            var title = chart.RootElement.GetProperty("title").GetString()!;
            Assert.StartsWith($"Confusion matrix, trial {trial}, test split", title, StringComparison.Ordinal);
            Assert.Contains("epoch 1 (the best by val_accuracy, 100.00%)", title, StringComparison.Ordinal);
            Assert.Equal(matrices[1].SelectMany(r => r),
                chart.RootElement.GetProperty("values").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => (int)v.GetDouble()));
        }

        var report = File.ReadAllText(Assert.Single(Ok("viz", "report", "--trial", trial, "--images", "0").Lines));
        Assert.Contains("Test split at epoch 1 (the best by val_accuracy, 100.00%)", report);
        Assert.Contains("data-file=\"confusion-test-epoch-1.svg\"", report);
        Assert.DoesNotContain("confusion-test-epoch-2.svg", report);

        var asked = File.ReadAllText(Assert.Single(Ok("viz", "report", "--trial", trial, "--images", "0", "--epoch", "2", "--out", Path.Combine(_cli.Home, "asked")).Lines));
        Assert.Contains("Test split at epoch 2 (as asked)", asked);
        Assert.Contains("data-file=\"confusion-test-epoch-2.svg\"", asked);
        Assert.Contains("Decoded filters at epoch 2", asked);

        // The weights a user exports are the best epoch's too, the model the leaderboard names.
        var export = Ok("results", "export-weights", "--trial", trial, "--out", Path.Combine(_cli.Home, "best.safetensors"));
        Assert.Contains($"tensors of trial {trial}, epoch 1 (the best by val_accuracy, 100.00%)", export.Output);

        var missing = _cli.Run("viz", "report", "--trial", trial, "--epoch", "7");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains($"trial {trial} has no epoch 7; its recorded epochs are 0–2", missing.All);
    }

    [Fact]
    public void A_sweeps_trial_is_shown_at_its_best_epoch_by_the_sweeps_metric()
    {
        var sweep = _cli.WriteFile("by-loss.yaml", """
            name: by-loss
            dataset: synthetic
            epochs: 2
            batch_size: 64
            metric: {name: val_loss, goal: minimize}
            grid:
              arch: [lenet-matconvnet]
            """);
        var run = _cli.Run("sweep", "run", sweep, "--slots", "1", "--threads", "1");
        Assert.True(run.ExitCode == 0, run.All);
        // Epoch 1 gets the worst validation accuracy there can be and the best validation loss, the sweep's metric.
        Assert.True(_cli.ExecuteSql("update epochs set val_accuracy = 0, val_loss = 0 where trial_id = 1 and epoch = 1") > 0);

        var confusion = Ok("viz", "confusion", "--trial", "1");
        Assert.Contains("trial 1: epoch 1 (the best by val_loss, 0)", confusion.Error);
        Assert.EndsWith("confusion-test-epoch-1.svg", confusion.Lines[0], StringComparison.Ordinal);
    }

    private string Train()
    {
        // A small learning rate on few images keeps the model learning through both epochs, so their confusion matrices differ.
        var train = _cli.Run("train", "--arch", "lenet-matconvnet", "--dataset", "synthetic", "--epochs", "2", "--limit", "200", "--lr", "1e-4", "--json");
        Assert.True(train.ExitCode == 0, train.All);
        using var json = JsonDocument.Parse(train.Output);
        return json.RootElement.GetProperty("trial").GetInt64().ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Each epoch's recorded test confusion matrix, from <c>results show --json</c>.</summary>
    private Dictionary<int, List<List<int>>> TestConfusionMatrices(string trial)
    {
        using var json = JsonDocument.Parse(Ok("results", "show", trial, "--json").Output);
        return json.RootElement.GetProperty("metrics").EnumerateArray()
            .Where(m => m.GetProperty("split").GetString() == "test")
            .ToDictionary(m => m.GetProperty("epoch").GetInt32(),
                m => m.GetProperty("classification").GetProperty("confusionMatrix").EnumerateArray()
                    .Select(r => r.EnumerateArray().Select(n => n.GetInt32()).ToList()).ToList());
    }

    /// <summary>The confusion table after the line that names its epoch: each row's counts, in order.</summary>
    private static List<List<int>> PrintedMatrix(string output)
    {
        var after = output[output.IndexOf("test confusion matrix of", StringComparison.Ordinal)..];
        return after.Split('\n')
            .Select(line => line.Split(['│', '|'], StringSplitOptions.TrimEntries))
            .Where(cells => cells.Length > 3 && cells.Skip(2).Take(cells.Length - 3).All(c => int.TryParse(c, out _)) && cells[1].Length > 0)
            .Select(cells => cells.Skip(2).Take(cells.Length - 3).Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToList())
            .ToList();
    }

    private CliRun Ok(params string[] arguments)
    {
        var run = _cli.Run(arguments);
        Assert.True(run.ExitCode == 0, $"experiments {string.Join(' ', arguments)} exited {run.ExitCode}: {run.All}");
        return run;
    }

    public void Dispose() => _cli.Dispose();
}
