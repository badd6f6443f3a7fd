using Experiments.Store;
using Npgsql;
using Xunit;
using static Experiments.Dashboard.Tests.Browsing_a_trials_figures;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The trial page opens every epoch slider at the trial's best epoch as the store keeps it (trials.best_metric_epoch),
/// not at the latest, and marks that epoch with ★ wherever it lists epochs. The trial is a copy of a recorded one whose
/// validation accuracy peaks at epoch 1 of 2, so "the best" and "the latest" differ.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Starting_the_trial_pages_sliders_at_the_best_epoch(RecordedSweepDashboard dashboard)
{
    /// <summary>Every epoch slider of the trial page, by the prefix of its ids.</summary>
    private static readonly string[] Sliders = ["class-", "", "decode-", "maps-", "attribution-", "probabilities-", "misclassified-"];

    [Fact]
    public async Task Every_epoch_slider_starts_at_the_stored_best_epoch_and_only_that_epoch_carries_the_star()
    {
        var trial = await CopyWithValidationAccuracyAsync(dashboard, dashboard.Trial("lenet-matconvnet", 3e-3), [0.9, 0.8]);
        var best = await BestEpochAsync(dashboard, trial);
        // Epoch 1 of 0, 1, 2: a slider that started at the latest epoch would show 2.
        Assert.Equal(1, best);

        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        foreach (var prefix in Sliders)
        {
            await Expect(page.Locator($"#{prefix}epoch-label")).ToHaveTextAsync(EpochLabel(best, best, [0, 1, 2]), new() { Timeout = 30_000 });
            // The slider's value is an index into the listed epochs 0, 1, 2, so index 1 is epoch 1.
            await Expect(page.Locator($"#{prefix}epoch-slider")).ToHaveValueAsync("1");
        }
        await Expect(page.Locator("#epochs tbody tr td:first-child")).ToHaveTextAsync(["0", "1 ★", "2"]);
        await Expect(page.Locator("#epochs tbody tr.best")).ToHaveAttributeAsync("data-epoch", "1");

        // The views draw the best epoch once they come into sight.
        await ScrollIntoSightAsync(page, "#kernel-view");
        await WaitForPictureAsync(page, "#kernels", "epoch=1");
        await ScrollIntoSightAsync(page, "#classification-section");
        await Expect(page.Locator("#classification-note")).ToContainTextAsync("test split, epoch 1:", new() { Timeout = 30_000 });
        Assert.Empty(Unexpected(watched));
        await page.CloseAsync();
    }

    [Fact]
    public async Task Play_on_the_slider_the_page_opened_at_the_best_epoch_plays_the_training_from_the_first_epoch()
    {
        var trial = await CopyWithValidationAccuracyAsync(dashboard, dashboard.Trial("lenet-matconvnet", 1e-3), [0.9, 0.8]);
        Assert.Equal(1, await BestEpochAsync(dashboard, trial));

        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        await ScrollIntoSightAsync(page, "#kernel-view");
        await WaitForPictureAsync(page, "#kernels", "epoch=1");
        await page.EvaluateAsync("() => { window.shownKernels = []; new MutationObserver(() => window.shownKernels.push(document.getElementById('kernels').src.split('epoch=')[1])).observe(document.getElementById('kernels'), { attributes: true, attributeFilter: ['src'] }); }");
        await page.Locator("#play").ClickAsync();
        await Expect(page.Locator("#play")).ToHaveTextAsync("▶ play", new() { Timeout = 30_000 });

        // From the best epoch, 1, play once stepped to 2 alone: the training never showed.
        Assert.Equal(["0", "1", "2"], await page.EvaluateAsync<string[]>("() => window.shownKernels"));
        Assert.Empty(Unexpected(watched));
        await page.CloseAsync();
    }

    /// <summary>
    /// A new trial outside any sweep (so ranked by validation accuracy) with the recorded trial's model, epochs, weight
    /// snapshots and classification artifacts, its trained epochs' validation accuracy set to <paramref name="validationAccuracy"/>.
    /// </summary>
    private static async Task<long> CopyWithValidationAccuracyAsync(RecordedSweepDashboard dashboard, long source, double[] validationAccuracy)
    {
        long copy;
        await using (var writer = await ResultsStore.OpenAsync(dashboard.WriterConnection))
        {
            var model = (await writer.GetTrialAsync(source))!;
            copy = await writer.CreateTrialAsync(new TrialDefinition(null, model.Architecture, (await writer.GetArchitectureSpecAsync(source))!,
                model.Dataset, model.HyperparametersJson, model.Seed));
            await writer.FinishTrialAsync(await writer.MarkRunningAsync(copy, "test-worker"), TrialStatus.Completed, null);
        }
        await using var connection = new NpgsqlConnection(dashboard.WriterConnection);
        await connection.OpenAsync();
        foreach (var table in new[] { "epochs", "weight_tensors", "epoch_artifacts" })
        {
            await using var columns = new NpgsqlCommand(
                "select string_agg(quote_ident(column_name), ', ' order by ordinal_position) from information_schema.columns " +
                "where table_schema = current_schema() and table_name = @table and column_name <> 'trial_id' and is_generated = 'NEVER' and is_identity = 'NO'", connection);
            columns.Parameters.AddWithValue("table", table);
            var list = (string)(await columns.ExecuteScalarAsync())!;
            await using var insert = new NpgsqlCommand($"insert into {table} (trial_id, {list}) select @copy, {list} from {table} where trial_id = @source", connection);
            insert.Parameters.AddWithValue("copy", copy);
            insert.Parameters.AddWithValue("source", source);
            await insert.ExecuteNonQueryAsync();
        }
        for (var epoch = 1; epoch <= validationAccuracy.Length; epoch++)
        {
            await using var update = new NpgsqlCommand("update epochs set val_accuracy = @accuracy where trial_id = @copy and epoch = @epoch", connection);
            update.Parameters.AddWithValue("accuracy", validationAccuracy[epoch - 1]);
            update.Parameters.AddWithValue("copy", copy);
            update.Parameters.AddWithValue("epoch", epoch);
            await update.ExecuteNonQueryAsync();
        }
        return copy;
    }
}
