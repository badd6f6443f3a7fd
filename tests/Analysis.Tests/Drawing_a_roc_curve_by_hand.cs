using Xunit;

namespace Experiments.Analysis.Tests;

public sealed class Drawing_a_roc_curve_by_hand
{
    [Fact]
    public void The_sklearn_documentation_example_gives_sklearns_curve_with_max_plus_one_as_first_threshold()
    {
        // roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) in sklearn 1.2.1's own docstring:
        // fpr [0, 0, .5, .5, 1], tpr [0, .5, .5, 1, 1], thresholds [1.8, .8, .4, .35, .1]; AUC 0.75.
        double[] probabilities = [0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8];
        var roc = OneVsRestRoc.FromProbabilities(probabilities, [0, 0, 1, 1], 2);

        var curve = roc.Curves[1];
        Assert.Equal([0, 0, 0.5, 0.5, 1], curve.FalsePositiveRate);
        Assert.Equal([0, 0.5, 0.5, 1, 1], curve.TruePositiveRate);
        Assert.Equal([1.8, 0.8, 0.4, 0.35, 0.1], curve.Thresholds);
        Assert.Equal(0.75, curve.Auc);
        // Class 0's scores rank the rows in the mirror order, so its area is the same.
        Assert.Equal(0.75, roc.Curves[0].Auc);
        Assert.Equal(0.75, roc.MacroAuc);
        Assert.Equal(0, roc.UndefinedClasses);
    }

    [Fact]
    public void Points_in_the_middle_of_a_straight_stretch_are_dropped()
    {
        // Class 1 scores 0.9, 0.8, 0.7 on its three rows and 0.3, 0.2 on the two others. Counted from the top the
        // points are (fp, tp) = (0,1) (0,2) (0,3) (1,3) (2,3); (0,2) and (1,3) lie mid-stretch and go.
        double[] probabilities = [0.1, 0.9, 0.2, 0.8, 0.3, 0.7, 0.7, 0.3, 0.8, 0.2];
        var curve = RocCurve.For(1, probabilities, [1, 1, 1, 0, 0], 2);

        Assert.Equal([0, 0, 0, 1], curve.FalsePositiveRate);
        Assert.Equal([0, 1.0 / 3, 1, 1], curve.TruePositiveRate);
        Assert.Equal([1.9, 0.9, 0.7, 0.2], curve.Thresholds);
        Assert.Equal(1.0, curve.Auc);
    }

    [Fact]
    public void A_class_absent_from_the_labels_has_nan_auc_and_the_macro_averages_the_others()
    {
        // Three classes, no row labelled 2: its true positive rates and AUC are undefined (sklearn raises).
        double[] probabilities = [0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.6, 0.3, 0.1, 0.1, 0.6, 0.3];
        var roc = OneVsRestRoc.FromProbabilities(probabilities, [0, 1, 0, 1], 3);

        Assert.True(double.IsNaN(roc.Curves[2].Auc));
        Assert.All(roc.Curves[2].TruePositiveRate, rate => Assert.True(double.IsNaN(rate)));
        Assert.Equal(1, roc.UndefinedClasses);
        Assert.Equal(1.0, roc.Curves[0].Auc);
        Assert.Equal(1.0, roc.Curves[1].Auc);
        Assert.Equal(1.0, roc.MacroAuc);
    }

    [Fact]
    public void Non_finite_scores_give_an_empty_curve_and_nan_auc_instead_of_throwing()
    {
        double[] probabilities = [double.NaN, double.NaN, 0.5, 0.5];
        var roc = OneVsRestRoc.FromProbabilities(probabilities, [0, 1], 2);

        Assert.All(roc.Curves, curve => Assert.Empty(curve.Thresholds));
        Assert.True(double.IsNaN(roc.MacroAuc));
        Assert.Equal(2, roc.UndefinedClasses);
    }
}
