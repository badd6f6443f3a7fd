using Xunit;

namespace Experiments.Visualization.Tests;

/// <summary>
/// The report's caption under a class-probability chart names only the bars the chart draws: the predicted class's
/// orange bar exists only when the prediction is wrong (a right one is the red true-class bar).
/// </summary>
public sealed class Captioning_probability_charts
{
    [Fact]
    public void A_right_prediction_is_captioned_as_the_red_bar_with_no_orange_one()
    {
        var caption = ProbabilityFigure.Caption([0.1, 0.7, 0.2], trueClass: 1, logScale: false);

        Assert.DoesNotContain("orange", caption, StringComparison.Ordinal);
        Assert.Contains("the true class, which is also the predicted one, in red", caption, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_prediction_is_captioned_with_the_predicted_class_in_orange()
    {
        var caption = ProbabilityFigure.Caption([0.1, 0.7, 0.2], trueClass: 2, logScale: false);

        Assert.Contains("the true class in red, the predicted class in orange", caption, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_axis_is_named_in_the_caption_only_when_drawn()
    {
        Assert.Contains("on a log axis, since the top class holds more than 90%", ProbabilityFigure.Caption([0.99, 0.01], 0, logScale: true), StringComparison.Ordinal);
        Assert.DoesNotContain("log", ProbabilityFigure.Caption([0.6, 0.4], 0, logScale: false), StringComparison.Ordinal);
    }
}
