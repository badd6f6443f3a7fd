using System.Text.Json;
using System.Xml.Linq;
using Experiments.Visualization.Snapshots;
using Experiments.Visualization.Tests.Support;
using Xunit;

namespace Experiments.Visualization.Tests;

public sealed class Checking_weight_health(CraftedTrial crafted) : IClassFixture<CraftedTrial>, IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_zeroed_filter_is_dead_and_the_nan_is_found_and_nothing_else()
    {
        await using var store = await crafted.Database.OpenAsync();

        var report = await new TrialFigures(store).HealthReportAsync(crafted.TrialId);

        Assert.False(report.Healthy);
        var dead = Assert.Single(report.DeadFilters);
        Assert.Equal(("0.weight", CraftedTrial.DeadFilter, CraftedTrial.DeadFromEpoch), (dead.Tensor, dead.Filter, dead.FirstEpoch));
        Assert.Equal([2, 3], dead.Epochs);
        var nan = Assert.Single(report.NonFinite);
        Assert.Equal((CraftedTrial.NaNEpoch, "2.weight", 1, 0, (long)CraftedTrial.NaNIndex), (nan.Epoch, nan.Tensor, nan.NaNs, nan.Infinities, nan.FirstIndex));
    }

    [Fact]
    public async Task Norms_are_the_l2_norm_of_each_filter_at_each_epoch()
    {
        await using var store = await crafted.Database.OpenAsync();

        var report = await new TrialFigures(store).HealthReportAsync(crafted.TrialId);

        var conv = report.Layers.Single(l => l.Tensor == "0.weight");
        Assert.Equal(("conv", 4), (conv.Kind, conv.Filters));
        Assert.Equal([0, 1, 2, 3], report.Epochs);
        // ‖filter f at epoch e‖ = (f + 1)(e + 1)·0.1·sqrt(Σ Pattern(k)²) over its 18 elements, in float32.
        for (var e = 0; e < 4; e++)
            for (var f = 0; f < 4; f++)
            {
                var expected = Math.Sqrt(Enumerable.Range(0, 18).Sum(k => Math.Pow(CraftedTrial.ConvValue(f, k, e), 2)));
                Assert.Equal(expected, conv.Norms[e][f], 12);
            }
        var sumOfSquares = Enumerable.Range(0, 18).Sum(k => CraftedTrial.Pattern(k) * CraftedTrial.Pattern(k));
        Assert.Equal(2.5 * 0.1 * Math.Sqrt(sumOfSquares), conv.InitialMedianNorm, 6); // median of 1, 2, 3, 4 times the unit norm
        Assert.Equal(1e-3 * conv.InitialMedianNorm, conv.DeadThreshold, 15);
        var linear = report.Layers.Single(l => l.Tensor == "2.weight");
        Assert.Equal(("linear", 3), (linear.Kind, linear.Filters));
        Assert.True(double.IsNaN(linear.Norms[3][0])); // the unit holding the NaN
    }

    [Fact]
    public async Task A_healthy_trial_reports_nothing()
    {
        await using var store = await crafted.Database.OpenAsync();

        var report = await new TrialFigures(store).HealthReportAsync(crafted.HealthyTrialId);

        Assert.True(report.Healthy);
        Assert.Equal(2, report.Layers.Count);
    }

    [Fact]
    public void A_filter_shrinking_towards_zero_is_dead_once_below_the_fraction()
    {
        // Pure function, no database: 2 filters, norms 1 and 1 at epoch 0, then filter 1 shrinks by 10× per epoch.
        var snapshots = Enumerable.Range(0, 5).Select(e => new EpochSnapshot(e,
        [
            new Store.TensorSnapshot("0.weight", [2, 1, 1, 1], "float32",
                System.Runtime.InteropServices.MemoryMarshal.AsBytes<float>([1f, (float)Math.Pow(10, -e)]).ToArray()),
        ])).ToList();

        var report = WeightHealth.Examine(snapshots, deadFraction: 1e-3);

        // Median at epoch 0 is 1, so the threshold is 1e-3: 10⁻³ is not below it, 10⁻⁴ is.
        var dead = Assert.Single(report.DeadFilters);
        Assert.Equal((1, 4), (dead.Filter, dead.FirstEpoch));
    }

    [Fact]
    public void The_command_flags_the_dead_filter_and_the_nan_as_json_and_draws_the_norms()
    {
        var run = CliProcess.RunIn(_folder.Path, "viz", "health", "--trial", crafted.TrialId.ToString(), "--db", crafted.Database.ConnectionString,
            "--out", _folder.File("health"), "--json");

        Assert.True(run.ExitCode == 0, run.All);
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        Assert.False(root.GetProperty("healthy").GetBoolean());
        var dead = root.GetProperty("report").GetProperty("deadFilters").EnumerateArray().Single();
        Assert.Equal(("0.weight", 2, 2), (dead.GetProperty("tensor").GetString(), dead.GetProperty("filter").GetInt32(), dead.GetProperty("firstEpoch").GetInt32()));
        var nan = root.GetProperty("report").GetProperty("nonFinite").EnumerateArray().Single();
        Assert.Equal(("2.weight", 3, 1), (nan.GetProperty("tensor").GetString(), nan.GetProperty("epoch").GetInt32(), nan.GetProperty("naNs").GetInt32()));

        var chart = XDocument.Load(_folder.File("health/health-0.weight.svg"));
        XNamespace svg = "http://www.w3.org/2000/svg";
        var names = chart.Descendants(svg + "g").Where(g => (string?)g.Attribute("class") == "series").Select(g => (string)g.Attribute("data-name")!).ToList();
        Assert.Equal(["filter 0", "filter 1", "filter 2 (dead from epoch 2)", "filter 3", "dead threshold"], names);
        Assert.True(File.Exists(_folder.File("health/health.json")));
    }

    [Fact]
    public void The_summary_names_the_problems()
    {
        var run = CliProcess.RunIn(_folder.Path, "viz", "health", "--trial", crafted.TrialId.ToString(), "--db", crafted.Database.ConnectionString, "--out", _folder.Path);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("dead: 0.weight filter 2, norm below threshold from epoch 2", run.Output);
        Assert.Contains("non-finite: epoch 3, 2.weight: 1 NaN", run.Output);
    }
}
