using Experiments.Store;
using Experiments.Visualization.Charts;
using Xunit;

namespace Experiments.Visualization.Tests;

public sealed class Naming_trials_by_their_settings
{
    private static TrialRow Trial(long id, string architecture, string hyperparameters, long seed = 0) =>
        new(id, null, architecture, "mnist", hyperparameters, seed, TrialStatus.Completed, 1, null, null, DateTimeOffset.UnixEpoch, null, null, 4, 3, 0.9, 0.9);

    [Fact]
    public void Each_trial_is_named_by_the_settings_that_differ_and_nothing_they_share()
    {
        var names = TrialNames.Distinguishing(
        [
            Trial(1, "ffnn-100", """{"optimizer":"adam","lr":0.001,"weight_decay":0,"batch_size":64}"""),
            Trial(8, "lenet-matconvnet", """{"optimizer":"adam","lr":0.003,"weight_decay":0.0005,"batch_size":64}"""),
        ]);

        Assert.Equal("ffnn-100 lr=1e-3 weight_decay=0", names[1]);
        Assert.Equal("lenet-matconvnet lr=3e-3 weight_decay=5e-4", names[8]);
    }

    [Fact]
    public void Trials_that_differ_in_nothing_are_named_by_their_ids()
    {
        var names = TrialNames.Distinguishing([Trial(3, "ffnn-100", """{"lr":0.001}"""), Trial(4, "ffnn-100", """{"lr":0.001}""")]);

        Assert.Equal(["trial 3", "trial 4"], names.Values);
    }

    [Fact]
    public void Trials_with_the_same_name_for_their_differing_settings_get_their_ids()
    {
        // 5 and 6 share every setting and differ from 7 only by lr, so both would be "lr=1e-3".
        var names = TrialNames.Distinguishing(
        [
            Trial(5, "ffnn-100", """{"lr":0.001}"""), Trial(6, "ffnn-100", """{"lr":0.001}"""), Trial(7, "ffnn-100", """{"lr":0.01}"""),
        ]);

        Assert.Equal(["lr=1e-3 (trial 5)", "lr=1e-3 (trial 6)", "lr=0.01"], names.Values);
    }
}
