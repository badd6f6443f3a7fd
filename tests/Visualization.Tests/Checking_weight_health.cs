using System.Text.Json;
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

        var chart = _folder.File("health/health-0.weight.svg");
        using var data = SvgReader.Data(chart);
        var names = data.RootElement.GetProperty("series").EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["filter 0", "filter 1", "filter 2 (dead from epoch 2)", "filter 3", "dead threshold"], names);
        var texts = SvgReader.Texts(chart);
        Assert.Contains("filter 2 (dead from epoch 2)", texts);
        Assert.Contains("dead filters (1): 2 (from epoch 2)", texts);
        Assert.True(File.Exists(_folder.File("health/health.json")));
    }

    [Fact]
    public void A_500_unit_layer_is_drawn_as_quantile_bands_at_a_fixed_size_naming_exactly_its_dead_and_nan_units()
    {
        var run = CliProcess.RunIn(_folder.Path, "viz", "health", "--trial", crafted.WideTrialId.ToString(), "--db", crafted.Database.ConnectionString,
            "--out", _folder.File("wide"));

        Assert.True(run.ExitCode == 0, run.All);
        var chart = _folder.File("wide/health-0.weight.svg");
        Assert.Equal((800, 480), SvgReader.Size(chart));
        Assert.InRange(new FileInfo(chart).Length, 1, 100_000); // a line per unit was about 1 MB
        var texts = SvgReader.Texts(chart);
        Assert.Contains("Unit L2 norm per epoch, trial " + crafted.WideTrialId + ", 0.weight (spread of 500 units)", texts);
        // The note is one text element per line: exactly the crafted units, by index.
        Assert.Contains("dead units (3): 7 (from epoch 2), 123 (from epoch 2), 499 (from epoch 2)", texts);
        Assert.Contains($"NaN or infinite units (1): {CraftedTrial.WideNaNUnit} (from epoch {CraftedTrial.NaNEpoch})", texts);
        Assert.DoesNotContain(texts, t => t.StartsWith("unit ", StringComparison.Ordinal)); // no line per unit in the legend
        using var data = SvgReader.Data(chart);
        Assert.Equal(["min–max", "5–95%", "25–75%"], data.RootElement.GetProperty("bands").EnumerateArray().Select(b => b.GetProperty("name").GetString()));
        // At epoch 0 every unit is finite and none is dead: the band's ends are the smallest and largest unit norms.
        var norms = Enumerable.Range(0, CraftedTrial.WideUnits).Select(u => Math.Sqrt(Enumerable.Range(0, CraftedTrial.WideInputs)
            .Sum(i => Math.Pow((float)(0.01 * (u % 17 + 1) * CraftedTrial.Pattern(i)), 2)))).ToList();
        var band = data.RootElement.GetProperty("bands")[0];
        Assert.Equal(norms.Min(), band.GetProperty("low")[0].GetDouble(), 6);
        Assert.Equal(norms.Max(), band.GetProperty("high")[0].GetDouble(), 6);
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
