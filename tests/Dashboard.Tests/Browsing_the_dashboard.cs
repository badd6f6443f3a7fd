using System.Diagnostics;
using Experiments.Store;
using Microsoft.Playwright;
using SkiaSharp;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The dashboard in Debian's Chromium, against a sweep the CLI really recorded (<see cref="RecordedSweepDashboard"/>):
/// each page renders cleanly, the trial table sorts and filters, a new epoch shows up live, user-written labels stay
/// text, and the kernel picture at a slid-to epoch is the one <c>viz kernels</c> draws.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Browsing_the_dashboard(RecordedSweepDashboard dashboard)
{
    private static readonly LocatorAssertionsToHaveTextOptions WithinTwoSeconds = new() { Timeout = 2000 };

    [Fact]
    public async Task Each_page_renders_its_data_without_a_console_error()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 1e-3);
        var sweeps = await dashboard.OpenAsync("/");
        await Expect(sweeps.Page.Locator($"#sweeps tr[data-sweep='{dashboard.SweepId}'] .name")).ToHaveTextAsync(RecordedSweepDashboard.SweepName);
        await Expect(sweeps.Page.Locator($"#sweeps tr[data-sweep='{dashboard.SweepId}'] .counts")).ToHaveTextAsync("4 completed");

        var sweep = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        await Expect(sweep.Page.Locator("#trials tbody tr")).ToHaveCountAsync(4);
        // Two charts (loss and accuracy), each with a legend that lists the 4 trials once.
        await Expect(sweep.Page.Locator(".chart .uplot")).ToHaveCountAsync(2);
        await Expect(sweep.Page.Locator("#loss-chart .curve-legend li")).ToHaveCountAsync(4);

        var page = await dashboard.OpenAsync($"/trials/{trial}");
        // Epoch 0 (untrained), 1 and 2, each with its weights kept.
        await Expect(page.Page.Locator("#epochs tbody tr")).ToHaveCountAsync(3);
        await Expect(page.Page.Locator("#epochs tbody tr td:last-child")).ToHaveTextAsync(["✓", "✓", "✓"]);
        await Expect(page.Page.Locator("#settings")).ToContainTextAsync("lenet-matconvnet");
        // Each view asks for its pictures once it comes into sight.
        await Browsing_a_trials_figures.ScrollIntoSightAsync(page.Page, "#kernel-view");
        await page.Page.WaitForFunctionAsync("() => { const i = document.getElementById('kernels'); return i.complete && i.naturalWidth > 0; }");

        foreach (var watched in new[] { sweeps, sweep, page })
        {
            Assert.Empty(watched.Errors);
            await watched.Page.CloseAsync();
        }
    }

    [Fact]
    public async Task The_trial_table_sorts_by_a_clicked_header_both_ways()
    {
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var page = watched.Page;
        await Expect(page.Locator("#trials tbody tr")).ToHaveCountAsync(4);

        await page.Locator("#trials th[data-column='lr']").ClickAsync();
        Assert.Equal(dashboard.Trials.OrderBy(t => t.LearningRate).ThenBy(t => t.Id).Select(t => t.Id), await RowsAsync(page));
        await page.Locator("#trials th[data-column='lr']").ClickAsync();
        Assert.Equal(dashboard.Trials.OrderByDescending(t => t.LearningRate).ThenBy(t => t.Id).Select(t => t.Id), await RowsAsync(page));
        await page.Locator("#trials th[data-column='arch']").ClickAsync();
        Assert.Equal(dashboard.Trials.OrderBy(t => t.Architecture, StringComparer.Ordinal).ThenBy(t => t.Id).Select(t => t.Id), await RowsAsync(page));
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task Ticking_trials_in_the_table_shows_only_their_curves()
    {
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var page = watched.Page;
        var legend = page.Locator("#loss-chart .curve-legend li");
        await Expect(legend).ToHaveCountAsync(4);
        var trial = dashboard.Trial("lenet-matconvnet", 3e-3);
        await page.Locator($"#trials tr[data-trial='{trial}'] input[type=checkbox]").CheckAsync();
        // The chosen trial alone, with its train and validation lines.
        await Expect(legend).ToHaveCountAsync(1);
        await Expect(legend.Nth(0)).ToContainTextAsync("lenet-matconvnet lr=3e-3 train");
        await Expect(page.Locator("#curves-note")).ToHaveTextAsync("showing 1 selected trial(s)");
        await page.Locator($"#trials tr[data-trial='{trial}'] input[type=checkbox]").UncheckAsync();
        await Expect(legend).ToHaveCountAsync(4);
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_trial_table_filters_by_an_expression_and_names_what_is_wrong_with_a_bad_one()
    {
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var page = watched.Page;
        await Expect(page.Locator("#trials tbody tr")).ToHaveCountAsync(4);
        var filter = page.Locator("#filter");

        await filter.FillAsync("lr < 2e-3 and arch = lenet-matconvnet");
        Assert.Equal([dashboard.Trial("lenet-matconvnet", 1e-3)], await RowsAsync(page));
        await Expect(page.Locator("#filter-error")).ToHaveTextAsync("");

        // "and" binds before "or": every ffnn-100 trial, and the lenet trial at 3e-3.
        await filter.FillAsync("arch = ffnn-100 or arch = lenet-matconvnet and lr > 2e-3");
        Assert.Equal(dashboard.Trials.Where(t => t.Architecture == "ffnn-100" || t.LearningRate > 2e-3).Select(t => t.Id).Order(), (await RowsAsync(page)).Order());

        await filter.FillAsync("lr <");
        await Expect(page.Locator("#filter-error")).ToHaveTextAsync("expected a value after \"lr <\"");
        await Expect(page.Locator("#trials tbody tr")).ToHaveCountAsync(4);

        await filter.FillAsync("speed > 1");
        await Expect(page.Locator("#filter-error")).ToContainTextAsync("unknown column \"speed\": filter by one of id, name, status, arch, lr,");
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_filter_reads_the_metric_by_the_name_and_scale_the_table_shows_it_in()
    {
        var bests = new Dictionary<long, double>();
        foreach (var (id, _, _) in dashboard.Trials)
            if (await dashboard.ReadOnlyStore.GetStoredBestAsync(id) is { } best) bests[id] = best.Value;
        var values = bests.Values.Distinct().Order().ToList();
        Assert.True(values.Count >= 2, "the recorded sweep's trials should not all reach the same accuracy");
        // Halfway between two trials' bests, so the percentage's rounding cannot move a trial across it.
        var threshold = (values[0] + values[1]) / 2;
        var expected = bests.Where(b => b.Value > threshold).Select(b => b.Key).Order().ToList();

        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var page = watched.Page;
        await Expect(page.Locator("#trials tbody tr")).ToHaveCountAsync(4);
        await Expect(page.Locator("#trials th[data-column='best']")).ToContainTextAsync("val_accuracy");
        var filter = page.Locator("#filter");
        var error = page.Locator("#filter-error");

        // The header's name and percentage, as the table shows the value.
        await filter.FillAsync($"val_accuracy > {(threshold * 100).ToString("R", System.Globalization.CultureInfo.InvariantCulture)}%");
        await Expect(error).ToHaveTextAsync("");
        Assert.Equal(expected, (await RowsAsync(page)).Order());
        // The same rows by the column's short name and the value as a fraction.
        await filter.FillAsync($"best > {threshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}");
        Assert.Equal(expected, (await RowsAsync(page)).Order());

        // A percentage without its sign would silently match nothing; it is refused with both ways to write it.
        await filter.FillAsync("val_accuracy > 90");
        await Expect(error).ToHaveTextAsync("val_accuracy is a share from 0 to 1, shown as a percentage: write 90% or 0.9");
        await Expect(page.Locator("#trials tbody tr")).ToHaveCountAsync(4);
        // A clause left half-typed is not a comparison with the word "and".
        await filter.FillAsync("lr < and arch = ffnn-100");
        await Expect(error).ToHaveTextAsync("expected a value after \"lr <\", got \"and\"");
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_learning_rate_in_a_narrow_trial_table_stays_on_one_line()
    {
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        var page = watched.Page;
        // Narrow enough that the table must squeeze its columns, as on a laptop beside an editor.
        await page.SetViewportSizeAsync(700, 900);
        await Expect(page.Locator("#trials tbody tr")).ToHaveCountAsync(4);
        // Line boxes of each row's lr text: 1 when "1e-3" reads whole, 2 when it breaks at the hyphen.
        var lines = await page.EvaluateAsync<int[]>(@"() => {
            const column = [...document.querySelectorAll('#trials thead th')].findIndex(th => th.dataset.column === 'lr');
            return [...document.querySelectorAll('#trials tbody tr')].map(row => {
                const text = document.createRange();
                text.selectNodeContents(row.children[column]);
                return text.getClientRects().length;
            });
        }");
        Assert.Equal([1, 1, 1, 1], lines);
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_new_epoch_recorded_into_the_database_appears_on_the_sweeps_sweep_and_trial_pages_within_two_seconds_without_a_reload()
    {
        // A running sweep of its own (the recorded one stays as it is for the other tests): one ffnn-100 trial, as the
        // recorded ones are defined, claimed by a worker and at its first epoch of two.
        await using var writer = await ResultsStore.OpenAsync(dashboard.WriterConnection);
        var model = (await writer.GetTrialAsync(dashboard.Trial("ffnn-100", 3e-3)))!;
        var sweepId = await writer.CreateSweepAsync("live", "{}");
        var trial = await writer.CreateTrialAsync(new TrialDefinition(sweepId, model.Architecture, (await writer.GetArchitectureSpecAsync(model.Id))!,
            model.Dataset, model.HyperparametersJson, model.Seed));
        await writer.MarkRunningAsync(trial, "test-worker");
        Assert.True(await writer.WriteEpochAsync(trial, Epoch(1, validationAccuracy: 0.5), []));

        var sweeps = await dashboard.OpenAsync("/");
        var sweep = await dashboard.OpenAsync($"/sweeps/{sweepId}");
        var trialPage = await dashboard.OpenAsync($"/trials/{trial}");
        // One of two planned epochs done: half way, with an ETA at the pace so far.
        var sweepRow = sweeps.Page.Locator($"#sweeps tr[data-sweep='{sweepId}']");
        await Expect(sweepRow.Locator(".percent")).ToHaveTextAsync(" 50%");
        await Expect(sweepRow.Locator(".eta")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ (s|min \d+ s|h \d+ min)$"));
        var row = sweep.Page.Locator($"#trials tr[data-trial='{trial}']");
        await Expect(row.Locator("td[data-column='epochs']")).ToHaveTextAsync("1/2");
        await Expect(sweep.Page.Locator("#loss-chart")).ToHaveAttributeAsync("data-last-epoch", "1");
        await Expect(trialPage.Page.Locator("#epochs tbody tr")).ToHaveCountAsync(1);
        // A reload would lose this mark.
        foreach (var page in new[] { sweeps.Page, sweep.Page, trialPage.Page }) await page.EvaluateAsync("() => { window.sameDocument = true; }");

        Assert.True(await writer.WriteEpochAsync(trial, Epoch(2, validationAccuracy: 0.987654), []));
        var written = Stopwatch.StartNew();

        // 0.987654 is the trial's best validation accuracy now, at epoch 2, written as every table writes it.
        await Expect(row.Locator("td[data-column='epochs']")).ToHaveTextAsync("2/2", WithinTwoSeconds);
        await Expect(row.Locator("td[data-column='best']")).ToHaveTextAsync("98.77%", WithinTwoSeconds);
        await Expect(row.Locator("td[data-column='epoch']")).ToHaveTextAsync("2", WithinTwoSeconds);
        await Expect(sweep.Page.Locator("#loss-chart")).ToHaveAttributeAsync("data-last-epoch", "2", new() { Timeout = 2000 });
        await Expect(trialPage.Page.Locator("#epochs tbody tr[data-epoch='2']")).ToHaveCountAsync(1, new() { Timeout = 2000 });
        await Expect(sweepRow.Locator(".percent")).ToHaveTextAsync(" 100%", WithinTwoSeconds);
        Assert.True(written.Elapsed < TimeSpan.FromSeconds(2), $"the new epoch took {written.Elapsed.TotalSeconds:F2} s to appear");
        await Expect(trialPage.Page.Locator("#epochs tbody tr[data-epoch='2'] td").Nth(4)).ToHaveTextAsync("0.0400");
        foreach (var watched in new[] { sweeps, sweep, trialPage })
        {
            Assert.True(await watched.Page.EvaluateAsync<bool>("() => window.sameDocument === true"));
            Assert.Empty(watched.Errors);
            await watched.Page.CloseAsync();
        }

        static EpochRecord Epoch(int epoch, double validationAccuracy) =>
            new(epoch, 3e-3, new SplitFigures(0.05, 0.99, 400), new SplitFigures(0.04, validationAccuracy, 50), null, 1.5, 300);
    }

    [Fact]
    public async Task A_trial_trained_outside_a_sweep_is_titled_by_its_id_and_status_alone()
    {
        await using var writer = await ResultsStore.OpenAsync(dashboard.WriterConnection);
        var model = (await writer.GetTrialAsync(dashboard.Trial("ffnn-100", 3e-3)))!;
        var trial = await writer.CreateTrialAsync(new TrialDefinition(null, model.Architecture, (await writer.GetArchitectureSpecAsync(model.Id))!,
            model.Dataset, model.HyperparametersJson, model.Seed));
        await writer.MarkRunningAsync(trial, "test-worker");

        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        await Expect(watched.Page.Locator("#trial-title")).ToHaveTextAsync($"Trial {trial} running");
        Assert.Equal(0, await watched.Page.Locator("#trial-title a").CountAsync());
        Assert.Empty(watched.Errors);
        await watched.Page.CloseAsync();
    }

    [Fact]
    public async Task A_sweep_named_like_a_script_tag_is_shown_as_text_and_never_run()
    {
        long id;
        await using (var writer = await ResultsStore.OpenAsync(dashboard.WriterConnection))
            id = await writer.CreateSweepAsync("<img src=x onerror=alert(2)><script>alert(1)</script>", "{}");
        var sweeps = await dashboard.OpenAsync("/");
        await Expect(sweeps.Page.Locator($"#sweeps tr[data-sweep='{id}'] .name")).ToHaveTextAsync("<img src=x onerror=alert(2)><script>alert(1)</script>");
        var sweep = await dashboard.OpenAsync($"/sweeps/{id}");
        await Expect(sweep.Page.Locator("#sweep-name")).ToHaveTextAsync("<img src=x onerror=alert(2)><script>alert(1)</script>");
        foreach (var watched in new[] { sweeps, sweep })
        {
            Assert.Equal(0, await watched.Page.Locator("main script, main img[src='x']").CountAsync());
            Assert.Empty(watched.Errors); // an alert would have been recorded as a dialog
            await watched.Page.CloseAsync();
        }
    }

    [Fact]
    public async Task Moving_the_epoch_slider_changes_the_kernel_image_to_the_pixels_viz_kernels_draws_for_that_epoch()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 3e-3);
        var best = await Browsing_a_trials_figures.BestEpochAsync(dashboard, trial);
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        const string loaded = "epoch => { const i = document.getElementById('kernels'); return i.complete && i.naturalWidth > 0 && i.src.endsWith('epoch=' + epoch); }";
        // The slider starts at the stored best epoch; the view draws once it comes into sight.
        await Browsing_a_trials_figures.ScrollIntoSightAsync(page, "#kernel-view");
        await page.WaitForFunctionAsync(loaded, best);
        var latest = await ImageAsync(page);

        await page.Locator("#epoch-slider").FillAsync("0");
        await page.WaitForFunctionAsync(loaded, 0);
        await Expect(page.Locator("#epoch-label")).ToHaveTextAsync(Browsing_a_trials_figures.EpochLabel(0, best, [0, 1, 2]));
        var first = await ImageAsync(page);

        using var drawn = Decode(File.ReadAllBytes(VizKernels(trial, epoch: 0)));
        Assert.Equal((drawn.Width, drawn.Height), (first.Bitmap.Width, first.Bitmap.Height));
        Assert.Equal(drawn.Width, first.ShownWidth);
        Assert.True(drawn.GetPixelSpan().SequenceEqual(first.Bitmap.GetPixelSpan()), "the slid-to epoch's picture differs from viz kernels --epochs 0");
        using var drawnLatest = Decode(File.ReadAllBytes(VizKernels(trial, epoch: best)));
        Assert.True(drawnLatest.GetPixelSpan().SequenceEqual(latest.Bitmap.GetPixelSpan()), $"the best epoch's picture differs from viz kernels --epochs {best}");
        Assert.False(first.Bitmap.GetPixelSpan().SequenceEqual(latest.Bitmap.GetPixelSpan()), "moving the slider did not change the picture");
        first.Bitmap.Dispose();
        latest.Bitmap.Dispose();
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_readme_screenshot_of_the_sweep_page_is_redrawn()
    {
        var watched = await dashboard.OpenAsync($"/sweeps/{dashboard.SweepId}");
        await watched.Page.SetViewportSizeAsync(1280, 1100);
        await Expect(watched.Page.Locator(".chart .uplot")).ToHaveCountAsync(2);
        var path = Path.Combine(Repository.Root(), "docs", "images", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await watched.Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        using var screenshot = SKBitmap.Decode(path);
        Assert.Equal(1280, screenshot.Width);
        Assert.Empty(watched.Errors);
        await watched.Page.CloseAsync();
    }

    private static async Task<IReadOnlyList<long>> RowsAsync(IPage page) =>
        [.. (await page.Locator("#trials tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.trial)")).Select(long.Parse)];

    /// <summary>The picture the page shows: its bytes as the browser fetched them (same cookies), decoded, and its drawn width.</summary>
    private static async Task<(SKBitmap Bitmap, int ShownWidth)> ImageAsync(IPage page)
    {
        var source = await page.Locator("#kernels").EvaluateAsync<string>("i => i.src");
        var response = await page.APIRequest.GetAsync(source);
        Assert.Equal(200, response.Status);
        return (Decode(await response.BodyAsync()), await page.Locator("#kernels").EvaluateAsync<int>("i => i.naturalWidth"));
    }

    private static SKBitmap Decode(byte[] png) =>
        SKBitmap.Decode(png).Copy(SKColorType.Rgba8888) ?? throw new InvalidOperationException("not a PNG");

    /// <summary>Runs <c>viz kernels --trial T --layer 0 --epochs E</c> and returns the grid it wrote.</summary>
    private string VizKernels(long trial, int epoch)
    {
        var folder = Path.Combine(dashboard.Cli.Home, $"kernels-{trial}-{epoch}");
        var run = dashboard.Cli.Run("viz", "kernels", "--trial", trial.ToString(System.Globalization.CultureInfo.InvariantCulture), "--layer", "0",
            "--epochs", epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", folder);
        Assert.True(run.ExitCode == 0, run.All);
        return Assert.Single(Directory.GetFiles(folder, "*.png"));
    }
}
