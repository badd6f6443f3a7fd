using Xunit;

namespace Experiments.Analysis.Tests;

public sealed class Measuring_a_small_example_by_hand
{
    // Six predictions over three classes; class 2 is never predicted and row 1 ties between classes 0 and 1.
    //
    //   row  scores           label  prediction (arg-max, ties to the lowest index)
    //   0    [2, 1, 0]        0      0
    //   1    [1, 1, 0]        0      0   (tie 0/1 -> 0)
    //   2    [0, 3, 1]        0      1
    //   3    [0, 2, 1]        1      1
    //   4    [5, 1, 1]        1      0
    //   5    [0, 1, 0.5]      2      1
    //
    // Confusion (rows true, columns predicted):  [2 1 0] [1 1 0] [0 1 0];  accuracy 3/6 = 1/2.
    //   class 0: TP 2, predicted 3, support 3 -> P 2/3, R 2/3, F1 2/3
    //   class 1: TP 1, predicted 3, support 2 -> P 1/3, R 1/2, F1 2·(1/6)/(5/6) = 2/5
    //   class 2: TP 0, predicted 0, support 1 -> P 0 (zero_division=0), R 0, F1 0
    //   macro: P (2/3 + 1/3 + 0)/3 = 1/3, R (2/3 + 1/2 + 0)/3 = 7/18, F1 (2/3 + 2/5 + 0)/3 = 16/45
    private static readonly float[] Scores = [2, 1, 0, 1, 1, 0, 0, 3, 1, 0, 2, 1, 5, 1, 1, 0, 1, 0.5f];
    private static readonly int[] Labels = [0, 0, 0, 1, 1, 2];
    private readonly ClassificationMetrics _metrics = ClassificationMetrics.From(Scores, Labels, 3);

    [Fact]
    public void The_confusion_matrix_has_true_classes_in_rows_and_predictions_in_columns()
    {
        int[][] expected = [[2, 1, 0], [1, 1, 0], [0, 1, 0]];
        Assert.Equal(expected, _metrics.ConfusionMatrix.Select(row => row.ToArray()).ToArray());
        Assert.Equal(0.5, _metrics.Accuracy);
        Assert.Equal(6, _metrics.Count);
    }

    [Fact]
    public void Per_class_figures_match_the_hand_calculation()
    {
        Assert.Equal(new ClassMetrics(0, 2.0 / 3, 2.0 / 3, 2.0 / 3, 3), _metrics.PerClass[0], Close);
        Assert.Equal(new ClassMetrics(1, 1.0 / 3, 0.5, 0.4, 2), _metrics.PerClass[1], Close);
        Assert.Equal(new ClassMetrics(2, 0, 0, 0, 1), _metrics.PerClass[2]);
    }

    [Fact]
    public void A_never_predicted_class_counts_as_zero_in_the_macro_averages()
    {
        Assert.Equal(1.0 / 3, _metrics.MacroPrecision, 1e-15);
        Assert.Equal(7.0 / 18, _metrics.MacroRecall, 1e-15);
        Assert.Equal(16.0 / 45, _metrics.MacroF1, 1e-15);
    }

    [Fact]
    public void Arg_max_ties_go_to_the_lowest_index_and_nan_wins_as_in_numpy()
    {
        Assert.Equal(1, ClassificationMetrics.ArgMax([1, 3, 3]));
        Assert.Equal(0, ClassificationMetrics.ArgMax([0, 0, 0]));
        Assert.Equal(2, ClassificationMetrics.ArgMax([1, 3, float.NaN, float.NaN]));
    }

    [Fact]
    public void Bad_shapes_and_labels_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.From(new float[5], new int[2], 3));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.From(new float[6], new int[3], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.From(new float[6], [0, 3], 3));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.From([], [], 3));
    }

    private static readonly IEqualityComparer<ClassMetrics> Close = EqualityComparer<ClassMetrics>.Create((a, b) =>
        a!.Class == b!.Class && a.Support == b.Support
        && Math.Abs(a.Precision - b.Precision) < 1e-15 && Math.Abs(a.Recall - b.Recall) < 1e-15 && Math.Abs(a.F1 - b.F1) < 1e-15);
}
