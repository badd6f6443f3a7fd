using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// `sweep status --json` and `sweep list --json` for programs: camelCase keys throughout, as every `--json` output, and
/// each trial's best value with its epoch, the best trained epoch by the sweep's metric among finite values.
/// </summary>
public sealed partial class Reading_a_sweeps_status_as_json : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Every_key_is_camel_case_and_each_trials_best_is_its_best_epoch_by_the_sweeps_metric()
    {
        var run = _cli.Run("sweep", "run", _cli.WriteFile("two.yaml",
            """
            name: two
            dataset: synthetic
            epochs: 3
            batch_size: 32
            metric: val_loss
            grid:
              arch: [ffnn-100]
              lr: [1e-3, 1e-1]
            """), "--slots", "1", "--threads", "1");
        Assert.True(run.ExitCode == 0, run.All);

        var status = Json(_cli.Run("sweep", "status", "1", "--json"));
        var list = Json(_cli.Run("sweep", "list", "--json"));
        Assert.Empty(NotCamelCase(status));
        Assert.Empty(NotCamelCase(list));
        Assert.True(status.GetProperty("sweep").TryGetProperty("maxAttempts", out _), status.ToString());
        Assert.Equal("minimize", status.GetProperty("sweep").GetProperty("goal").GetString());

        // The best by val_loss, worked out here from every recorded epoch (as text, which round-trips a double): trained
        // epochs, finite values, the earliest of equals.
        var epochs = Json(_cli.Run("results", "sql", "select trial_id, epoch, val_loss::text as val_loss from epochs where epoch > 0", "--json")).EnumerateArray()
            .Select(r => (Trial: long.Parse(r.GetProperty("trial_id").GetString()!, CultureInfo.InvariantCulture),
                          Epoch: int.Parse(r.GetProperty("epoch").GetString()!, CultureInfo.InvariantCulture),
                          Loss: double.Parse(r.GetProperty("val_loss").GetString()!, CultureInfo.InvariantCulture)))
            .Where(e => double.IsFinite(e.Loss)).ToList();
        var trials = status.GetProperty("trials").EnumerateArray().ToList();
        Assert.Equal(2, trials.Count);
        foreach (var trial in trials)
        {
            var id = trial.GetProperty("trialId").GetInt64();
            var best = epochs.Where(e => e.Trial == id).OrderBy(e => e.Loss).ThenBy(e => e.Epoch).First();
            Assert.Equal((best.Epoch, best.Loss), (trial.GetProperty("bestEpoch").GetInt32(), trial.GetProperty("bestMetric").GetDouble()));
        }
    }

    /// <summary>Every property name in <paramref name="json"/> that is not camelCase.</summary>
    private static List<string> NotCamelCase(JsonElement json)
    {
        var wrong = new List<string>();
        void Visit(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
                foreach (var p in e.EnumerateObject())
                {
                    if (!CamelCase().IsMatch(p.Name)) wrong.Add(p.Name);
                    Visit(p.Value);
                }
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var item in e.EnumerateArray()) Visit(item);
        }
        Visit(json);
        return wrong;
    }

    [GeneratedRegex("^[a-z][a-zA-Z0-9]*$")]
    private static partial Regex CamelCase();

    private static JsonElement Json(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.All);
        return JsonDocument.Parse(run.Output).RootElement.Clone();
    }

    public void Dispose() => _cli.Dispose();
}
