using System.Globalization;
using System.Text.Json;
using Experiments.Store;
using Microsoft.Playwright;
using Xunit;
using static Experiments.Dashboard.Tests.Browsing_a_trials_figures;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// A trial recorded by `train --snapshot-every 3` keeps the weights of only some epochs; the trial page's snapshot-based
/// views say so on an epoch without them, name the nearest stored epochs, and go there when one is clicked.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Browsing_epochs_without_a_snapshot(RecordedSweepDashboard dashboard)
{
    private static readonly LocatorAssertionsToHaveTextOptions Patiently = new() { Timeout = 30_000 };

    private const string Loaded =
        "epoch => { const i = document.getElementById('kernels'); return !i.hidden && i.complete && i.naturalWidth > 0 && i.src.endsWith('epoch=' + epoch); }";

    [Fact]
    public async Task Sliding_to_an_epoch_without_a_snapshot_says_so_names_the_nearest_stored_epochs_and_a_click_shows_the_nearer_ones_picture()
    {
        var (trial, stored, missing, below, above, best) = await TrainWithSparseSnapshotsAsync(dashboard);

        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        // The kernels start at the best epoch, whose snapshot is always kept, drawn once they are scrolled into sight.
        await ScrollIntoSightAsync(page, "#kernel-view");
        await Expect(page.Locator("#epoch-label")).ToHaveTextAsync(EpochLabel(best, best, Epochs, stored), Patiently);
        await page.WaitForFunctionAsync(Loaded, best);
        await page.Locator("#epoch-slider").FillAsync(missing.ToString(CultureInfo.InvariantCulture));

        await Expect(page.Locator("#no-snapshot")).ToHaveTextAsync($"epoch {missing} has no weight snapshot; nearest: epoch {below} epoch {above}");
        await Expect(page.Locator("#kernels")).ToBeHiddenAsync();
        // The button's own click event, not a click at its coordinates: the page's other views draw as their pictures
        // arrive and shift the layout, so a coordinate click could land beside the button (seen once, under load).
        await page.Locator($"#no-snapshot button[data-epoch='{above}']").DispatchEventAsync("click");
        await Expect(page.Locator("#epoch-label")).ToHaveTextAsync(EpochLabel(above, best, Epochs, stored));
        await Expect(page.Locator("#no-snapshot")).ToHaveTextAsync("");
        await page.WaitForFunctionAsync(Loaded, above);

        // The misclassified gallery, the other kind of snapshot-based view, says the same for the same epoch.
        await page.Locator("#misclassified-epoch-slider").FillAsync(missing.ToString(CultureInfo.InvariantCulture));
        await Expect(page.Locator("#misclassified-no-snapshot")).ToHaveTextAsync($"epoch {missing} has no weight snapshot; nearest: epoch {below} epoch {above}");
        await Expect(page.Locator("#misclassified figure")).ToHaveCountAsync(0);
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    /// <summary>The epochs `train --epochs 7` records, 0 (untrained) to 7.</summary>
    internal static readonly int[] Epochs = [.. Enumerable.Range(0, 8)];

    /// <summary>
    /// The trial `train --epochs 7 --snapshot-every 3` records, its stored epochs, the first epoch without a snapshot
    /// with the stored ones either side, and its best epoch as the store keeps it.
    /// </summary>
    internal sealed record SparseSnapshots(long Trial, IReadOnlyList<int> Stored, int Missing, int Below, int Above, int Best);

    internal static async Task<SparseSnapshots> TrainWithSparseSnapshotsAsync(RecordedSweepDashboard dashboard)
    {
        var train = dashboard.Cli.Run("train", "--arch", "lenet-matconvnet", "--dataset", "synthetic", "--epochs", "7", "--limit", "300",
            "--snapshot-every", "3", "--json");
        Assert.True(train.ExitCode == 0, train.All);
        using var json = JsonDocument.Parse(train.Output);
        var trial = json.RootElement.GetProperty("trial").GetInt64();
        IReadOnlyList<int> stored;
        await using (var store = await ResultsStore.OpenAsync(dashboard.WriterConnection))
            stored = await store.SnapshotEpochsAsync(trial);
        // {0, 3, 6, 7} and the best epoch: the first epoch outside them, and the stored epochs either side of it.
        var missing = Enumerable.Range(0, 8).First(e => !stored.Contains(e));
        return new SparseSnapshots(trial, stored, missing, stored.Where(e => e < missing).Max(), stored.Where(e => e > missing).Min(), await BestEpochAsync(dashboard, trial));
    }
}
