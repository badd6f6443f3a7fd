using System.Globalization;
using Experiments.Analysis;
using Experiments.Visualization.Imaging;
using Experiments.Visualization.Pictures;
using Experiments.Visualization.Snapshots;
using Experiments.Visualization.Tests.Support;
using Xunit;

namespace Experiments.Visualization.Tests;

public sealed class Drawing_stored_trials(CraftedTrial crafted) : IClassFixture<CraftedTrial>, IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private CliRun Viz(params string[] arguments) =>
        CliProcess.RunIn(_folder.Path, ["viz", .. arguments, "--db", crafted.Database.ConnectionString]);

    // 3×3 kernels are enlarged ×14 (⌈40 / 3⌉) into 42×42 tiles. The labelled grid (docs/visualization.md): a 6-pixel
    // margin, a 22-pixel title band, an 84-pixel column of panel labels, a 150-pixel colour bar area (at least 161 high);
    // channels of a filter 1 pixel apart, filters 6, epochs (panels) 10; each line of tiles under a 15 + 12 pixel band
    // of filter and channel labels. So f filters of 2 channels are 6 + 84 + f·85 + (f − 1)·6 + 6 + 150 wide, and a
    // panel is 27 + 42 = 69 high.
    private static int GridWidth(int filters) => 6 + 84 + filters * 85 + (filters - 1) * 6 + 6 + 150;
    private static int GridHeight(int epochs) => 2 * 6 + 22 + Math.Max(epochs * 69 + (epochs - 1) * 10, 161);

    [Fact]
    public async Task The_kernel_grid_has_a_panel_per_epoch_and_a_tile_per_filter_and_channel_rescaled_to_the_full_grey_range()
    {
        await using var store = await crafted.Database.OpenAsync();

        var files = await new TrialFigures(store).KernelsAsync(crafted.TrialId, "0", KernelSelection.Default, EpochSelection.All, _folder.Path);

        var grid = PngOracle.Decode(files.Grid);
        Assert.Equal((GridWidth(4), GridHeight(4)), (grid.Width, grid.Height));
        var frame = DecodedPixels.Of(grid);
        // Epoch 1 (panel 1), filter 3 channel 1: left = 90 + 3·(85 + 6) + 43 = 406; top = 28 + 79 + 27 = 134.
        // Each filter is rescaled over its 18 elements: Pattern runs −3 … 3, so grey = round((Pattern(k) + 3) / 6 · 255).
        for (var k = 0; k < 9; k++)
        {
            var (row, column) = (k / 3, k % 3);
            // Stored in float32, an exact half such as 212.5 may land on either side: allow one grey level.
            var expected = (CraftedTrial.Pattern(9 + k) + 3) / 6 * 255;
            var pixel = frame.At(406 + column * 14 + 7, 134 + row * 14 + 7);
            Assert.Equal(pixel.R, pixel.G);
            Assert.Equal(pixel.R, pixel.B);
            Assert.InRange(pixel.R, expected - 0.51, expected + 0.51);
        }
        // The dead filter (2) is flat from epoch 2: mid-grey 128, the middle of the map.
        var deadLeft = 90 + 2 * 91;
        Assert.Equal(Rgb.Grey(128), frame.At(deadLeft + 20, 28 + 2 * 79 + 27 + 20));
        Assert.Equal((0, 255), (grid.Frames[0].Min, grid.Frames[0].Max));

        var animation = GifOracle.Decode(files.Animation, withPixels: true);
        Assert.Equal(4, animation.Frames.Count);
        // A frame is one panel under the title, with the grid's colour bar, which is taller than the panel.
        Assert.Equal((GridWidth(4), 2 * 6 + 22 + 161), (animation.Width, animation.Height));
        Assert.All(animation.Frames, f => Assert.Equal(40, f.Delay)); // 400 ms in GIF's hundredths of a second
        // Frame e is panel e of the grid; GIF keeps at most 256 colours a frame, and grey kernels need no more.
        Assert.Equal(frame.At(406 + 7, 134 + 7), animation.Frames[1].Canvas!.At(406 + 7, 28 + 27 + 7));
    }

    [Fact]
    public async Task The_kernel_pictures_carry_their_epoch_and_filter_labels_in_the_image()
    {
        await using var store = await crafted.Database.OpenAsync();

        var files = await new TrialFigures(store).KernelsAsync(crafted.TrialId, "0", KernelSelection.Default, EpochSelection.All, _folder.Path);

        var grid = DecodedPixels.Of(PngOracle.Decode(files.Grid));
        var labelColumn = (0, 0, 90, grid.Height);
        // Panel e's label is drawn at the margin, its baseline 11 pixels below the top of its tiles (28 + 79e + 27).
        Assert.Equal([(6, 134 + 11)], LabelFinder.Find(grid, "epoch 1", PictureText.LabelSize, LabelledGrid.Background, Rgb.White, labelColumn));
        Assert.Equal([(6, 134 + 3 * 79 - 79 + 11)], LabelFinder.Find(grid, "epoch 3", PictureText.LabelSize, LabelledGrid.Background, Rgb.White, labelColumn));
        Assert.Empty(LabelFinder.Find(grid, "epoch 4", PictureText.LabelSize, LabelledGrid.Background, Rgb.White, labelColumn));
        // Filter 3's index is centred over its 85-pixel group (left 90 + 3·91 = 363) in panel 0's label band (28 to 55).
        var filterLabels = LabelFinder.Find(grid, "3", PictureText.LabelSize, LabelledGrid.Background, Rgb.White, (90, 28, grid.Width - 90, 27));
        var (x, _) = Assert.Single(filterLabels);
        Assert.InRange(x + PictureText.Width("3", PictureText.LabelSize) / 2.0, 363 + 42.5 - 1, 363 + 42.5 + 1);

        // Each animation frame names its epoch; GIF's palette may shift anti-aliased text by a few levels.
        var animation = GifOracle.Decode(files.Animation, withPixels: true);
        for (var e = 0; e < 4; e++)
        {
            var canvas = animation.Frames[e].Canvas!;
            Assert.Equal([(6, 28 + 27 + 11)], LabelFinder.Find(canvas, $"epoch {e}", PictureText.LabelSize, LabelledGrid.Background, Rgb.White, (0, 0, 90, canvas.Height), tolerance: 24));
        }
    }

    [Fact]
    public void The_kernels_command_draws_chosen_filters_at_chosen_epochs()
    {
        var run = Viz("kernels", "--trial", crafted.TrialId.ToString(), "--layer", "0.weight", "--filter", "1", "3", "--epochs", "0,2-3", "--out", _folder.Path);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal(2, run.Lines.Count);
        var grid = PngOracle.Decode(run.Lines[0], withPixels: false);
        Assert.Equal((GridWidth(2), GridHeight(3)), (grid.Width, grid.Height));
        Assert.Equal(3, GifOracle.Decode(run.Lines[1]).Frames.Count);
        Assert.EndsWith("kernels-0-filter-1_3-animation.gif", run.Lines[1]);
    }

    [Fact]
    public void The_change_view_puts_the_largest_change_at_the_ends_of_one_symmetric_scale_and_epoch_0_in_white()
    {
        var run = Viz("kernels", "--trial", crafted.TrialId.ToString(), "--layer", "0", "--change", "--out", _folder.Path);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.EndsWith("kernels-0-change.png", run.Lines[0]);
        Assert.EndsWith("kernels-0-change-animation.gif", run.Lines[1]);
        var grid = DecodedPixels.Of(PngOracle.Decode(run.Lines[0]));
        Assert.Equal((GridWidth(4), GridHeight(4)), (grid.Width, grid.Height));
        // Epoch 0 minus itself: every tile is the white middle of the diverging map.
        for (var f = 0; f < 4; f++) Assert.Equal("#f7f7f7", grid.At(90 + f * 91 + 20, 28 + 27 + 20).ToHex());
        // Weights are (f + 1)(e + 1)·0.1·Pattern(k): the largest change is filter 3's at epoch 3, 4·(4 − 1)·0.1·Pattern(k),
        // ±3.6 where Pattern is ±3 (element 4 at +3, element 0 at −3). Those take the scale's ends: red and blue.
        var (left, top) = (90 + 3 * 91, 28 + 3 * 79 + 27);
        Assert.Equal("#67001f", grid.At(left + 14 + 7, top + 14 + 7).ToHex());
        Assert.Equal("#053061", grid.At(left + 7, top + 7).ToHex());

        // Every animation frame carries the grid's colour bar: the same strip of the diverging map, red at the top
        // and blue at the bottom, and the same +3.6 and -3.6 at its ends, so frames compare on one scale. The bar is 12 pixels
        // right of the grid (6 + 84 + 4·85 + 3·6 = 448, plus the 6-pixel margin), below the title band and a
        // 14-pixel label; its labels start 5 pixels right of its 14-pixel width. GIF's palette may move a colour a little.
        var (barLeft, barTop) = (448 + 6 + 12, 6 + 22 + 14);
        var animation = GifOracle.Decode(run.Lines[1], withPixels: true);
        Assert.Equal(4, animation.Frames.Count);
        var labels = (barLeft, barTop - 14, 150 - 12, 100 + 28);
        foreach (var frame in animation.Frames.Select(f => f.Canvas!))
        {
            for (var y = 0; y < 100; y += 11) AssertClose(grid.At(barLeft + 7, barTop + y), frame.At(barLeft + 7, barTop + y));
            Assert.NotEqual(frame.At(barLeft + 7, barTop + 1), frame.At(barLeft + 7, barTop + 98));
            Assert.Equal([(barLeft + 19, barTop + 9)], LabelFinder.Find(frame, "+3.6", PictureText.SmallSize, LabelledGrid.Background, Rgb.White, labels, tolerance: 24));
            Assert.Equal([(barLeft + 19, barTop + 100)], LabelFinder.Find(frame, "-3.6", PictureText.SmallSize, LabelledGrid.Background, Rgb.White, labels, tolerance: 24));
        }
    }

    private static void AssertClose(Rgb expected, Rgb actual) =>
        Assert.True(Math.Abs(expected.R - actual.R) <= 6 && Math.Abs(expected.G - actual.G) <= 6 && Math.Abs(expected.B - actual.B) <= 6, $"{actual.ToHex()} is not {expected.ToHex()}");

    [Fact]
    public async Task The_reports_norm_chart_captions_say_the_dead_threshold_is_dashed_only_where_the_chart_draws_it()
    {
        await using var store = await crafted.Database.OpenAsync();
        var charts = new Report.ReportCharts(new TrialFigures(store));

        // The crafted trial's filter 2 of 0.weight dies at epoch 2: the threshold is drawn. The healthy trial's norms
        // (0.1·(f + 1)·(e + 1) times the pattern's) are far above 1e-3 of their median: the note gives the threshold.
        foreach (var (trial, caption, drawn) in new[]
        {
            (crafted.TrialId, "dead threshold dashed", true),
            (crafted.HealthyTrialId, "the dead threshold, far below every norm, in the note", false),
        })
        {
            var html = new Report.HtmlReport("health");
            var directory = Path.Combine(_folder.Path, $"trial-{trial}");
            await charts.HealthAsync(html, trial, directory, level: 2);
            var page = _folder.File($"health-{trial}.html");
            html.Write(page);

            Assert.Contains($"L2 norm of each filter of 0.weight per epoch; {caption}", System.Net.WebUtility.HtmlDecode(File.ReadAllText(page)));
            using var chart = SvgReader.Data(Path.Combine(directory, "health-0.weight.svg"));
            var names = chart.RootElement.GetProperty("series").EnumerateArray().Select(s => s.GetProperty("name").GetString());
            Assert.Equal(drawn, names.Contains("dead threshold"));
        }
    }

    [Theory]
    [InlineData(new[] { "kernels", "--trial", "999", "--layer", "0" }, "there is no trial 999")]
    [InlineData(new[] { "kernels", "--trial", "TRIAL", "--layer", "2" }, "layer '2' (3×8) is not a conv layer; the conv layers are 0 (4×2×3×3)")]
    [InlineData(new[] { "kernels", "--trial", "TRIAL", "--layer", "7" }, "there is no layer '7'")]
    [InlineData(new[] { "kernels", "--trial", "TRIAL", "--layer", "0", "--filter", "4" }, "has filters 0–3; there is no filter 4")]
    [InlineData(new[] { "kernels", "--trial", "TRIAL", "--layer", "0", "--epochs", "9" }, "has no weight snapshot at epoch 9; the nearest stored is epoch 3 (stored: 0, 1, 2, 3)")]
    [InlineData(new[] { "confusion", "--trial", "TRIAL", "--epoch", "8" }, "has no epoch 8; its recorded epochs are 0–3")]
    [InlineData(new[] { "kernels", "--trial", "TRIAL", "--layer", "0", "--change", "--epochs", "first" }, "--change shows each epoch minus epoch 0, and only epoch 0 is chosen, whose change is 0 everywhere")]
    public void Bad_requests_get_a_message_naming_the_problem_and_exit_code_2(string[] arguments, string message)
    {
        var run = Viz([.. arguments.Select(a => a == "TRIAL" ? crafted.TrialId.ToString() : a), "--out", _folder.Path]);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.All);
        Assert.DoesNotContain("   at ", run.All); // no stack trace
    }

    [Fact]
    public void The_curves_command_plots_the_stored_losses_of_trained_epochs_train_against_validation()
    {
        var run = Viz("curves", crafted.TrialId.ToString(), crafted.HealthyTrialId.ToString(), "--out", _folder.Path);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Equal(["loss.svg", "accuracy.svg"], run.Lines.Select(Path.GetFileName));
        using var loss = SvgReader.Data(run.Lines[0]);
        var series = loss.RootElement.GetProperty("series").EnumerateArray().ToList();
        // The two crafted trials share every setting, so they are told apart by id.
        Assert.Equal([$"trial {crafted.TrialId} train", $"trial {crafted.TrialId} validation", $"trial {crafted.HealthyTrialId} train", $"trial {crafted.HealthyTrialId} validation"],
            series.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(new[] { 1, 2, 3 }.Select(CraftedTrial.TrainLoss), Ys(series[0]));
        Assert.Equal(new[] { 1, 2, 3 }.Select(CraftedTrial.ValidationLoss), Ys(series[1])); // epoch 0, untrained, is left out
        var texts = SvgReader.Texts(run.Lines[0]);
        Assert.Contains($"Loss per epoch, trials {crafted.TrialId}, {crafted.HealthyTrialId} (trained epochs)", texts);
        Assert.Contains("cross-entropy loss (nats)", texts);
        Assert.Contains("epoch", texts);
        Assert.Contains($"trial {crafted.TrialId}", texts);
        using var accuracy = SvgReader.Data(run.Lines[1]);
        Assert.Equal(4, accuracy.RootElement.GetProperty("series").GetArrayLength());
        Assert.Contains("accuracy (%)", SvgReader.Texts(run.Lines[1]));
    }

    [Fact]
    public void Curves_include_epoch_0_on_request_and_name_trials_by_the_settings_that_differ()
    {
        var run = Viz("curves", crafted.TrialId.ToString(), crafted.WideTrialId.ToString(), "--include-epoch-0", "--out", _folder.Path);

        Assert.True(run.ExitCode == 0, run.All);
        using var loss = SvgReader.Data(run.Lines[0]);
        var validation = loss.RootElement.GetProperty("series")[1];
        Assert.Equal(new[] { 0, 1, 2, 3 }.Select(CraftedTrial.ValidationLoss), Ys(validation));
        // Architecture, learning rate and weight decay differ (the first trial has no weight decay stored); dataset and seed do not.
        var texts = SvgReader.Texts(run.Lines[0]);
        Assert.Contains("crafted lr=1e-3", texts);
        Assert.Contains("wide-crafted lr=3e-3 weight_decay=5e-4", texts);
        Assert.Contains("validation (dashed)", texts);
    }

    private static double[] Ys(System.Text.Json.JsonElement series) => [.. series.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("y").GetDouble())];

    [Fact]
    public void The_confusion_matrix_has_the_counts_of_the_stored_predictions()
    {
        var run = Viz("confusion", "--trial", crafted.TrialId.ToString(), "--out", _folder.Path);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.EndsWith("confusion-test-epoch-3.svg", run.Lines.Single());
        using var data = SvgReader.Data(run.Lines.Single());
        var cells = data.RootElement.GetProperty("values").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        // By hand from the labels 0,0,1,1,2,2 predicted as 0,1,1,1,2,0.
        Assert.Equal([[1.0, 1, 0], [0, 2, 0], [1, 0, 1]], cells);
        var texts = SvgReader.Texts(run.Lines.Single());
        Assert.Contains("true class", texts);
        Assert.Contains("predicted class", texts);
        Assert.Contains("images", texts); // the colour bar's label
    }

    [Fact]
    public async Task The_roc_chart_draws_each_stored_curve_with_its_auc_in_the_legend_on_the_unit_square()
    {
        var run = Viz("roc", "--trial", crafted.TrialId.ToString(), "--epoch", "1", "--split", "val", "--out", _folder.Path);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.EndsWith("roc-val-epoch-1.svg", run.Lines.Single());
        await using var store = await crafted.Database.OpenAsync();
        var stored = SplitEvaluation.FromJson((await store.GetArtifactsAsync(crafted.TrialId, "classification")).Single(a => a.Epoch == 1 && a.Split == "val").Json);
        using var data = SvgReader.Data(run.Lines.Single());
        var series = data.RootElement.GetProperty("series").EnumerateArray().ToList();
        Assert.Equal(4, series.Count); // three classes and the chance diagonal
        var texts = SvgReader.Texts(run.Lines.Single());
        for (var c = 0; c < 3; c++)
        {
            var curve = stored.Roc.Curves[c];
            var name = $"{c} (AUC {curve.Auc.ToString("0.000", CultureInfo.InvariantCulture)})";
            Assert.Equal(name, series[c].GetProperty("name").GetString());
            Assert.Contains(name, texts);
            var points = series[c].GetProperty("points").EnumerateArray().Select(p => (p.GetProperty("x").GetDouble(), p.GetProperty("y").GetDouble())).ToList();
            Assert.Equal(curve.FalsePositiveRate.Zip(curve.TruePositiveRate), points);
        }
        Assert.Equal([(0.0, 0.0), (1.0, 1.0)], series[3].GetProperty("points").EnumerateArray().Select(p => (p.GetProperty("x").GetDouble(), p.GetProperty("y").GetDouble())));

        // Both axes run from 0 to 1 over the same number of pixels: the tick labels "0" and "1" are as far apart across as up.
        var labels = SvgReader.Parse(run.Lines.Single()).Descendants(SvgReader.Svg + "text")
            .Where(t => t.Value.Trim() is "0" or "1")
            .Select(t => (Text: t.Value.Trim(), At: Translation((string)t.Attribute("transform")!))).ToList();
        var bottom = labels.GroupBy(l => Math.Round(l.At.Y)).OrderByDescending(g => g.Key).First().ToList();   // x-axis labels share the lowest row
        var left = labels.GroupBy(l => Math.Round(l.At.X)).OrderBy(g => g.Key).First().ToList();               // y-axis labels share the leftmost column
        var across = bottom.Single(l => l.Text == "1").At.X - bottom.Single(l => l.Text == "0").At.X;
        var up = left.Single(l => l.Text == "0").At.Y - left.Single(l => l.Text == "1").At.Y;
        Assert.True(across > 400, $"{across}");
        Assert.Equal(across, up, 1.0);
    }

    private static (double X, double Y) Translation(string transform)
    {
        var numbers = transform["translate(".Length..^1].Split(' ', ',', StringSplitOptions.RemoveEmptyEntries);
        return (double.Parse(numbers[0], CultureInfo.InvariantCulture), double.Parse(numbers[1], CultureInfo.InvariantCulture));
    }
}
