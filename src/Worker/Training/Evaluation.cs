namespace Experiments.Worker.Training;

/// <summary>Loss and accuracy from logits, computed in double precision.</summary>
public static class Evaluation
{
    /// <summary>Mean softmax cross-entropy and accuracy of row-major <paramref name="logits"/> (samples × classes).</summary>
    public static SplitMetrics FromLogits(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classes)
    {
        if (labels.Length == 0) return new SplitMetrics(double.NaN, double.NaN, 0);
        if (logits.Length != labels.Length * classes)
            throw new ArgumentException($"expected {labels.Length}×{classes} logits, got {logits.Length}.", nameof(logits));
        double lossSum = 0;
        var correct = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            var best = 0;
            for (var k = 1; k < classes; k++)
                if (row[k] > row[best]) best = k;
            double sum = 0;
            for (var k = 0; k < classes; k++) sum += Math.Exp(row[k] - (double)row[best]);
            lossSum += Math.Log(sum) + row[best] - row[labels[i]];
            if (best == labels[i]) correct++;
        }
        return new SplitMetrics(lossSum / labels.Length, (double)correct / labels.Length, labels.Length);
    }
}
