namespace Experiments.Analysis;

/// <summary>
/// The ROC curve of one class against the rest, point for point as
/// <c>sklearn.metrics.roc_curve(y_true == c, p[:, c], drop_intermediate=True)</c> returns it in scikit-learn 1.2.1.
/// </summary>
/// <remarks>
/// <para>The thresholds decrease. The first point is (0, 0) with threshold <c>max(score) + 1</c>: sklearn 1.2.1's
/// convention for "predict nothing" (later sklearn versions use +∞ there). Each later point is the (fpr, tpr) of
/// predicting the class when its score is ≥ the threshold, the last being (1, 1).</para>
/// <para>Like <c>drop_intermediate=True</c>, a point is dropped when it lies an equal step from both neighbours
/// (the second difference of both counts is zero, as in the middle of a vertical or horizontal stretch), so a curve
/// keeps one point per corner: at most (distinct scores) + 1 points and usually far fewer. That keeps a per-epoch record small
/// without changing the curve or its area.</para>
/// <para>When the class never occurs among the labels, the true positive rates are NaN (and, when every label is
/// the class, the false positive rates are NaN), as sklearn returns them; <see cref="Auc"/> is then NaN, where
/// sklearn's <c>roc_auc_score</c> raises. When the class's scores hold NaN or an infinity (a diverged model) the
/// curve is empty and the AUC NaN; sklearn raises there too.</para>
/// </remarks>
/// <param name="Auc">Area under the curve by the trapezoidal rule, as <c>roc_auc_score</c> and <c>auc(fpr, tpr)</c>.</param>
public sealed record RocCurve(
    int Class,
    IReadOnlyList<double> FalsePositiveRate,
    IReadOnlyList<double> TruePositiveRate,
    IReadOnlyList<double> Thresholds,
    double Auc)
{
    /// <summary>The one-vs-rest curve of <paramref name="positiveClass"/>, from its column of <paramref name="probabilities"/>.</summary>
    public static RocCurve For(int positiveClass, ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int classes)
    {
        var rows = Shapes.Rows(probabilities.Length, labels, classes, nameof(probabilities));
        ArgumentOutOfRangeException.ThrowIfNegative(positiveClass);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(positiveClass, classes);

        var scores = new double[rows];
        var positive = new bool[rows];
        for (var row = 0; row < rows; row++)
        {
            scores[row] = probabilities[row * classes + positiveClass];
            if (!double.IsFinite(scores[row])) return new RocCurve(positiveClass, [], [], [], double.NaN);
            positive[row] = labels[row] == positiveClass;
        }
        // Ascending, then read backwards: the order among equal scores is irrelevant, because only the counts at
        // the end of each run of equal scores become points.
        Array.Sort(scores, positive);

        // One point per distinct score: how many positives and negatives score at least that much.
        var falsePositives = new List<double>();
        var truePositives = new List<double>();
        var thresholds = new List<double>();
        double tp = 0, fp = 0;
        for (var i = rows - 1; i >= 0; i--)
        {
            if (positive[i]) tp++; else fp++;
            if (i > 0 && scores[i - 1] == scores[i]) continue;
            falsePositives.Add(fp);
            truePositives.Add(tp);
            thresholds.Add(scores[i]);
        }

        var kept = KeepCorners(falsePositives, truePositives);
        var fpr = new double[kept.Count + 1];
        var tpr = new double[kept.Count + 1];
        var cut = new double[kept.Count + 1];
        cut[0] = thresholds[0] + 1;
        for (var j = 0; j < kept.Count; j++)
        {
            fpr[j + 1] = falsePositives[kept[j]] / fp;
            tpr[j + 1] = truePositives[kept[j]] / tp;
            cut[j + 1] = thresholds[kept[j]];
        }
        if (fp <= 0) Array.Fill(fpr, double.NaN);
        if (tp <= 0) Array.Fill(tpr, double.NaN);

        return new RocCurve(positiveClass, fpr, tpr, cut, tp > 0 && fp > 0 ? Trapezoid(fpr, tpr) : double.NaN);
    }

    // sklearn's drop_intermediate: keep the ends and every point where the second difference of either count is
    // non-zero, i.e. where the curve turns.
    private static List<int> KeepCorners(List<double> falsePositives, List<double> truePositives)
    {
        var count = falsePositives.Count;
        var kept = new List<int>(count);
        for (var i = 0; i < count; i++)
        {
            if (count <= 2 || i == 0 || i == count - 1
                || falsePositives[i + 1] - 2 * falsePositives[i] + falsePositives[i - 1] != 0
                || truePositives[i + 1] - 2 * truePositives[i] + truePositives[i - 1] != 0)
                kept.Add(i);
        }
        return kept;
    }

    // numpy.trapz's expression, term by term: d * (y[1:] + y[:-1]) / 2.0.
    private static double Trapezoid(double[] x, double[] y)
    {
        var area = 0.0;
        for (var i = 1; i < x.Length; i++) area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2.0;
        return area;
    }
}

/// <summary>One-vs-rest ROC curves of every class, with their AUCs and the macro-average AUC.</summary>
/// <remarks>
/// <para><see cref="MacroAuc"/> is the unweighted mean of the per-class AUCs, as
/// <c>roc_auc_score(y, p, multi_class='ovr', average='macro')</c> (for k = 2, <c>roc_auc_score(y, p[:, 1])</c>, the
/// same number since both classes' curves are mirror images).</para>
/// <para>Where sklearn raises because a class is absent from the labels (its AUC undefined), we average over the
/// classes whose AUC is defined and skip the others, so a validation split that happens to lack a class still gets
/// a figure; <see cref="UndefinedClasses"/> says how many were skipped, and the macro is NaN only when no class has a
/// defined AUC.</para>
/// </remarks>
public sealed record OneVsRestRoc(int Classes, IReadOnlyList<RocCurve> Curves, double MacroAuc, int UndefinedClasses)
{
    /// <summary>The curves from softmax probabilities (row-major n×k), for example <see cref="Softmax.FromLogits"/>'s.</summary>
    public static OneVsRestRoc FromProbabilities(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int classes)
    {
        var curves = new RocCurve[classes];
        for (var c = 0; c < classes; c++) curves[c] = RocCurve.For(c, probabilities, labels, classes);
        var defined = curves.Where(curve => !double.IsNaN(curve.Auc)).ToList();
        var macro = defined.Count == 0 ? double.NaN : defined.Average(curve => curve.Auc);
        return new OneVsRestRoc(classes, curves, macro, classes - defined.Count);
    }

    /// <summary>The curves from logits, through <see cref="Softmax.FromLogits"/>.</summary>
    public static OneVsRestRoc FromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes) =>
        FromProbabilities(Softmax.FromLogits(logits, classes), labels, classes);
}
