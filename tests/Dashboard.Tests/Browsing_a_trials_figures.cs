using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using Npgsql;
using SkiaSharp;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The trial page's figures in Debian's Chromium, against the sweep the CLI recorded (<see cref="RecordedSweepDashboard"/>):
/// each epoch's numbers are the stored ones, and each picture is the one the matching <c>viz</c> command writes for the
/// same trial, layer, image and epoch.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Browsing_a_trials_figures(RecordedSweepDashboard dashboard)
{
    private static readonly LocatorAssertionsToHaveTextOptions Patiently = new() { Timeout = 30_000 };

    [Fact]
    public async Task Sliding_to_an_epoch_shows_that_epochs_stored_confusion_counts_and_per_class_f1_and_the_charts_viz_draws()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 3e-3);
        var best = await BestEpochAsync(dashboard, trial);
        // The slider starts at the stored best epoch; the other trained epoch is the one slid to.
        var other = best == 1 ? 2 : 1;
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        await ScrollIntoSightAsync(page, "#classification-section");
        await Expect(page.Locator("#class-epoch-label")).ToHaveTextAsync(EpochLabel(best, best, [0, 1, 2]), Patiently);
        await page.Locator("#class-epoch-slider").FillAsync($"{other}");
        await Expect(page.Locator("#classification-note")).ToContainTextAsync($"test split, epoch {other}:", new() { Timeout = 30_000 });

        var (confusion, f1) = await StoredAsync(trial, other, "test");
        var shownF1 = await page.Locator("#per-class tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.querySelectorAll('td')[2].textContent)");
        Assert.Equal(f1.Select(v => v.ToString("F4", CultureInfo.InvariantCulture)), shownF1);

        // The confusion matrix is shown once, as the chart viz confusion draws, with every stored count written in its cell.
        await Expect(page.Locator("#classification-section table.confusion, #classification-section img[alt='confusion matrix']")).ToHaveCountAsync(1);
        await WaitForPictureAsync(page, "#confusion", $"epoch={other}");
        var chart = await BytesAsync(page, "#confusion");
        Assert.Equal(File.ReadAllBytes(Viz("confusion", trial, "--epoch", $"{other}", "--split", "test").Single(p => p.EndsWith(".svg", StringComparison.Ordinal))), chart);
        var written = CellNumbers(chart);
        foreach (var count in confusion.SelectMany(row => row).GroupBy(n => n))
            Assert.True(written.Count(n => n == count.Key) >= count.Count(), $"the chart writes {count.Key} fewer than the {count.Count()} times the stored matrix holds it");
        // The two epochs' counts differ, so the slider really moved the chart.
        Assert.NotEqual((await StoredAsync(trial, best, "test")).Confusion, confusion);
        await WaitForPictureAsync(page, "#roc", $"epoch={other}");
        Assert.Equal(File.ReadAllBytes(Viz("roc", trial, "--epoch", $"{other}", "--split", "test").Single(p => p.EndsWith(".svg", StringComparison.Ordinal))),
            await BytesAsync(page, "#roc"));
        Assert.Empty(Unexpected(watched));
        await page.CloseAsync();
    }

    [Fact]
    public async Task Weight_health_lists_every_weight_tensor_with_its_filters_and_draws_the_norm_chart_viz_health_writes()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 1e-3);
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        var written = Viz("health", trial);
        using var health = JsonDocument.Parse(File.ReadAllText(written.Single(p => p.EndsWith("health.json", StringComparison.Ordinal))));
        var layers = health.RootElement.GetProperty("report").GetProperty("layers").EnumerateArray()
            .Select(l => (Tensor: l.GetProperty("tensor").GetString()!, Filters: l.GetProperty("filters").GetInt32())).ToList();

        await ScrollIntoSightAsync(page, "#health-section");
        await Expect(page.Locator("#health-layers tbody tr")).ToHaveCountAsync(layers.Count, new() { Timeout = 30_000 });
        foreach (var (tensor, filters) in layers)
            await Expect(page.Locator($"#health-layers tr[data-tensor='{tensor}'] td").Nth(2)).ToHaveTextAsync(filters.ToString(CultureInfo.InvariantCulture));
        // Two epochs of training do not kill a filter or make a weight NaN.
        await Expect(page.Locator("#health-problems li")).ToHaveTextAsync("healthy over epochs 0, 1, 2: no dead filter, no NaN or infinite weight");

        await WaitForPictureAsync(page, "#health-chart", $"tensor={layers[0].Tensor}");
        Assert.Equal(File.ReadAllBytes(written.Single(p => p.EndsWith($"health-{layers[0].Tensor}.svg", StringComparison.Ordinal))), await BytesAsync(page, "#health-chart"));
        Assert.Empty(Unexpected(watched));
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_feature_maps_grad_cam_probabilities_and_kernel_change_shown_for_a_layer_image_and_epoch_are_what_the_viz_commands_write()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 3e-3);
        var best = await BestEpochAsync(dashboard, trial);
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        await Expect(page.Locator("#image-note")).ToContainTextAsync("test images", new() { Timeout = 30_000 });
        await page.Locator("#image-index").FillAsync("7");
        await page.Locator("#image-index").DispatchEventAsync("change");

        // Layer 1, the first ReLU's maps, at epoch 1. Each view draws once it is scrolled into sight.
        await ScrollIntoSightAsync(page, "#maps-view");
        await page.Locator("#map-layer").SelectOptionAsync("1");
        await page.Locator("#maps-epoch-slider").FillAsync("1");
        await WaitForPictureAsync(page, "#maps-picture", "layer=1&image=7&split=test&epoch=1");
        AssertSamePixels(Viz("activations", trial, "--image", "7", "--layer", "1", "--epochs", "1").Single(p => p.EndsWith(".png", StringComparison.Ordinal)),
            await BytesAsync(page, "#maps-picture"), "feature maps");

        // lenet-matconvnet's only ReLU outputs 1×1 maps, so Grad-CAM is drawn at a chosen layer: 2, the second convolution.
        await ScrollIntoSightAsync(page, "#attribution-view");
        // The methods are a row of buttons, one of them pressed.
        await Expect(page.Locator("#attribution-method button[aria-pressed='true']")).ToHaveTextAsync(["saliency"]);
        await page.Locator("#attribution-method button[data-method='gradcam']").ClickAsync();
        await Expect(page.Locator("#attribution-method button[aria-pressed='true']")).ToHaveTextAsync(["Grad-CAM"]);
        await Expect(page.Locator("#attribution-method button")).ToHaveTextAsync(["saliency", "Grad-CAM", "CAM"]);
        // With no rectified maps larger than 1×1 the default draws the last maps larger than 1×1 (layer 3, the second
        // pooling, 50×4×4), and the note says they are signed: the picture is viz gradcam's at that layer.
        await Expect(page.Locator("#attribution-note")).ToContainTextAsync("Grad-CAM is drawn at layer 3 (");
        await Expect(page.Locator("#attribution-note")).ToContainTextAsync("They are signed");
        await Expect(page.Locator("#attribution-layer option").First).ToHaveTextAsync("default (layer 3, signed maps)");
        await page.Locator("#attribution-epoch-slider").FillAsync("1");
        await WaitForPictureAsync(page, "#attribution-picture", "gradcam.png?image=7&split=test&layer=3&epoch=1");
        AssertSamePixels(Viz("gradcam", trial, "--image", "7", "--layer", "3", "--epoch", "1").Single(), await BytesAsync(page, "#attribution-picture"), "Grad-CAM at the signed default");
        await page.Locator("#attribution-layer").SelectOptionAsync("2");
        await Expect(page.Locator("#attribution-note")).ToBeEmptyAsync();
        await page.Locator("#attribution-epoch-slider").FillAsync("1");
        await WaitForPictureAsync(page, "#attribution-picture", "gradcam.png?image=7&split=test&layer=2&epoch=1");
        AssertSamePixels(Viz("gradcam", trial, "--image", "7", "--layer", "2", "--epoch", "1").Single(), await BytesAsync(page, "#attribution-picture"), "Grad-CAM");

        await ScrollIntoSightAsync(page, "#probabilities-view");
        await page.Locator("#probabilities-epoch-slider").FillAsync("0");
        await WaitForPictureAsync(page, "#probabilities-picture", "image=7&split=test&epoch=0");
        Assert.Equal(File.ReadAllBytes(Viz("probabilities", trial, "--image", "7", "--epoch", "0").Single(p => p.EndsWith(".svg", StringComparison.Ordinal))),
            await BytesAsync(page, "#probabilities-picture"));

        await ScrollIntoSightAsync(page, "#kernel-view");
        await page.Locator("#kernel-change").CheckAsync();
        await WaitForPictureAsync(page, "#kernels", $"layer=0&epoch={best}&change=true");
        AssertSamePixels(Viz("kernels", trial, "--layer", "0", "--epochs", $"{best}", "--change").Single(p => p.EndsWith(".png", StringComparison.Ordinal)),
            await BytesAsync(page, "#kernels"), "kernel change");
        // Epoch 0 minus itself is 0 everywhere: the page says so in its own words, asks for no picture the server
        // would refuse, and draws the change again when the slider moves on.
        var kernelRequestsAtEpoch0 = 0;
        page.Request += (_, request) => { if (request.Url.Contains("kernels.png", StringComparison.Ordinal) && request.Url.Contains("epoch=0", StringComparison.Ordinal)) kernelRequestsAtEpoch0++; };
        await page.Locator("#epoch-slider").FillAsync("0");
        await Expect(page.Locator("#kernel-note")).ToContainTextAsync("Epoch 0 is the first stored epoch, so its change since then is 0 everywhere");
        await Expect(page.Locator("#kernels")).ToBeHiddenAsync();
        await Expect(page.Locator("#kernels-error")).ToBeEmptyAsync();
        Assert.Equal(0, kernelRequestsAtEpoch0);
        await page.Locator("#epoch-slider").FillAsync("1");
        await WaitForPictureAsync(page, "#kernels", "layer=0&epoch=1&change=true");
        await Expect(page.Locator("#kernel-note")).ToBeEmptyAsync();
        Assert.Empty(Unexpected(watched));
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_play_button_steps_the_kernel_picture_through_every_stored_epoch_to_the_last()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 1e-3);
        var best = await BestEpochAsync(dashboard, trial);
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        await ScrollIntoSightAsync(page, "#kernel-view");
        await WaitForPictureAsync(page, "#kernels", $"epoch={best}");
        // At the last epoch, play starts over from the first.
        await page.Locator("#epoch-slider").FillAsync("2");
        await WaitForPictureAsync(page, "#kernels", "epoch=2");
        await page.EvaluateAsync("() => { window.shownKernels = []; new MutationObserver(() => window.shownKernels.push(document.getElementById('kernels').src.split('epoch=')[1])).observe(document.getElementById('kernels'), { attributes: true, attributeFilter: ['src'] }); }");
        await page.Locator("#play").ClickAsync();
        await Expect(page.Locator("#play")).ToHaveTextAsync("⏸ pause");
        await Expect(page.Locator("#play")).ToHaveTextAsync("▶ play", new() { Timeout = 30_000 });
        Assert.Equal(["0", "1", "2"], await page.EvaluateAsync<string[]>("() => window.shownKernels"));
        await Expect(page.Locator("#epoch-label")).ToHaveTextAsync(EpochLabel(2, best, [0, 1, 2]));
        Assert.Empty(Unexpected(watched));
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_misclassified_gallery_at_an_epoch_shows_exactly_the_errors_the_stored_confusion_matrix_counts()
    {
        var trial = dashboard.Trial("lenet-matconvnet", 3e-3);
        var best = await BestEpochAsync(dashboard, trial);
        var watched = await dashboard.OpenAsync($"/trials/{trial}");
        var page = watched.Page;
        await ScrollIntoSightAsync(page, "#misclassified-section");
        await Expect(page.Locator("#misclassified-epoch-label")).ToHaveTextAsync(EpochLabel(best, best, [0, 1, 2]), Patiently);
        await page.Locator("#misclassified-epoch-slider").FillAsync("1");
        await Expect(page.Locator("#misclassified-note")).ToContainTextAsync("wrong at epoch 1", new() { Timeout = 30_000 });

        // The worker's stored test metrics of epoch 1 and the gallery's predictions, recomputed from the snapshot, must agree.
        var (confusion, _) = await StoredAsync(trial, epoch: 1, "test");
        var images = confusion.Sum(row => row.Sum());
        var wrong = images - Enumerable.Range(0, confusion.Length).Sum(c => confusion[c][c]);
        Assert.StartsWith($"{wrong} of {images} test images wrong at epoch 1", await page.Locator("#misclassified-note").TextContentAsync());
        var shown = await page.Locator("#misclassified figure").EvaluateAllAsync<int[][]>("figures => figures.map(f => [Number(f.dataset.true), Number(f.dataset.predicted)])");
        Assert.Equal(Math.Min(wrong, TrialPictures.GalleryImages), shown.Length);
        var stored = confusion.SelectMany((row, t) => row.Select((n, p) => (Pair: (t, p), Count: t == p ? 0 : n))).Where(c => c.Count > 0).ToDictionary(c => c.Pair, c => c.Count);
        var drawn = shown.GroupBy(s => (s[0], s[1])).ToDictionary(g => g.Key, g => g.Count());
        if (wrong <= TrialPictures.GalleryImages) Assert.Equal(stored.OrderBy(c => c.Key), drawn.OrderBy(c => c.Key));
        else foreach (var (pair, count) in drawn) Assert.True(stored.GetValueOrDefault(pair) >= count, $"the gallery shows {count} images of true class {pair.Item1} predicted {pair.Item2}; the store counts {stored.GetValueOrDefault(pair)}");
        await Expect(page.Locator("#misclassified figure figcaption").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^#\d+: .+ → .+$"));
        Assert.Empty(Unexpected(watched));
        await page.CloseAsync();
    }

    /// <summary>An epoch slider's label as the trial page writes it: the shown epoch of the listed ones (the best one marked ★), and the stored ones when some lack a snapshot.</summary>
    internal static string EpochLabel(int shown, int best, IEnumerable<int> epochs, IReadOnlyList<int>? stored = null)
    {
        string Text(int epoch) => epoch == best ? $"{epoch} ★" : $"{epoch}";
        return $"{Text(shown)} (of {string.Join(", ", epochs.Select(Text))}{(stored is null ? "" : $"; weights stored at {string.Join(", ", stored)}")})";
    }

    /// <summary>The trial's best trained epoch as the store keeps it on the trial row, read with SQL as any script would.</summary>
    internal static async Task<int> BestEpochAsync(RecordedSweepDashboard dashboard, long trial)
    {
        await using var connection = new NpgsqlConnection(dashboard.WriterConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select best_metric_epoch from trials where id = @trial", connection);
        command.Parameters.AddWithValue("trial", trial);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// What went wrong on the page, but for picture requests the page itself dropped: a slider moved on (or play
    /// stepped on) before the previous epoch's picture arrived, so the browser cancelled it.
    /// </summary>
    internal static IEnumerable<string> Unexpected(WatchedPage watched) =>
        watched.Errors.Where(e => !(e.StartsWith("request failed: ", StringComparison.Ordinal) && (e.Contains(".png?", StringComparison.Ordinal) || e.Contains(".svg?", StringComparison.Ordinal))));

    /// <summary>The whole numbers an SVG chart writes in its text elements (a confusion matrix's cell counts among them).</summary>
    private static List<int> CellNumbers(byte[] svg) =>
        [.. System.Xml.Linq.XDocument.Parse(System.Text.Encoding.UTF8.GetString(svg)).Descendants().Where(e => e.Name.LocalName == "text")
            .Select(e => e.Value.Trim()).Where(t => t.Length > 0 && t.All(char.IsAsciiDigit)).Select(t => int.Parse(t, CultureInfo.InvariantCulture))];

    /// <summary>The stored confusion matrix and per-class F1 of one split at one epoch, read with SQL as any script would.</summary>
    private async Task<(int[][] Confusion, double[] F1)> StoredAsync(long trial, int epoch, string split)
    {
        await using var connection = new NpgsqlConnection(dashboard.WriterConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "select data->'classification'->'confusion_matrix', data->'classification'->'per_class' from epoch_artifacts " +
            "where trial_id = @trial and epoch = @epoch and split = @split and kind = 'classification'", connection);
        command.Parameters.AddWithValue("trial", trial);
        command.Parameters.AddWithValue("epoch", epoch);
        command.Parameters.AddWithValue("split", split);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var confusion = JsonSerializer.Deserialize<int[][]>(reader.GetString(0))!;
        using var perClass = JsonDocument.Parse(reader.GetString(1));
        return (confusion, [.. perClass.RootElement.EnumerateArray().Select(c => c.GetProperty("f1").GetDouble())]);
    }

    /// <summary>
    /// Scrolls a view of the trial page into sight once every view has its epochs, as a reader scrolls to it: the page
    /// asks for a view's figures only when the view comes into sight after the trial's data has arrived.
    /// </summary>
    internal static async Task ScrollIntoSightAsync(IPage page, string view)
    {
        foreach (var label in new[] { "#class-epoch-label", "#epoch-label", "#decode-epoch-label", "#misclassified-epoch-label" })
            await Expect(page.Locator(label)).Not.ToBeEmptyAsync(new() { Timeout = 30_000 });
        await page.Locator(view).ScrollIntoViewIfNeededAsync();
    }

    /// <summary>Waits until the picture's address contains <paramref name="part"/> and it has loaded.</summary>
    internal static Task WaitForPictureAsync(IPage page, string selector, string part) =>
        page.WaitForFunctionAsync("([selector, part]) => { const i = document.querySelector(selector); return i && i.src.includes(part) && i.complete && i.naturalWidth > 0; }",
            new object[] { selector, part }, new() { Timeout = 60_000 });

    /// <summary>The picture's bytes as the browser fetched them (same cookies).</summary>
    internal static async Task<byte[]> BytesAsync(IPage page, string selector)
    {
        var response = await page.APIRequest.GetAsync(await page.Locator(selector).EvaluateAsync<string>("i => i.src"));
        Assert.Equal(200, response.Status);
        return await response.BodyAsync();
    }

    internal static void AssertSamePixels(string written, byte[] served, string what)
    {
        using var expected = Decode(File.ReadAllBytes(written));
        using var actual = Decode(served);
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        Assert.True(expected.GetPixelSpan().SequenceEqual(actual.GetPixelSpan()), $"the page's {what} differs from what the viz command wrote ({written})");
    }

    private static SKBitmap Decode(byte[] png) => SKBitmap.Decode(png).Copy(SKColorType.Rgba8888) ?? throw new InvalidOperationException("not a PNG");

    /// <summary>Runs <c>viz COMMAND --trial T …</c> into a folder of its own and returns the files it wrote.</summary>
    private string[] Viz(string command, long trial, params string[] arguments)
    {
        var folder = Path.Combine(dashboard.Cli.Home, $"viz-{command}-{trial}-{Guid.NewGuid():N}");
        var run = dashboard.Cli.Run(["viz", command, "--trial", trial.ToString(CultureInfo.InvariantCulture), .. arguments, "--out", folder]);
        Assert.True(run.ExitCode == 0, run.All);
        return Directory.GetFiles(folder);
    }
}
