using Xunit;

namespace Experiments.Analysis.Tests;

public sealed class Taking_the_softmax
{
    [Fact]
    public void Large_logits_do_not_overflow()
    {
        var p = Softmax.FromLogits([1000f, 1001f, -1000f, 0f], 2);

        Assert.Equal(1 / (1 + Math.E), p[0], 1e-15);
        Assert.Equal(Math.E / (1 + Math.E), p[1], 1e-15);
        Assert.Equal(0.0, p[2], 1e-300);
        Assert.Equal(1.0, p[3]);
    }

    [Fact]
    public void Every_row_sums_to_one_in_double_precision()
    {
        var random = new Random(7);
        var logits = Enumerable.Range(0, 50 * 10).Select(_ => (float)(20 * random.NextDouble() - 10)).ToArray();
        var p = Softmax.FromLogits(logits, 10);

        for (var row = 0; row < 50; row++) Assert.Equal(1.0, p.AsSpan(row * 10, 10).ToArray().Sum(), 1e-15);
    }

    [Fact]
    public void Equal_logit_differences_give_exactly_equal_probabilities()
    {
        // Quantised logits must keep their ties through the softmax, or ROC thresholds would split them.
        var p = Softmax.FromLogits([0.5f, 1f, 0.25f, 0.75f], 2);

        Assert.Equal(p[0], p[2]);
        Assert.Equal(p[1], p[3]);
    }
}
