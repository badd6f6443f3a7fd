using System.Text.Json.Nodes;
using Xunit;

namespace Experiments.Analysis.Tests;

public sealed class Storing_metrics_as_json
{
    private static readonly float[] Logits = [3, 1, 0, 0, 2, 1, 1, 0, 2, 2, 1, 0];

    [Fact]
    public void A_round_trip_gives_back_every_value_bit_for_bit_including_nan()
    {
        // Class 2 never appears among the labels, so its AUC is NaN.
        var metrics = SplitEvaluation.FromLogits(Logits, [0, 1, 0, 1], 3);
        var back = SplitEvaluation.FromJson(metrics.ToJson());

        Assert.Equal(metrics.Classification.ConfusionMatrix.Select(r => r.ToArray()), back.Classification.ConfusionMatrix.Select(r => r.ToArray()));
        Assert.Equal(metrics.Classification.PerClass, back.Classification.PerClass);
        Assert.Equal(metrics.Classification.MacroF1, back.Classification.MacroF1);
        Assert.Equal(metrics.Roc.MacroAuc, back.Roc.MacroAuc);
        for (var c = 0; c < 3; c++)
        {
            Assert.Equal(metrics.Roc.Curves[c].FalsePositiveRate, back.Roc.Curves[c].FalsePositiveRate);
            Assert.Equal(metrics.Roc.Curves[c].TruePositiveRate, back.Roc.Curves[c].TruePositiveRate);
            Assert.Equal(metrics.Roc.Curves[c].Thresholds, back.Roc.Curves[c].Thresholds);
        }
        Assert.True(double.IsNaN(back.Roc.Curves[2].Auc));
    }

    [Fact]
    public void Names_are_snake_case_and_nan_is_a_string_so_jsonb_accepts_it()
    {
        var json = JsonNode.Parse(SplitEvaluation.FromLogits(Logits, [0, 1, 0, 1], 3).ToJson())!;

        Assert.NotNull(json["classification"]!["macro_f1"]);
        Assert.NotNull(json["classification"]!["confusion_matrix"]);
        Assert.NotNull(json["roc"]!["curves"]![0]!["false_positive_rate"]);
        Assert.Equal("NaN", json["roc"]!["curves"]![2]!["auc"]!.GetValue<string>());
    }
}
