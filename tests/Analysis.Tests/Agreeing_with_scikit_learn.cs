using System.Text.Json.Nodes;
using Experiments.Analysis.Tests.OracleSupport;
using Xunit;

namespace Experiments.Analysis.Tests;

/// <summary>
/// Our metrics against <c>sklearn.metrics</c> (Debian's python3-sklearn 1.2.1) on the same predictions: the
/// confusion matrix exactly, everything else within 1e-9. The oracle runs once for all cases.
/// </summary>
public sealed class Agreeing_with_scikit_learn
{
    private const double Tolerance = 1e-9;
    private static readonly Lazy<IReadOnlyDictionary<string, JsonObject>> Answers = new(AskScikitLearn);

    public static TheoryData<string> Cases() => [.. MetricsCases.All.Select(c => c.Name)];

    [Theory, MemberData(nameof(Cases))]
    public void The_confusion_matrix_and_accuracy_are_sklearns(string name)
    {
        var (@case, expected) = Lookup(name);
        var actual = ClassificationMetrics.From(@case.Scores, @case.Labels, @case.Classes);

        var confusion = expected["confusion"]!.AsArray().Select(row => row!.AsArray().Select(v => v!.GetValue<int>()).ToArray()).ToArray();
        Assert.Equal(confusion, actual.ConfusionMatrix.Select(row => row.ToArray()).ToArray());
        Assert.Equal(expected["accuracy"]!.GetValue<double>(), actual.Accuracy, Tolerance);
        Assert.Equal(@case.Labels.Length, actual.Count);
    }

    [Theory, MemberData(nameof(Cases))]
    public void Precision_recall_and_F1_per_class_and_macro_are_sklearns_with_zero_division_0(string name)
    {
        var (@case, expected) = Lookup(name);
        var actual = ClassificationMetrics.From(@case.Scores, @case.Labels, @case.Classes);

        AssertClose(SklearnOracle.DecodeDoubles(expected["precision"]), [.. actual.PerClass.Select(m => m.Precision)], "precision");
        AssertClose(SklearnOracle.DecodeDoubles(expected["recall"]), [.. actual.PerClass.Select(m => m.Recall)], "recall");
        AssertClose(SklearnOracle.DecodeDoubles(expected["f1"]), [.. actual.PerClass.Select(m => m.F1)], "F1");
        Assert.Equal(expected["support"]!.AsArray().Select(s => s!.GetValue<int>()), actual.PerClass.Select(m => m.Support));
        AssertClose(SklearnOracle.DecodeDoubles(expected["macro_precision"]), [actual.MacroPrecision], "macro precision");
        AssertClose(SklearnOracle.DecodeDoubles(expected["macro_recall"]), [actual.MacroRecall], "macro recall");
        AssertClose(SklearnOracle.DecodeDoubles(expected["macro_f1"]), [actual.MacroF1], "macro F1");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Every_one_vs_rest_roc_curve_is_sklearns_point_for_point(string name)
    {
        var (@case, expected) = Lookup(name);
        var actual = OneVsRestRoc.FromProbabilities(@case.Probabilities, @case.Labels, @case.Classes);

        var curves = expected["curves"]!.AsArray();
        Assert.Equal(curves.Count, actual.Curves.Count);
        for (var c = 0; c < curves.Count; c++)
        {
            var curve = actual.Curves[c];
            Assert.Equal(c, curve.Class);
            AssertClose(SklearnOracle.DecodeDoubles(curves[c]!["fpr"]), curve.FalsePositiveRate, $"class {c} fpr");
            AssertClose(SklearnOracle.DecodeDoubles(curves[c]!["tpr"]), curve.TruePositiveRate, $"class {c} tpr");
            AssertClose(SklearnOracle.DecodeDoubles(curves[c]!["thresholds"]), curve.Thresholds, $"class {c} thresholds");
            AssertClose(SklearnOracle.DecodeDoubles(curves[c]!["auc"]), [curve.Auc], $"class {c} AUC");
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void The_macro_auc_is_sklearns_one_vs_rest_macro(string name)
    {
        var (@case, expected) = Lookup(name);
        var actual = OneVsRestRoc.FromProbabilities(@case.Probabilities, @case.Labels, @case.Classes);

        AssertClose(SklearnOracle.DecodeDoubles(expected["macro_auc"]), [actual.MacroAuc],
            $"macro AUC ({expected["macro_auc_source"]})");
    }

    [Theory, MemberData(nameof(Cases))]
    public void Our_softmax_is_numpys_in_double_precision(string name)
    {
        var (@case, expected) = Lookup(name);
        if (!@case.ScoresAreLogits) return; // these scores are probabilities already: there is no softmax to compare
        AssertClose(SklearnOracle.DecodeDoubles(expected["softmax"]), @case.Probabilities, "softmax", 1e-15);
    }

    [Fact]
    public void The_cases_include_ties_a_never_predicted_class_and_separable_predictions()
    {
        // Guards the generators: were they to stop producing the hard cases, the agreement above would prove less.
        var metrics = MetricsCases.All.ToDictionary(c => c.Name, c => ClassificationMetrics.From(c.Scores, c.Labels, c.Classes));
        Assert.Contains(MetricsCases.All, c => c.Probabilities.Distinct().Count() < c.Probabilities.Length / 4);
        Assert.Contains(metrics.Values, m => m.ConfusionMatrix.Any(row => row.Distinct().Count() > 1)
            && Enumerable.Range(0, m.Classes).Any(c => m.ConfusionMatrix.All(row => row[c] == 0)));
        Assert.Contains(metrics.Values, m => m.Accuracy == 1.0 && m.Classes == 10);
        Assert.Contains(MetricsCases.All, c => Enumerable.Range(0, c.Classes).Any(k => !c.Labels.Contains(k)));
    }

    private static (MetricsCase Case, JsonObject Expected) Lookup(string name) =>
        (MetricsCases.All.Single(c => c.Name == name), Answers.Value[name]);

    private static IReadOnlyDictionary<string, JsonObject> AskScikitLearn()
    {
        var requests = MetricsCases.All.Select(c => new JsonObject
        {
            ["name"] = c.Name,
            ["classes"] = c.Classes,
            ["scores"] = SklearnOracle.Encode(c.Scores, c.Labels.Length, c.Classes),
            ["labels"] = SklearnOracle.Encode(c.Labels.Select(l => (long)l).ToArray(), c.Labels.Length),
            ["probabilities"] = SklearnOracle.Encode(c.Probabilities, c.Labels.Length, c.Classes),
            ["check_softmax"] = c.ScoresAreLogits,
        }).ToList();
        var answers = SklearnOracle.Run(requests);
        return MetricsCases.All.Select((c, i) => (c.Name, answers[i])).ToDictionary(x => x.Name, x => x.Item2);
    }

    private static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<double> actual, string what, double tolerance = Tolerance)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: sklearn has {expected.Count} values, we have {actual.Count}");
        for (var i = 0; i < expected.Count; i++)
        {
            var agree = double.IsNaN(expected[i]) ? double.IsNaN(actual[i]) : Math.Abs(expected[i] - actual[i]) <= tolerance;
            Assert.True(agree, $"{what}[{i}]: sklearn {expected[i]:R}, ours {actual[i]:R}");
        }
    }
}
