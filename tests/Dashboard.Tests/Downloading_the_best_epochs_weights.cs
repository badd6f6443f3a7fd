using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The trial page's weights download starts where <c>results export-weights</c> does without <c>--epoch</c>: at the
/// best epoch, which the menu names, and the file it gives is the command's, byte for byte.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Downloading_the_best_epochs_weights(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task The_export_menu_starts_at_the_best_epoch_results_export_weights_writes_and_names_it()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 3e-3);
        var written = Path.Combine(dashboard.Cli.Home, $"export-weights-{trial}.safetensors");
        var cli = dashboard.Cli.Run("results", "export-weights", "--trial", trial.ToString(CultureInfo.InvariantCulture), "--out", written);
        Assert.True(cli.ExitCode == 0, cli.All);
        // "wrote 8 tensors of trial T, epoch E (the best by val_accuracy, …) to …": the epoch the command chose.
        var best = Regex.Match(cli.All, @"of trial \d+, epoch (\d+) \(").Groups[1].Value;
        Assert.NotEqual("", best);

        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        var chosen = page.Locator("#export-epoch option:checked");
        await Expect(chosen).ToHaveTextAsync($"best (epoch {best})", new() { Timeout = 30_000 });
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#export-weights").ClickAsync());
        Assert.Equal($"trial-{trial}-epoch-{best}.safetensors", download.SuggestedFilename);
        var saved = Path.Combine(dashboard.Cli.Home, $"download-best-{trial}.safetensors");
        await download.SaveAsAsync(saved);
        Assert.Equal(File.ReadAllBytes(written), File.ReadAllBytes(saved));
        Assert.DoesNotContain(watched.Errors, e => !e.Contains("/weights.safetensors", StringComparison.Ordinal));
        await page.CloseAsync();
    }
}
