namespace Experiments.Analysis;

/// <summary>Class probabilities from logits, computed in double precision.</summary>
public static class Softmax
{
    /// <summary>
    /// The softmax of every row of <paramref name="logits"/> (row-major, <paramref name="classes"/> columns).
    /// Stable: the row's maximum is subtracted before exponentiating, so logits of 1000 do not overflow.
    /// A row holding NaN or an infinity yields NaN probabilities (a diverged model), it does not throw.
    /// </summary>
    public static double[] FromLogits(ReadOnlySpan<float> logits, int classes)
    {
        Shapes.CheckScores(logits.Length, classes, nameof(logits));
        var probabilities = new double[logits.Length];
        for (var row = 0; row < logits.Length; row += classes)
        {
            var max = double.NegativeInfinity;
            for (var c = 0; c < classes; c++) max = Math.Max(max, logits[row + c]);
            var sum = 0.0;
            for (var c = 0; c < classes; c++)
            {
                var e = Math.Exp(logits[row + c] - max);
                probabilities[row + c] = e;
                sum += e;
            }
            for (var c = 0; c < classes; c++) probabilities[row + c] /= sum;
        }
        return probabilities;
    }
}

internal static class Shapes
{
    public static void CheckScores(int length, int classes, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        if (length % classes != 0)
            throw new ArgumentException($"{length} scores do not make rows of {classes} classes", name);
    }

    public static int Rows(int scores, ReadOnlySpan<int> labels, int classes, string name)
    {
        CheckScores(scores, classes, name);
        var rows = scores / classes;
        if (rows != labels.Length)
            throw new ArgumentException($"{rows} rows of scores but {labels.Length} labels", nameof(labels));
        if (rows == 0) throw new ArgumentException("there are no predictions to measure", nameof(labels));
        foreach (var label in labels)
            if ((uint)label >= (uint)classes)
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"a label must lie in [0, {classes})");
        return rows;
    }
}
