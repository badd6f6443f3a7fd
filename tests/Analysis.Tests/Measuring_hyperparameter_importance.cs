using System.Text.Json.Nodes;
using Experiments.Analysis.Importance;
using Experiments.Analysis.Tests.OracleSupport;
using Xunit;

namespace Experiments.Analysis.Tests;

/// <summary>
/// Hyperparameter importance: the main-effect decomposition of a full factorial against NumPy computed from first
/// principles, and PED-ANOVA on a random search against the ranking of Debian's Optuna 3.1 fANOVA.
/// </summary>
public sealed class Measuring_hyperparameter_importance
{
    private const string Script = "importance_oracle.py";

    [Fact]
    public void On_a_grid_where_one_parameter_explains_nearly_all_the_variance_it_gets_nearly_all_the_importance()
    {
        // Accuracy moves 0.30 between learning rates, and under 0.003 with the decay or the architecture.
        string[] lrs = ["1e-4", "1e-3", "1e-2"], decays = ["0", "5e-4"], archs = ["a", "b"];
        var runs = (from rate in lrs.Select((l, i) => (l, i)) from wd in decays.Select((d, j) => (d, j)) from arch in archs.Select((a, k) => (a, k))
                    select new FactorialRun([rate.l, wd.d, arch.a], 0.6 + 0.15 * rate.i + 0.002 * wd.j + 0.001 * arch.k * wd.j)).ToList();
        var decomposition = MainEffectAnova.Decompose(["lr", "weight_decay", "arch"], runs);
        var lr = decomposition.MainEffects[0];
        Assert.Equal("lr", lr.Factor);
        Assert.True(lr.Share > 0.999, $"lr explains {lr.Share:P3}");
        Assert.True(decomposition.MainEffects.Skip(1).All(e => e.Share < 0.001));
        Assert.Equal(12, decomposition.Cells);
    }

    [Fact]
    public void The_grid_figures_equal_a_numpy_reference_to_1e_minus_9()
    {
        // A 3 × 4 × 2 grid with interactions, two repeats per cell (averaged first); NumPy sees the cell means.
        var random = new Random(11);
        int[] shape = [3, 4, 2];
        var means = new double[shape.Aggregate(1, (a, b) => a * b)];
        var runs = new List<FactorialRun>();
        var cell = 0;
        for (var a = 0; a < shape[0]; a++)
            for (var b = 0; b < shape[1]; b++)
                for (var c = 0; c < shape[2]; c++, cell++)
                {
                    var centre = 0.5 + 0.1 * a - 0.05 * b * b + 0.07 * a * c + 0.01 * random.NextDouble();
                    var (first, second) = (centre + 0.02, centre - 0.02);
                    means[cell] = (first + second) / 2;
                    runs.Add(new FactorialRun([$"a{a}", $"b{b}", $"c{c}"], first));
                    runs.Add(new FactorialRun([$"a{a}", $"b{b}", $"c{c}"], second));
                }
        // Shuffled: the decomposition must not depend on the runs' order.
        var decomposition = MainEffectAnova.Decompose(["a", "b", "c"], [.. runs.OrderBy(_ => random.Next())]);

        var reference = SklearnOracle.Run([new JsonObject
        {
            ["kind"] = "grid", ["shape"] = new JsonArray([.. shape.Select(s => (JsonNode)s)]), ["values"] = new JsonArray([.. means.Select(m => (JsonNode)m)]),
        }], script: Script)[0];
        Assert.Equal(reference["total"]!.GetValue<double>(), decomposition.TotalVariance, 1e-9);
        var variances = reference["variances"]!.AsArray().Select(v => v!.GetValue<double>()).ToList();
        var shares = reference["shares"]!.AsArray().Select(v => v!.GetValue<double>()).ToList();
        for (var k = 0; k < shape.Length; k++)
        {
            Assert.Equal(variances[k], decomposition.MainEffects[k].Variance, 1e-9);
            Assert.Equal(shares[k], decomposition.MainEffects[k].Share, 1e-9);
        }
        Assert.Equal(1 - shares.Sum(), decomposition.InteractionShare, 1e-9);
        Assert.True(decomposition.InteractionShare > 0.01, "the grid has interactions, which no main effect takes");
        Assert.Equal((24, 48), (decomposition.Cells, decomposition.Runs));
    }

    [Fact]
    public void A_grid_with_a_missing_cell_is_refused_with_the_cell_named()
    {
        var runs = new List<FactorialRun> { new(["1e-3", "a"], 0.9), new(["1e-3", "b"], 0.8), new(["1e-2", "a"], 0.7) };
        var error = Assert.Throws<ArgumentException>(() => MainEffectAnova.Decompose(["lr", "arch"], runs));
        Assert.Contains("3 of 4 cells have a value; missing, for one, lr=1e-2 arch=b", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ped_anova_ranks_a_random_searchs_parameters_as_optuna_3_1s_fanova_does()
    {
        // 120 trials: the loss depends strongly on lr (log scale, best near 3e-3), less on dropout, not at all on
        // the third parameter.
        var random = new Random(5);
        var trials = Enumerable.Range(0, 120).Select(_ =>
        {
            var lr = Math.Pow(10, -5 + 4 * random.NextDouble());
            var dropout = 0.6 * random.NextDouble();
            var unused = random.NextDouble();
            var loss = Math.Pow(Math.Log10(lr) + 2.5, 2) + 1.5 * dropout + 0.05 * random.NextDouble();
            return (lr, dropout, unused, loss);
        }).ToList();
        var ours = PedAnova.Importance([
            new SearchedParameter("lr", [.. trials.Select(t => t.lr)], null, Log: true),
            new SearchedParameter("dropout", [.. trials.Select(t => t.dropout)], null),
            new SearchedParameter("unused", [.. trials.Select(t => t.unused)], null)], [.. trials.Select(t => t.loss)], maximize: false);

        var reference = SklearnOracle.Run([new JsonObject
        {
            ["kind"] = "random", ["maximize"] = false,
            ["params"] = new JsonObject
            {
                ["lr"] = new JsonObject { ["low"] = 1e-5, ["high"] = 0.1, ["log"] = true },
                ["dropout"] = new JsonObject { ["low"] = 0.0, ["high"] = 0.6, ["log"] = false },
                ["unused"] = new JsonObject { ["low"] = 0.0, ["high"] = 1.0, ["log"] = false },
            },
            ["trials"] = new JsonArray([.. trials.Select(t => (JsonNode)new JsonObject
            {
                ["params"] = new JsonObject { ["lr"] = t.lr, ["dropout"] = t.dropout, ["unused"] = t.unused }, ["value"] = t.loss,
            })]),
        }], script: Script)[0]["importances"]!.AsObject();
        var optunaRanking = reference.OrderByDescending(p => p.Value!.GetValue<double>()).Select(p => p.Key).ToList();
        var ourRanking = ours.OrderByDescending(p => p.Importance).Select(p => p.Name).ToList();
        Assert.Equal(["lr", "dropout", "unused"], optunaRanking);
        Assert.Equal(optunaRanking, ourRanking);
        Assert.Equal(1.0, ours.Sum(p => p.Importance), 1e-12);
    }
}
