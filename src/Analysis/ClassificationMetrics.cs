namespace Experiments.Analysis;

/// <summary>Precision, recall, F1 and support of one class, treated one-vs-rest.</summary>
public sealed record ClassMetrics(int Class, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Accuracy, confusion matrix and per-class and macro precision, recall and F1 of one set of predictions,
/// defined exactly as scikit-learn's <c>confusion_matrix</c> and
/// <c>precision_recall_fscore_support(labels=range(k), zero_division=0)</c> (tests/oracle/sklearn_metrics.py
/// checks it against sklearn 1.2.1).
/// </summary>
/// <remarks>
/// <para>The prediction for a row is the arg-max of its scores, ties going to the lowest class index as
/// <c>numpy.argmax</c> and <c>torch.argmax</c> do; a NaN score counts as the largest, also as in numpy.</para>
/// <para>Zero divisions give 0 (sklearn's <c>zero_division=0</c>): a class that is never predicted has precision 0,
/// a class absent from the labels has recall 0, and F1 is 0 when precision and recall are both 0. Every one of the
/// <c>k</c> classes counts in the macro averages, including such classes, so a never-predicted class pulls macro
/// precision down, just as sklearn's <c>average='macro'</c> with <c>labels=range(k)</c>. Macro F1 is the mean of
/// the per-class F1 scores, not the F1 of macro precision and recall.</para>
/// </remarks>
/// <param name="ConfusionMatrix">k rows of k counts: row = true class, column = predicted class.</param>
public sealed record ClassificationMetrics(
    int Classes,
    int Count,
    double Accuracy,
    IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix,
    IReadOnlyList<ClassMetrics> PerClass,
    double MacroPrecision,
    double MacroRecall,
    double MacroF1)
{
    /// <summary>
    /// Measures <paramref name="scores"/> (logits or probabilities, row-major n×k) against <paramref name="labels"/>.
    /// Throws when there are no rows, the shapes disagree, or a label lies outside [0, k).
    /// </summary>
    public static ClassificationMetrics From(ReadOnlySpan<float> scores, ReadOnlySpan<int> labels, int classes)
    {
        var rows = Shapes.Rows(scores.Length, labels, classes, nameof(scores));
        var confusion = new int[classes][];
        for (var c = 0; c < classes; c++) confusion[c] = new int[classes];
        for (var row = 0; row < rows; row++)
            confusion[labels[row]][ArgMax(scores.Slice(row * classes, classes))]++;

        var correct = 0;
        var perClass = new ClassMetrics[classes];
        for (var c = 0; c < classes; c++)
        {
            var truePositives = confusion[c][c];
            correct += truePositives;
            var support = 0;
            var predicted = 0;
            for (var other = 0; other < classes; other++)
            {
                support += confusion[c][other];
                predicted += confusion[other][c];
            }
            var precision = predicted == 0 ? 0.0 : (double)truePositives / predicted;
            var recall = support == 0 ? 0.0 : (double)truePositives / support;
            var denominator = precision + recall;
            var f1 = denominator == 0.0 ? 0.0 : 2.0 * precision * recall / denominator;
            perClass[c] = new ClassMetrics(c, precision, recall, f1, support);
        }

        return new ClassificationMetrics(
            classes,
            rows,
            (double)correct / rows,
            confusion,
            perClass,
            perClass.Average(m => m.Precision),
            perClass.Average(m => m.Recall),
            perClass.Average(m => m.F1));
    }

    /// <summary>The index of the largest score, the lowest index among ties; the first NaN wins, as in numpy.</summary>
    public static int ArgMax(ReadOnlySpan<float> row)
    {
        var best = 0;
        for (var c = 0; c < row.Length; c++)
        {
            if (float.IsNaN(row[c])) return c;
            if (row[c] > row[best]) best = c;
        }
        return best;
    }
}
