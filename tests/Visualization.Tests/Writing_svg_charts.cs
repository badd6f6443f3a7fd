using System.Globalization;
using System.Text.Json;
using Experiments.Store;
using Experiments.Visualization.Charts;
using Experiments.Visualization.Data;
using Experiments.Visualization.Snapshots;
using Experiments.Visualization.Tests.Support;
using Xunit;

namespace Experiments.Visualization.Tests;

public sealed class Writing_svg_charts : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static double[] Numbers(JsonElement array) => [.. array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!, CultureInfo.InvariantCulture) : e.GetDouble())];

    [Fact]
    public void A_chart_drawn_again_in_the_same_process_has_the_same_bytes_with_its_clip_paths_numbered_from_zero()
    {
        // SkiaSharp numbers clip paths on across a process (cl_0, then cl_12 in the next SVG…): the dashboard and the
        // report draw many charts in one process, and each must be the bytes viz writes for it alone.
        var chart = new HeatmapChart("Confusion", "true class", "predicted class", ["0", "1"], ["0", "1"], [[5, 1], [2, 7]]) { ValueFormat = "0" };
        var first = chart.Render("confusion.svg").Content;
        // Enough charts after it that SkiaSharp's hexadecimal counter has passed cl_f and cl_ff.
        var renders = Enumerable.Range(0, 30).Select(_ => chart.Render("confusion.svg").Content).ToList();
        foreach (var again in renders) Assert.Equal(first, again);
        var svg = System.Text.Encoding.UTF8.GetString(first);
        var ids = System.Text.RegularExpressions.Regex.Matches(svg, "id=\"cl_(\\d+)\"").Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.NotEmpty(ids);
        Assert.Equal(Enumerable.Range(0, ids.Count), ids);
        // Every reference points at an id the document has.
        foreach (System.Text.RegularExpressions.Match reference in System.Text.RegularExpressions.Regex.Matches(svg, "url\\(#([^)]+)\\)"))
            Assert.Contains($"id=\"{reference.Groups[1].Value}\"", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_chart_shows_its_title_axis_labels_and_legend_as_text_and_writes_its_points_beside_it()
    {
        var path = _folder.File("loss.svg");
        new LineChart("Loss <per> epoch & more", "epoch", "loss (nats)",
        [
            new LineSeries("trial 1 train", [new(0, 2.3), new(1, 1.1), new(2, 0.7)], "#1f77b4"),
            new LineSeries("trial 1 validation", [new(0, 2.31), new(1, 1.3), new(2, 0.9)], "#1f77b4", Dashed: true),
        ]).Write(path);

        var texts = SvgReader.Texts(path);
        Assert.Contains("Loss <per> epoch & more", texts);
        Assert.Contains("epoch", texts);
        Assert.Contains("loss (nats)", texts);
        Assert.Contains("trial 1 train", texts);
        Assert.Contains("trial 1 validation", texts);
        Assert.Equal((800, 480), SvgReader.Size(path));
        using var data = SvgReader.Data(path);
        var series = data.RootElement.GetProperty("series").EnumerateArray().ToList();
        Assert.Equal(["trial 1 train", "trial 1 validation"], series.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal([2.3, 1.1, 0.7], series[0].GetProperty("points").EnumerateArray().Select(p => p.GetProperty("y").GetDouble()));
        Assert.True(series[1].GetProperty("dashed").GetBoolean());
    }

    [Fact]
    public void A_nan_breaks_the_line_into_two_strokes()
    {
        var path = _folder.File("accuracy.svg");
        new LineChart("accuracy", "epoch", "accuracy (%)",
            [new LineSeries("val", [new(0, 10), new(1, 50), new(2, double.NaN), new(3, 60), new(4, 90)], "#123456", InLegend: false)]).Write(path);

        // Each unbroken run of finite points is one stroked path in the series' colour; the NaN is in neither.
        var strokes = SvgReader.Parse(path).Descendants(SvgReader.Svg + "path")
            .Where(p => string.Equals((string?)p.Attribute("stroke"), "#123456", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.Equal(2, strokes.Count);
        Assert.All(strokes, s => Assert.Single(((string)s.Attribute("d")!).Split('L').Skip(1)));
        using var data = SvgReader.Data(path);
        Assert.Equal("NaN", data.RootElement.GetProperty("series")[0].GetProperty("points")[2].GetProperty("y").GetString());
    }

    [Fact]
    public void Accuracy_is_drawn_on_an_axis_fitted_to_the_trained_epochs_so_a_three_point_gap_shows()
    {
        TrialRow Trial(long id, string hyperparameters) => new(id, null, "lenet-matconvnet", "mnist", hyperparameters, 0, TrialStatus.Completed, 1, null, null,
            DateTimeOffset.UnixEpoch, null, null, 4, 3, 0.89, 0.88);
        EpochRecord Epoch(int epoch, double accuracy) => new(epoch, 1e-3, epoch == 0 ? null : new SplitFigures(0.4, accuracy, 100),
            new SplitFigures(epoch == 0 ? 2.3 : 0.4, accuracy, 20), null, 1, 100);
        var trials = new List<(TrialRow, IReadOnlyList<EpochRecord>)>
        {
            (Trial(1, """{"lr":0.001}"""), [Epoch(0, 0.10), Epoch(1, 0.84), Epoch(2, 0.85), Epoch(3, 0.86)]),
            (Trial(2, """{"lr":0.003}"""), [Epoch(0, 0.11), Epoch(1, 0.87), Epoch(2, 0.88), Epoch(3, 0.89)]),
        };

        var (_, accuracy) = LearningCurves.Draw(trials, includeEpoch0: false);
        var path = _folder.File("accuracy.svg");
        accuracy.Write(path);

        // Every y tick lies near the data (84–89%), none at 0 or 100: the gap between the trials fills the height.
        var ticks = SvgReader.Texts(path).Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN)
            .Where(v => v > 10).ToList();
        Assert.NotEmpty(ticks);
        Assert.All(ticks, t => Assert.InRange(t, 83, 90));
        Assert.Contains("lr=1e-3", SvgReader.Texts(path));
        Assert.Contains("lr=3e-3", SvgReader.Texts(path));
        Assert.Equal([1.0, 2, 3], accuracy.Series[1].Points.Select(p => p.X));
        var (_, withBaseline) = LearningCurves.Draw(trials, includeEpoch0: true);
        Assert.Equal([0.0, 1, 2, 3], withBaseline.Series[1].Points.Select(p => p.X));
        Assert.Equal(11, withBaseline.Series[3].Points[0].Y, 9); // percent
    }

    [Fact]
    public void A_curve_title_with_epoch_0_names_it_without_nesting_parentheses()
    {
        var (loss, accuracy) = LearningCurves.Draw(EightTrials().Take(1).ToList(), includeEpoch0: true);

        Assert.EndsWith(", epoch 0 (untrained) included", loss.Title, StringComparison.Ordinal);
        Assert.EndsWith(", epoch 0 (untrained) included", accuracy.Title, StringComparison.Ordinal);
        Assert.DoesNotContain("((", loss.Title.Replace(" ", "", StringComparison.Ordinal).Replace("untrained", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void A_heatmap_writes_each_value_in_its_cell_and_labels_its_colour_bar()
    {
        var path = _folder.File("confusion.svg");
        new HeatmapChart("confusion", "true class", "predicted class", ["cat", "dog", "emu"], ["cat", "dog", "emu"],
            [[5, 1, 0], [2, 7, 1], [0, 0, 9]]) { ValueFormat = "0", ColourBarLabel = "images" }.Write(path);

        var texts = SvgReader.Texts(path);
        foreach (var expected in new[] { "confusion", "true class", "predicted class", "cat", "dog", "emu", "images", "5", "7", "9" })
            Assert.Contains(expected, texts);
        using var data = SvgReader.Data(path);
        Assert.Equal([2.0, 7, 1], Numbers(data.RootElement.GetProperty("values")[1]));
    }

    [Fact]
    public void Every_kind_of_chart_writes_svg_with_no_list_ending_in_a_comma_and_a_generic_font_family_after_dejavu_sans()
    {
        string[] paths = [_folder.File("line.svg"), _folder.File("heatmap.svg"), _folder.File("bars.svg")];
        new LineChart("loss", "epoch", "loss (nats)", [new LineSeries("train", [new(0, 2.3), new(1, 1.1)], "#1f77b4")]).Write(paths[0]);
        new HeatmapChart("confusion", "true class", "predicted class", ["cat", "dog"], ["cat", "dog"], [[5, 1], [2, 7]]) { ColourBarLabel = "images" }.Write(paths[1]);
        new BarChart("probabilities", "class", "p", ["a", "b"], [0.2, 0.8]) { YRange = (0, 1) }.Write(paths[2]);

        foreach (var path in paths)
        {
            Assert.Empty(SvgPortability.Problems(path));
            // The typeface the charts are set in still comes first, so where it is installed nothing changes.
            Assert.All(SvgReader.Parse(path).Descendants(SvgReader.Svg + "text"), t => Assert.Equal("'DejaVu Sans', sans-serif", (string?)t.Attribute("font-family")));
        }
    }

    [Theory]
    [InlineData("DejaVu Sans", "'DejaVu Sans', sans-serif")]
    [InlineData("'DejaVu Sans', serif", "'DejaVu Sans', serif")]
    [InlineData("Arial", "Arial, sans-serif")]
    [InlineData("monospace", "monospace")]
    public void A_font_family_list_gets_a_generic_family_last_unless_it_has_one(string written, string portable) =>
        Assert.Equal(portable, PortableSvg.WithGenericFamily(written));

    [Fact]
    public void A_bar_chart_png_decodes_at_its_size_with_the_true_class_in_red()
    {
        var path = _folder.File("probabilities.png");
        new BarChart("probabilities", "class", "p", ["a", "b", "c"], [0.2, 0.7, 0.1]) { YRange = (0, 1), Marked = [new(1, "true class", "#d62728")] }.Write(path);

        var png = PngOracle.Decode(path);
        Assert.Equal((760, 440), (png.Width, png.Height));
        var frame = png.Frames.Single();
        Assert.True(frame.Min < frame.Max, "every pixel has the same value");
        var colours = new HashSet<(byte, byte, byte)>();
        for (var y = 0; y < png.Height; y += 2)
            for (var x = 0; x < png.Width; x += 2) colours.Add(frame.Rgb(x, y, png.Channels));
        Assert.Contains(((byte)0xd6, (byte)0x27, (byte)0x28), colours); // the highlighted bar
        Assert.Contains(((byte)0x1f, (byte)0x77, (byte)0xb4), colours); // the others
    }

    [Fact]
    public void A_marked_bar_at_the_last_class_rises_as_high_as_an_equal_unmarked_bar_with_no_legend_over_it()
    {
        // Classes 0 and 9 both have probability 1: their bars' tops must be the same pixel row. A legend inside the
        // data area's corner would cover the top of one of them (its swatch is then the highest pixel of that colour).
        var path = _folder.File("confident.png");
        double[] values = [1, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        new BarChart("probabilities", "class", "p", [.. Enumerable.Range(0, 10).Select(i => $"{i}")], values)
            { YRange = (0, 1), Marked = [new(9, "true class, predicted", ChartCanvas.Alert)], OthersName = "other classes" }.Write(path);

        var png = PngOracle.Decode(path);
        var frame = png.Frames.Single();
        int TopOf((byte, byte, byte) colour)
        {
            for (var y = 0; y < png.Height; y++)
                for (var x = 0; x < png.Width; x++)
                    if (frame.Rgb(x, y, png.Channels) == colour) return y;
            return -1;
        }
        var red = TopOf(((byte)0xd6, (byte)0x27, (byte)0x28));
        var blue = TopOf(((byte)0x1f, (byte)0x77, (byte)0xb4));
        Assert.True(red >= 0 && blue >= 0, "both bars are drawn");
        Assert.InRange(red - blue, -1, 1);
    }

    [Fact]
    public void A_healthy_layers_norm_axis_fits_its_norms_and_names_the_far_away_dead_threshold_in_a_note()
    {
        // Norms 0.5–0.7 against a threshold of 6e-4: drawing the threshold would stretch the axis down to 0.
        int[] epochs = [0, 1, 2];
        var norms = epochs.Select(e => (IReadOnlyList<double>)[.. Enumerable.Range(0, 4).Select(f => 0.5 + 0.05 * f + 0.01 * e)]).ToList();
        var layer = new LayerHealth("conv1.weight", "conv", 4, 0.6, 6e-4, norms);
        var report = new HealthReport(1e-3, epochs, [layer], [], []);

        var chart = NormChart.Draw(1, layer, report);

        Assert.DoesNotContain(chart.Series, s => s.Name == "dead threshold");
        Assert.Contains(chart.Notes, n => n.StartsWith("dead threshold 0.0006, far below every norm (lowest 0.5)", StringComparison.Ordinal));
        var limits = chart.ToPlot().Axes.GetLimits();
        Assert.InRange(limits.Bottom, 0.45, 0.5);
    }

    [Fact]
    public void A_norm_charts_note_is_boxed_in_grey_when_it_only_names_the_far_away_threshold_and_in_red_when_it_names_a_dead_filter()
    {
        // Four live filters with norms 0.5–0.7 and a threshold of 6e-4: the note says no filter is near dead. Nothing in
        // this chart is red (its lines come from the palette without red), so red anywhere would be the note's box.
        int[] epochs = [0, 1, 2];
        var norms = epochs.Select(e => (IReadOnlyList<double>)[.. Enumerable.Range(0, 4).Select(f => 0.5 + 0.05 * f + 0.01 * e)]).ToList();
        var healthy = new LayerHealth("conv1.weight", "conv", 4, 0.6, 6e-4, norms);
        var path = _folder.File("health-healthy.svg");
        NormChart.Draw(1, healthy, new HealthReport(1e-3, epochs, [healthy], [], [])).Write(path);
        var svg = File.ReadAllText(path);
        Assert.DoesNotContain("#d62728", svg, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("stroke=\"#7f7f7f\"", svg, StringComparison.OrdinalIgnoreCase);

        // Filter 3 dies at epoch 1: the note names it, in a red box.
        var dying = epochs.Select(e => (IReadOnlyList<double>)[.. Enumerable.Range(0, 4).Select(f => f == 3 && e > 0 ? 0.0 : 0.5 + 0.05 * f)]).ToList();
        var sick = new LayerHealth("conv1.weight", "conv", 4, 0.6, 6e-4, dying);
        var chart = NormChart.Draw(1, sick, new HealthReport(1e-3, epochs, [sick], [new DeadFilter("conv1.weight", 3, 1, [1, 2], 0)], []));
        Assert.Contains(chart.Notes, n => n.StartsWith("dead filters (1): 3 (from epoch 1)", StringComparison.Ordinal));
        Assert.Equal(ChartCanvas.Alert, chart.NotesBorder);
    }

    [Fact]
    public void In_a_twelve_filter_norm_chart_only_the_dead_filter_is_red_and_no_two_live_filters_share_a_colour()
    {
        // Filter 7 dies at epoch 1; the other eleven keep a norm near 1.
        int[] epochs = [0, 1, 2];
        var norms = epochs.Select(e => (IReadOnlyList<double>)[.. Enumerable.Range(0, 12).Select(f => f == 7 && e > 0 ? 0.0 : 1.0 + f / 100.0)]).ToList();
        var layer = new LayerHealth("conv1.weight", "conv", 12, 1.0, 1e-3, norms);
        var report = new HealthReport(1e-3, epochs, [layer], [new DeadFilter("conv1.weight", 7, 1, [1, 2], 0)], []);

        var chart = NormChart.Draw(1, layer, report);

        var filters = chart.Series.Where(s => s.Name.StartsWith("filter ", StringComparison.Ordinal)).ToList();
        Assert.Equal(12, filters.Count);
        Assert.Equal(["filter 7 (dead from epoch 1)"], filters.Where(s => s.Colour == ChartCanvas.Alert).Select(s => s.Name));
        var live = filters.Where(s => s.Colour != ChartCanvas.Alert).Select(s => s.Colour).ToList();
        Assert.Equal(11, live.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Contains(chart.Series, s => s.Name == "dead threshold");
    }

    [Fact]
    public void Quantiles_interpolate_between_order_statistics_and_ignore_nan()
    {
        // numpy.quantile([1, 2, 3, 4, nan-free], [0, 0.25, 0.5, 1]) = [1, 1.75, 2.5, 4]; 0.05 of [0, 10] is 0.5.
        Assert.Equal([1, 1.75, 2.5, 4], NormChart.Quantiles([4, double.NaN, 1, 3, 2], [0, 0.25, 0.5, 1]));
        Assert.Equal(0.5, NormChart.Quantiles([10, 0], [0.05])[0], 12);
        Assert.True(double.IsNaN(NormChart.Quantiles([double.NaN], [0.5])[0]));
    }

    [Fact]
    public void A_title_that_lists_many_trials_is_broken_at_spaces_into_lines_that_fit_over_the_data_area()
    {
        const string title = "Accuracy per epoch, trials 1, 2, 3, 4, 5, 6, 7, 8, epoch 0 (untrained) included";
        var lines = ChartCanvas.Wrapped(title).Split('\n');

        Assert.True(lines.Length > 1);
        Assert.All(lines, l => Assert.InRange(l.Length, 1, 50));
        Assert.Equal(title, string.Join(' ', lines)); // nothing lost or reordered
        Assert.Equal("short\nkept as it is", ChartCanvas.Wrapped("short\nkept as it is"));
    }

    private static TrialRow Trial(long id, string hyperparameters) => new(id, null, "lenet-matconvnet", "mnist", hyperparameters, 0, TrialStatus.Completed, 1, null,
        null, DateTimeOffset.UnixEpoch, null, null, 4, 3, 0.89, 0.88);

    private static EpochRecord Epoch(int epoch, double accuracy) =>
        new(epoch, 1e-3, new SplitFigures(1 - accuracy, accuracy, 100), new SplitFigures(1.1 - accuracy, accuracy - 0.01, 20), null, 1, 100);

    /// <summary>Eight trials that differ in learning rate, each with epochs 1–3.</summary>
    private static List<(TrialRow, IReadOnlyList<EpochRecord>)> EightTrials() =>
    [
        .. Enumerable.Range(1, 8).Select(i => ((TrialRow, IReadOnlyList<EpochRecord>))(
            Trial(i, $$"""{"lr":{{(i * 0.001).ToString(CultureInfo.InvariantCulture)}},"weight_decay":0.0005}"""),
            [Epoch(1, 0.80 + 0.01 * i), Epoch(2, 0.82 + 0.01 * i), Epoch(3, 0.83 + 0.01 * i)])),
    ];

    [Fact]
    public void A_learning_curve_title_breaks_before_its_parenthesis_when_drawn_and_stays_on_one_line_in_the_json()
    {
        Assert.Equal("Accuracy per epoch, trials 5, 6, 7, 8\n(trained epochs)", ChartCanvas.Wrapped("Accuracy per epoch, trials 5, 6, 7, 8 (trained epochs)"));
        // A parenthesis too long for a line still breaks inside.
        var longAside = "Loss (" + string.Join(' ', Enumerable.Repeat("word", 12)) + ")";
        Assert.All(ChartCanvas.Wrapped(longAside).Split('\n'), l => Assert.InRange(l.Length, 1, 50));

        var (_, accuracy) = LearningCurves.Draw(EightTrials(), includeEpoch0: false);
        var path = _folder.File("accuracy-title.svg");
        accuracy.Write(path);

        using var data = SvgReader.Data(path);
        var title = data.RootElement.GetProperty("title").GetString()!;
        Assert.DoesNotContain('\n', title);
        Assert.EndsWith("(trained epochs)", title, StringComparison.Ordinal);
        Assert.Contains("(trained epochs)", SvgReader.Texts(path));
    }

    [Fact]
    public void Eight_overlaid_trials_leave_the_data_area_its_width_with_their_legend_in_columns_below_the_x_axis()
    {
        var (_, accuracy) = LearningCurves.Draw(EightTrials(), includeEpoch0: false);
        var path = _folder.File("accuracy.svg");
        accuracy.Write(path);

        Assert.Equal((800, 480), SvgReader.Size(path));
        var anchors = SvgReader.TextAnchors(path);
        var axisLabel = anchors.Single(a => a.Text == "epoch");
        var entries = anchors.Where(a => a.Text.StartsWith("lr=", StringComparison.Ordinal) || a.Text.Contains("(dashed)") || a.Text.Contains("(solid)")).ToList();
        Assert.Equal(10, entries.Count); // eight trials and the two line-style keys
        Assert.All(entries, e => Assert.True(e.Y > axisLabel.Y, $"legend entry '{e.Text}' at y {e.Y} is not below the x axis label (y {axisLabel.Y})"));
        Assert.True(entries.Select(e => e.X).Distinct().Count() > 1, "the legend is one column");
        // The first and last epoch ticks are as far apart as the data area is wide: at least 80% of the figure.
        var ticks = anchors.Where(a => a.Text is "1" or "3").ToList();
        var xTicks = ticks.GroupBy(t => Math.Round(t.Y)).Single(g => g.Count() == 2);
        Assert.True(xTicks.Max(t => t.X) - xTicks.Min(t => t.X) > 0.8 * 800 - 100, $"epochs 1 to 3 span {xTicks.Max(t => t.X) - xTicks.Min(t => t.X)} pixels");
    }

    [Fact]
    public void A_legend_too_tall_for_its_share_of_the_figure_makes_the_figure_taller_instead_of_the_data_area_shorter()
    {
        var trials = Enumerable.Range(1, 30).Select(i => ((TrialRow, IReadOnlyList<EpochRecord>))(
            Trial(i, $$"""{"lr":{{(i * 0.001).ToString(CultureInfo.InvariantCulture)}},"schedule":"cosine-annealing-with-warm-restarts-{{i}}"}"""),
            [Epoch(1, 0.5), Epoch(2, 0.6)])).ToList();
        var (loss, _) = LearningCurves.Draw(trials, includeEpoch0: false);
        var path = _folder.File("loss.svg");
        loss.Write(path);

        var (width, height) = SvgReader.Size(path);
        Assert.Equal(800, width);
        Assert.True(height > 480, $"32 legend entries fit a 480-pixel figure only by squeezing its data area ({height} pixels)");
        using var data = SvgReader.Data(path);
        Assert.Equal(height, data.RootElement.GetProperty("height").GetInt32());
    }

    [Fact]
    public void No_trial_is_drawn_in_a_grey_and_the_validation_key_is_a_black_dashed_line()
    {
        var ten = Enumerable.Range(1, 10).Select(i => ((TrialRow, IReadOnlyList<EpochRecord>))(
            Trial(i, $$"""{"lr":{{(i * 0.001).ToString(CultureInfo.InvariantCulture)}}}"""), [Epoch(1, 0.5), Epoch(2, 0.6)])).ToList();
        var (_, accuracy) = LearningCurves.Draw(ten, includeEpoch0: false);
        var path = _folder.File("accuracy.svg");
        accuracy.Write(path);

        using var data = SvgReader.Data(path);
        var colours = data.RootElement.GetProperty("series").EnumerateArray().Select(s => s.GetProperty("colour").GetString()!).Distinct().ToList();
        Assert.Equal(10, colours.Count);
        // A grey has no saturation; every trial's colour must be clearly chromatic (HSV saturation at least 0.3).
        Assert.All(colours, c => Assert.True(Saturation(c) >= 0.3, $"trial colour {c} is nearly grey"));
        var keys = data.RootElement.GetProperty("keys").EnumerateArray().ToList();
        Assert.All(keys, k => Assert.Equal("#000000", k.GetProperty("colour").GetString()));
        // The dashed key is three dashes of 7 pixels, 4 apart, on one row: the dashes of the validation lines.
        var dashedKey = SvgReader.Parse(path).Descendants(SvgReader.Svg + "path")
            .Select(p => Segments((string?)p.Attribute("d") ?? ""))
            .Where(segments => segments.Count == 3 && segments.All(s => s.Y1 == segments[0].Y1 && s.Y2 == s.Y1 && Math.Abs(s.X2 - s.X1 - 7) < 0.01))
            .ToList();
        var key = Assert.Single(dashedKey);
        Assert.Equal([4.0, 4.0], key.Zip(key.Skip(1), (a, b) => Math.Round(b.X1 - a.X2, 2)));
    }

    private static double Saturation(string hex)
    {
        var rgb = new[] { 1, 3, 5 }.Select(i => int.Parse(hex.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture) / 255.0).ToArray();
        return rgb.Max() == 0 ? 0 : (rgb.Max() - rgb.Min()) / rgb.Max();
    }

    /// <summary>The straight segments of an SVG path made only of "M x y L x y" pairs; empty for any other path.</summary>
    private static List<(double X1, double Y1, double X2, double Y2)> Segments(string d)
    {
        var match = System.Text.RegularExpressions.Regex.Matches(d, @"M([-\d.]+) ([-\d.]+)L([-\d.]+) ([-\d.]+)");
        if (match.Count == 0 || string.Concat(match.Select(m => m.Value)) != d.Replace(" M", "M", StringComparison.Ordinal)) return [];
        double N(System.Text.RegularExpressions.Match m, int g) => double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        return [.. match.Select(m => (N(m, 1), N(m, 2), N(m, 3), N(m, 4)))];
    }

    [Fact]
    public void An_epoch_axis_is_labelled_with_whole_epochs_from_the_first_recorded_to_the_last_and_none_beyond()
    {
        // Epochs 0, 2, 4 and 5: a trial whose snapshots were kept every second epoch, plus its best and last.
        var path = _folder.File("health.svg");
        new LineChart("norms", "epoch", "L2 norm", [new LineSeries("filter 0", [new(0, 1.0), new(2, 1.1), new(4, 1.2), new(5, 1.25)], "#1f77b4")]) { WholeX = true }.Write(path);

        // The x axis's tick labels are the numbers that share one row.
        var numbers = SvgReader.TextAnchors(path).Where(a => double.TryParse(a.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)).ToList();
        var xTicks = numbers.GroupBy(a => Math.Round(a.Y)).OrderByDescending(g => g.Count()).First().OrderBy(a => a.X).Select(a => a.Text).ToList();
        Assert.Equal(["0", "1", "2", "3", "4", "5"], xTicks);
    }

    [Fact]
    public void The_probability_chart_names_the_true_and_the_predicted_class_in_the_legend_each_in_its_own_colour()
    {
        var path = TrialFigures.ProbabilityChart(_folder.Path, 3, 2, "test", 7, ["cat", "dog", "emu"], [0.2, 0.7, 0.1], trueClass: 0);

        var texts = SvgReader.Texts(path);
        Assert.Contains("true class (cat)", texts);
        Assert.Contains("predicted class (dog)", texts);
        Assert.Contains("other classes", texts);
        var fills = SvgReader.Parse(path).Descendants(SvgReader.Svg + "rect").Select(r => ((string?)r.Attribute("fill") ?? "").ToLowerInvariant()).ToList();
        Assert.Contains("#d62728", fills); // the true class
        Assert.Contains(TrialFigures.PredictedColour, fills);
        using (var data = SvgReader.Data(path))
        {
            Assert.Equal([0.2, 0.7, 0.1], Numbers(data.RootElement.GetProperty("values")));
            Assert.Equal([0, 1], data.RootElement.GetProperty("marked").EnumerateArray().Select(m => m.GetProperty("index").GetInt32()));
        }

        // Right: one bar, named as both.
        var right = TrialFigures.ProbabilityChart(_folder.Path, 3, 2, "test", 8, ["cat", "dog", "emu"], [0.8, 0.1, 0.1], trueClass: 0);
        Assert.Contains("true class, predicted (cat)", SvgReader.Texts(right));
        Assert.DoesNotContain(SvgReader.Texts(right), t => t.StartsWith("predicted class", StringComparison.Ordinal));
    }

    [Fact]
    public void On_a_log_axis_each_decade_has_a_tick_and_a_one_in_a_million_probability_a_bar_a_seventh_as_tall_as_a_certain_one()
    {
        var path = TrialFigures.ProbabilityChart(_folder.Path, 3, 2, "test", 7, ["cat", "dog", "emu"], [0.999998, 1e-6, 1e-6], trueClass: 0, logScale: true);

        var texts = SvgReader.Texts(path);
        foreach (var decade in new[] { "1", "0.1", "0.01", "1e-3", "1e-4", "1e-5", "1e-6", "1e-7" }) Assert.Contains(decade, texts);
        Assert.Contains("softmax probability (log scale)", texts);
        // The axis runs from 1e-7 (a decade below the smallest) to 1: 0.999998 rises 7 decades, 1e-6 one.
        var bars = SvgReader.Parse(path).Descendants(SvgReader.Svg + "rect")
            .Where(r => ((string?)r.Attribute("fill") ?? "").ToLowerInvariant() is "#d62728" or "#1f77b4" && (double?)r.Attribute("width") < 300)
            .Select(r => (Fill: ((string)r.Attribute("fill")!).ToLowerInvariant(), Height: double.Parse((string)r.Attribute("height")!, CultureInfo.InvariantCulture))).ToList();
        var certain = bars.Where(b => b.Fill == "#d62728").Max(b => b.Height);
        var unlikely = bars.Where(b => b.Fill == "#1f77b4").Max(b => b.Height);
        Assert.Equal(1 / 7.0, unlikely / certain, 2);
        using var data = SvgReader.Data(path);
        Assert.Equal([0.999998, 1e-6, 1e-6], Numbers(data.RootElement.GetProperty("values")));
        Assert.True(data.RootElement.GetProperty("logScale").GetBoolean());
    }

    [Fact]
    public void A_log_axis_over_many_decades_labels_every_decade_and_starts_a_full_decade_below_the_smallest_probability()
    {
        var path = TrialFigures.ProbabilityChart(_folder.Path, 3, 2, "test", 7, ["cat", "dog", "emu"], [0.99, 2.7e-5, 3e-12], trueClass: 0, logScale: true);

        // Drawn beside the linear chart, not over it.
        Assert.Equal("probabilities-test-7-epoch-2-log.svg", Path.GetFileName(path));
        var texts = SvgReader.Texts(path);
        string[] decades = ["1", "0.1", "0.01", .. Enumerable.Range(3, 11).Select(e => $"1e-{e}")];
        foreach (var decade in decades) Assert.Contains(decade, texts);
        Assert.DoesNotContain("1e-14", texts);
        // A label for each of the 14 decades, yet far enough apart not to touch.
        var labelHeights = SvgReader.TextAnchors(path).Where(t => decades.Contains(t.Text)).Select(t => t.Y).Order().ToList();
        Assert.All(labelHeights.Zip(labelHeights.Skip(1)), pair => Assert.True(pair.Second - pair.First >= 12, $"decade labels {pair.Second - pair.First:F1} px apart"));
        // The axis runs from 1e-13 (the decade below 3e-12's decade) to 1: 2.7e-5 rises 8.43 decades, 0.99 nearly 13.
        var bars = SvgReader.Parse(path).Descendants(SvgReader.Svg + "rect")
            .Where(r => ((string?)r.Attribute("fill") ?? "").ToLowerInvariant() is "#d62728" or "#1f77b4" && (double?)r.Attribute("width") < 300)
            .Select(r => (Fill: ((string)r.Attribute("fill")!).ToLowerInvariant(), Height: double.Parse((string)r.Attribute("height")!, CultureInfo.InvariantCulture))).ToList();
        var tallest = bars.Where(b => b.Fill == "#d62728").Max(b => b.Height);
        var runnerUp = bars.Where(b => b.Fill == "#1f77b4").Max(b => b.Height);
        Assert.Equal((Math.Log10(2.7e-5) + 13) / (Math.Log10(0.99) + 13), runnerUp / tallest, 2);
    }

    [Fact]
    public void Slanted_class_labels_hang_clear_of_their_tick_marks_as_chromium_lays_them_out()
    {
        string[] classes = ["horizontal bar, top", "horizontal bar, middle", "vertical bar, left", "blob, top-right"];
        var path = _folder.File("confusion.svg");
        new HeatmapChart("confusion", "true class", "predicted class", classes, classes,
            [[5, 1, 0, 0], [2, 7, 1, 0], [0, 0, 9, 1], [0, 1, 0, 8]]) { ValueFormat = "0", ColourBarLabel = "images" }.Write(path);

        // Each slanted label's first character cell (the browser's, after the label's rotation), and every tick mark.
        using var measured = BrowserGeometry.Measure(path, """
            const corners = (t) => {
              const b = t.getExtentOfChar(0), m = t.getCTM();
              return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height], [b.x, b.y + b.height]].map(([x, y]) => {
                const p = svg.createSVGPoint(); p.x = x; p.y = y; const q = p.matrixTransform(m); return [q.x, q.y]; });
            };
            const slanted = [...svg.querySelectorAll('text')].filter(t => (t.getAttribute('transform') || '').startsWith('matrix'));
            const ticks = [...svg.querySelectorAll('path')].map(p => p.getAttribute('d') || '')
              .filter(d => /^M[-\d.]+ [-\d.]+L[-\d.]+ [-\d.]+$/.test(d))
              .map(d => d.slice(1).split('L').map(s => s.split(' ').map(Number)))
              .filter(([a, b]) => Math.hypot(b[0] - a[0], b[1] - a[1]) <= 8);
            return { labels: slanted.map(t => ({ text: t.textContent.trim(), cell: corners(t) })), ticks };
            """);
        // The axis label and the colour bar's label are turned too, but have no tick marks.
        var labels = measured.RootElement.GetProperty("labels").EnumerateArray().Where(l => classes.Contains(l.GetProperty("text").GetString())).ToList();
        Assert.Equal(classes, labels.Select(l => l.GetProperty("text").GetString()));
        var ticks = measured.RootElement.GetProperty("ticks").EnumerateArray().Select(Points).ToList();
        Assert.NotEmpty(ticks);
        foreach (var label in labels)
        {
            var cell = Points(label.GetProperty("cell"));
            var clearance = ticks.Min(t => Enumerable.Range(0, 21).Min(k => Distance(Lerp(t[0], t[1], k / 20.0), cell)));
            Assert.True(clearance >= 3, $"the tick mark comes within {clearance:0.0} pixels of the first letter of '{label.GetProperty("text").GetString()}'");
        }
    }

    [Fact]
    public void The_covariance_colour_bar_label_clears_the_bars_tick_labels_as_chromium_lays_them_out()
    {
        // A 784-variable matrix with small entries: its bar is taller than ScottPlot's guess and its ticks read -0.05, 0.05.
        const int d = 784;
        var values = new double[d * d];
        for (var r = 0; r < d; r++)
            for (var c = 0; c < d; c++) values[r * d + c] = 0.55 * Math.Cos((r - c) * 0.05) * Math.Exp(-Math.Abs(r - c) / 200.0);
        var path = _folder.File("covariance.svg");
        CovarianceChart.Write(new CovarianceMatrix(d, values, 200, 28, 28), "covariance", path);

        using var measured = BrowserGeometry.Measure(path, """
            const box = (t) => { const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
            const texts = [...svg.querySelectorAll('text')];
            const label = texts.find(t => t.textContent.trim().startsWith('covariance ('));
            const labelBox = box(label);
            // The bar's tick labels: numbers drawn left of its label, right of the data area's middle.
            const ticks = texts.filter(t => t !== label && /^[-−]?[\d.]+$/.test(t.textContent.trim()) && box(t)[0] > svg.width.baseVal.value * 0.75).map(box);
            return { label: labelBox, ticks };
            """);
        var labelBox = measured.RootElement.GetProperty("label").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var tickBoxes = measured.RootElement.GetProperty("ticks").EnumerateArray().Select(b => b.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToList();
        Assert.True(tickBoxes.Count >= 5, $"found {tickBoxes.Count} colour bar tick labels");
        var widestRight = tickBoxes.Max(b => b[2]);
        Assert.True(labelBox[0] - widestRight >= 2, $"the colour bar's label starts at x {labelBox[0]:0.0}, within 2 pixels of its tick labels' right edge {widestRight:0.0}");
    }

    private static double[][] Points(JsonElement points) => [.. points.EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetDouble()).ToArray())];

    private static double[] Lerp(double[] a, double[] b, double t) => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];

    /// <summary>Distance from a point to a convex polygon: 0 inside, else to its nearest edge.</summary>
    private static double Distance(double[] p, double[][] polygon)
    {
        var edges = polygon.Select((a, i) => (A: a, B: polygon[(i + 1) % polygon.Length])).ToList();
        var sides = edges.Select(e => Math.Sign((e.B[0] - e.A[0]) * (p[1] - e.A[1]) - (e.B[1] - e.A[1]) * (p[0] - e.A[0]))).Where(s => s != 0).Distinct().Count();
        if (sides <= 1) return 0;
        return edges.Min(e =>
        {
            var (dx, dy) = (e.B[0] - e.A[0], e.B[1] - e.A[1]);
            var t = Math.Clamp(((p[0] - e.A[0]) * dx + (p[1] - e.A[1]) * dy) / (dx * dx + dy * dy), 0, 1);
            return Math.Sqrt(Math.Pow(p[0] - e.A[0] - t * dx, 2) + Math.Pow(p[1] - e.A[1] - t * dy, 2));
        });
    }
}
