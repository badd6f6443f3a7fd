using System.Globalization;
using System.Text.Json;
using Experiments.Store;
using Experiments.Visualization.Charts;
using Experiments.Visualization.Data;
using Experiments.Visualization.Tests.Support;
using Xunit;

namespace Experiments.Visualization.Tests;

public sealed class Writing_svg_charts : IDisposable
{
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static double[] Numbers(JsonElement array) => [.. array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? double.Parse(e.GetString()!, CultureInfo.InvariantCulture) : e.GetDouble())];

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
    public void A_bar_chart_png_decodes_at_its_size_with_the_true_class_in_red()
    {
        var path = _folder.File("probabilities.png");
        new BarChart("probabilities", "class", "p", ["a", "b", "c"], [0.2, 0.7, 0.1]) { YRange = (0, 1), Highlight = 1 }.Write(path);

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
        const string title = "Accuracy per epoch, trials 1, 2, 3, 4, 5, 6, 7, 8 (epoch 0 (untrained) included)";
        var lines = ChartCanvas.Wrapped(title).Split('\n');

        Assert.True(lines.Length > 1);
        Assert.All(lines, l => Assert.InRange(l.Length, 1, 50));
        Assert.Equal(title, string.Join(' ', lines)); // nothing lost or reordered
        Assert.Equal("short\nkept as it is", ChartCanvas.Wrapped("short\nkept as it is"));
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
