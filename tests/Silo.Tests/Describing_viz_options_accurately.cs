using System.Text.RegularExpressions;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// What <c>viz … --help</c> says an option does is what it does, and values the command cannot honour are refused
/// with a message (exit code 2) instead of being written or ignored silently.
/// </summary>
public sealed class Describing_viz_options_accurately : IDisposable
{
    private readonly CliProcess _cli = new();

    [Theory]
    [InlineData("curves", "trial-<id>/foronetrial,trials-<a>-<b>…/forseveral.")]
    [InlineData("covariance", "dataset-<name>/.")]
    [InlineData("report", "trial-<id>/orsweep-<id>/.")]
    [InlineData("confusion", "trial-<id>/.")]
    public void Each_commands_out_help_names_the_folder_it_writes_into_by_default(string command, string folder) =>
        Assert.Contains("Default:<EXPERIMENTS_HOME>/viz/" + folder, Help("viz", command));

    [Fact]
    public void The_reports_images_help_says_only_test_image_0_gets_activations_and_kernels_zoom_help_says_how_the_default_is_chosen()
    {
        Assert.Contains("getprobabilities,saliencyandGrad-CAM;theactivationsareoftestimage0only.", Help("viz", "report"));
        var kernels = Help("viz", "kernels");
        Assert.DoesNotContain("about40pixelsperkernelside.", kernels);
        Assert.Contains("thelargestwholezoom,uptotheonethatmakesakernel'slongersideabout40pixels,whosewholegridstayswithin8millionpixels", kernels);
    }

    [Fact]
    public void A_frame_shorter_than_browsers_play_is_refused_by_kernels_and_activations()
    {
        // Validation comes before the trial is read, so no trial needs to exist.
        foreach (var command in new[] { "kernels", "activations" })
        {
            string[] arguments = command == "kernels"
                ? ["viz", "kernels", "--trial", "1", "--layer", "0", "--frame-ms", "5"]
                : ["viz", "activations", "--trial", "1", "--image", "0", "--frame-ms", "5"];
            var run = _cli.Run(arguments);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains("--frame-ms must be at least 20", run.All);
        }
    }

    [Fact]
    public void Kernels_refuses_a_page_together_with_named_filters_instead_of_ignoring_it()
    {
        var run = _cli.Run("viz", "kernels", "--trial", "1", "--layer", "0", "--filter", "0", "--page", "1");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--page goes without --filter", run.All);
    }

    [Fact]
    public void Kernels_refuses_a_top_count_together_with_named_filters_instead_of_ignoring_it()
    {
        var run = _cli.Run("viz", "kernels", "--trial", "1", "--layer", "0", "--filter", "1", "--top", "3");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error: --top goes without --filter", run.Error);
    }

    [Fact]
    public void Kernels_refuses_a_scale_together_with_the_change_view_which_has_its_own_symmetric_scale()
    {
        var run = _cli.Run("viz", "kernels", "--trial", "1", "--layer", "0", "--change", "--scale", "layer");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error: --scale goes without --change", run.Error);
    }

    /// <summary>A command's --help with all whitespace removed, so the console width's line wrapping does not matter.</summary>
    private string Help(params string[] command)
    {
        var run = _cli.Run([.. command, "--help"]);
        Assert.True(run.ExitCode == 0, run.All);
        return Regex.Replace(run.Output, @"\s+", "");
    }

    public void Dispose() => _cli.Dispose();
}
