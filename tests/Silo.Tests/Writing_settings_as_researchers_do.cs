using Experiments.Contracts;
using Xunit;

namespace Experiments.Silo.Tests;

public class Writing_settings_as_researchers_do
{
    [Theory]
    [InlineData(1e-3, "1e-3")]
    [InlineData(3e-3, "3e-3")]
    [InlineData(5e-4, "5e-4")]
    [InlineData(1e-4, "1e-4")]
    [InlineData(2.5e-5, "2.5e-5")]
    [InlineData(1e30, "1e+30")]
    [InlineData(-1e-3, "-1e-3")]
    [InlineData(0.0, "0")]
    [InlineData(0.05, "0.05")]
    [InlineData(0.1, "0.1")]
    [InlineData(0.9, "0.9")]
    [InlineData(1.0, "1")]
    [InlineData(64.0, "64")]
    [InlineData(0.000123456789, "1.235e-4")] // a random search's draw: four significant digits
    [InlineData(0.1 + 0.2, "0.3")]
    [InlineData(123456.0, "1.235e+5")]
    [InlineData(double.NaN, "NaN")]
    public void A_number_is_written_in_its_shortest_readable_form(double value, string expected) =>
        Assert.Equal(expected, SettingText.Format(value));

    [Fact]
    public void Stored_json_settings_read_the_same_way_with_shapes_joined_by_times()
    {
        using var json = System.Text.Json.JsonDocument.Parse("""{"lr": 0.001, "batch_size": 64, "optimizer": "adam", "input": [1, 28, 28], "limit": null, "huge": 1E+30}""");
        var root = json.RootElement;

        Assert.Equal(["1e-3", "64", "adam", "1×28×28", "–", "1e+30"],
            new[] { "lr", "batch_size", "optimizer", "input", "limit", "huge" }.Select(k => SettingText.Format(root.GetProperty(k))));
    }
}

/// <summary>The settings <c>results show</c>, <c>results compare</c> and <c>viz report</c> list for a trial: each once, and only those its optimizer uses.</summary>
public class Listing_a_trials_settings
{
    private static Store.TrialRow Trial(string optimizer) => new(
        7, null, "lenet-matconvnet", "mnist",
        $$"""{"optimizer": "{{optimizer}}", "lr": 0.001, "weight_decay": 0, "lr_decay": 1, "momentum": 0.9, "batch_size": 64, "epochs": 3, "val_split": 0.1}""",
        42, Store.TrialStatus.Completed, 1, null, null, DateTimeOffset.UnixEpoch, null, null, 4, 2, 0.9, 0.9);

    [Fact]
    public void An_adam_trial_lists_no_momentum_because_adam_does_not_use_it()
    {
        var names = Experiments.Visualization.TrialSettings.Of(Trial("adam")).Select(s => s.Name).ToList();

        Assert.DoesNotContain("momentum", names);
        Assert.Contains("learning rate", names);
    }

    [Fact]
    public void An_sgd_trial_lists_its_momentum()
    {
        var settings = Experiments.Visualization.TrialSettings.Of(Trial("sgd"));

        Assert.Contains(("momentum", "0.9"), settings);
    }

    [Fact]
    public void Every_setting_is_listed_once_the_seed_included()
    {
        var settings = Experiments.Visualization.TrialSettings.Of(Trial("sgd"));

        Assert.Equal(settings.Select(s => s.Name).Distinct(), settings.Select(s => s.Name));
        Assert.Single(settings, s => s.Name == "seed" && s.Value == "42");
    }
}
