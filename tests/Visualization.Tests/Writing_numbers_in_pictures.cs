using Experiments.Visualization.Interpretability;
using Experiments.Visualization.Snapshots;
using Xunit;

namespace Experiments.Visualization.Tests;

/// <summary>Colour-bar ends and logits in pictures, written the way tables, charts and the command's messages write numbers.</summary>
public class Writing_numbers_in_pictures
{
    [Theory]
    [InlineData(8.8123e-6, "8.81e-6")]
    [InlineData(1.0834e-5, "1.08e-5")]
    [InlineData(-3.456e-4, "-3.46e-4")]
    [InlineData(0.5, "0.5")]
    [InlineData(12.345, "12.3")]
    [InlineData(2.5e7, "2.5e+7")]
    public void A_colour_bar_end_has_three_significant_digits_and_a_short_lower_case_exponent(double value, string expected) =>
        Assert.Equal(expected, KernelPictures.Format(value));

    [Fact]
    public void The_change_views_colour_bar_writes_its_negative_end_with_the_same_minus_as_every_other_picture()
    {
        var bar = KernelPictures.ChangeScale(0.09031, baselineEpoch: 0);

        Assert.Equal("-0.0903", bar.Bottom);
        Assert.Equal("+0.0903", bar.Top);
        Assert.Equal(KernelPictures.Format(-0.09031), bar.Bottom);
    }

    [Fact]
    public void A_logit_in_an_attribution_panel_has_the_four_digits_the_command_reports_on_standard_error() =>
        Assert.Equal("9.872", InterpretabilityFigures.LogitText(9.8723f));
}
