using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// One small lenet-matconvnet trial on the synthetic digits (MNIST-shaped, 2 epochs) and a one-trial sweep, trained
/// once by the real CLI with a private home and PostgreSQL, shared by every test of <see cref="Drawing_figures"/>.
/// </summary>
public sealed class TrainedTrialFixture : IDisposable
{
    public TrainedTrialFixture()
    {
        var train = Cli.Run("train", "--arch", "lenet-matconvnet", "--dataset", "synthetic", "--epochs", "2", "--limit", "500", "--json");
        Assert.True(train.ExitCode == 0, train.All);
        using var json = JsonDocument.Parse(train.Output);
        Trial = json.RootElement.GetProperty("trial").GetInt64().ToString(CultureInfo.InvariantCulture);
    }

    public CliProcess Cli { get; } = new();

    public string Trial { get; }

    public void Dispose() => Cli.Dispose();
}

/// <summary>
/// Every <c>experiments viz</c> command run end to end on a trained trial. Pictures are read back by independent
/// decoders: PNGs by tests/Visualization.Tests/oracle/png_decode.py (Python's zlib and struct only), GIFs by gif_decode.py
/// beside it (struct and its own LZW), SVGs by System.Xml,
/// the report by Python's html.parser. Expected sizes come from the documented layout formulas (docs/visualization.md).
/// </summary>
public class Drawing_figures(TrainedTrialFixture fixture) : IClassFixture<TrainedTrialFixture>
{
    private readonly CliProcess _cli = fixture.Cli;
    private readonly string _trial = fixture.Trial;

    // lenet-matconvnet on 1×28×28: layer 0 is conv 20@5×5 (20×24×24 maps), layer 2 conv 50@5×5 (50×8×8). Two epochs
    // are trained, so epochs 0, 1 and 2 are recorded.
    private const int Epochs = 3;

    /// <summary>
    /// image | map | overlay: three 224-pixel tiles, 6 apart, after the column of the panel's labels and before the colour
    /// bar. The column is 84 pixels, or wider where the labels of some class need it ("true 6 (diagonal, falling)" at
    /// 12 pixels, "predicted 6 (…)" at 10), measured with the pictures' font, and 6 pixels to spare: the same for every
    /// image of the dataset.
    /// </summary>
    private static readonly int AttributionWidth = AttributionWidthFor(Experiments.Datasets.DatasetCatalog.Get("synthetic").ClassNames);

    private static int AttributionWidthFor(IReadOnlyList<string> classNames)
    {
        var labels = Enumerable.Range(0, classNames.Count).Max(c => Math.Max(
            Experiments.Visualization.Pictures.PictureText.Width($"true {c} ({classNames[c]})", 12),
            Experiments.Visualization.Pictures.PictureText.Width($"predicted {c} ({classNames[c]})", 10)));
        return 6 + Math.Max(84, labels + 6) + 3 * 224 + 2 * 6 + 6 + 150;
    }
    private const int AttributionHeight = 2 * 6 + 22 + 15 + 224;

    [Fact]
    public void Curves_confusion_roc_and_health_write_svg_charts_with_their_titles_and_axis_labels_and_their_numbers_beside_them()
    {
        var curves = Paths(Ok("viz", "curves", _trial));
        Assert.Equal(["loss.svg", "accuracy.svg"], curves.Select(Path.GetFileName));
        // Train and validation lines over the trained epochs 1 and 2 (epoch 0, untrained, is left out by default).
        using (var accuracy = Data(curves[1]))
        {
            var series = accuracy.RootElement.GetProperty("series").EnumerateArray().ToList();
            Assert.Equal(["train", "validation"], series.Select(s => s.GetProperty("name").GetString()));
            Assert.All(series, s => Assert.Equal([1.0, 2.0], s.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("x").GetDouble())));
        }
        AssertTexts(curves[1], $"Accuracy per epoch, trial {_trial} (trained epochs)", "epoch", "accuracy (%)", "train", "validation");
        Assert.All(curves, c => AssertSvgSize(c, 800, 480));
        AssertTexts(curves[0], $"Loss per epoch, trial {_trial} (trained epochs)", "epoch", "cross-entropy loss (nats)");

        var confusion = Paths(Ok("viz", "confusion", "--trial", _trial))[0];
        using (var matrix = Data(confusion))
        {
            var rows = matrix.RootElement.GetProperty("values").EnumerateArray().ToList();
            Assert.Equal(10, rows.Count);
            Assert.All(rows, r => Assert.Equal(10, r.GetArrayLength()));
            // The test split holds 1,000 synthetic images: every one is counted once in the matrix.
            Assert.Equal(1000, rows.Sum(r => r.EnumerateArray().Sum(v => v.GetDouble())));
        }
        AssertTexts(confusion, "true class", "predicted class", "images");
        AssertSvgSize(confusion, 760, 640);

        var roc = Paths(Ok("viz", "roc", "--trial", _trial))[0];
        using (var curvesOfRoc = Data(roc))
            Assert.Equal(11, curvesOfRoc.RootElement.GetProperty("series").GetArrayLength()); // ten classes and the chance diagonal
        AssertTexts(roc, "false positive rate", "true positive rate", "chance");
        AssertSvgSize(roc, 720, 700);

        var health = Ok("viz", "health", "--trial", _trial, "--json");
        using var report = JsonDocument.Parse(health.Output);
        Assert.Equal(JsonValueKind.True, report.RootElement.GetProperty("healthy").ValueKind);
        var layers = report.RootElement.GetProperty("report").GetProperty("layers");
        Assert.Equal(["0.weight", "2.weight", "4.weight", "6.weight"], layers.EnumerateArray().Select(l => l.GetProperty("tensor").GetString()));
        foreach (var file in report.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()!))
        {
            Assert.True(File.Exists(file), file);
            if (!file.EndsWith(".svg", StringComparison.Ordinal)) continue;
            // Every layer's chart has the same size, the 500-filter layer 4 included, and names its axes.
            AssertSvgSize(file, 800, 480);
            AssertTexts(file, "epoch");
        }
        AssertTexts(report.RootElement.GetProperty("files")[3].GetString()!, $"Filter L2 norm per epoch, trial {_trial}, 4.weight (spread of 500 filters)", "median", "25–75%");
    }

    [Fact]
    public void Every_svg_a_viz_command_writes_parses_as_xml_with_no_list_ending_in_a_comma_and_a_generic_font_family()
    {
        var folder = Path.Combine(_cli.Home, "portable");
        using var health = JsonDocument.Parse(Ok("viz", "health", "--trial", _trial, "--json", "--out", folder).Output);
        var svgs = new[]
            {
                Paths(Ok("viz", "curves", _trial, "--out", folder)), Paths(Ok("viz", "confusion", "--trial", _trial, "--out", folder)),
                Paths(Ok("viz", "roc", "--trial", _trial, "--out", folder)),
                Paths(Ok("viz", "probabilities", "--trial", _trial, "--image", "0", "--out", folder)),
                Paths(Ok("viz", "probabilities", "--trial", _trial, "--image", "0", "--log", "--out", folder)),
                health.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()!).ToList(),
            }
            .SelectMany(paths => paths).Where(p => p.EndsWith(".svg", StringComparison.Ordinal)).ToList();

        // loss, accuracy, confusion, ROC, two probability charts and a norm chart per weight layer (4).
        Assert.Equal(10, svgs.Count);
        foreach (var svg in svgs) Assert.True(SvgPortability.Problems(svg) is [], $"{svg}: {string.Join("; ", SvgPortability.Problems(svg).Take(3))}");
    }

    [Fact]
    public void Viz_health_writes_to_health_json_exactly_the_document_it_prints_with_json()
    {
        var health = Ok("viz", "health", "--trial", _trial, "--json");
        using var printed = JsonDocument.Parse(health.Output);
        var file = printed.RootElement.GetProperty("files")[0].GetString()!;
        Assert.Equal("health.json", Path.GetFileName(file));
        Assert.Equal(health.Output, File.ReadAllText(file));
        Assert.True(printed.RootElement.TryGetProperty("activations", out _));
    }

    [Fact]
    public void Kernels_and_activations_write_pngs_of_the_documented_size_and_animations_with_a_frame_per_epoch()
    {
        // The labelled grid's layout (docs/visualization.md): a 6-pixel margin, a 22-pixel title band, an 84-pixel column
        // of panel labels at the left and a 150-pixel colour bar area at the right; each line of tiles has a 15-pixel
        // band of filter labels above it; filters are 6 pixels apart, panels (epochs) 10. The bar area needs 161 pixels
        // of height. 20 filters × 1 channel of 5×5 at ×8 = 40-pixel tiles, a panel is 15 + 40 = 55 high.
        var kernels = Paths(Ok("viz", "kernels", "--trial", _trial, "--layer", "0"));
        var kernelWidth = 6 + 84 + 20 * 40 + 19 * 6 + 6 + 150;
        AssertPng(kernels[0], width: kernelWidth, height: 2 * 6 + 22 + Epochs * 55 + (Epochs - 1) * 10);
        // An animation frame is one panel under the title, with the grid's colour bar (161 pixels high, more than a panel).
        AssertGif(kernels[1], width: kernelWidth, height: 2 * 6 + 22 + 161, frames: Epochs);

        // 20 maps of 24×24 at ×3 (about 56 pixels) = 72-pixel tiles, one panel of 15 + 72 pixels per epoch.
        var activations = Paths(Ok("viz", "activations", "--trial", _trial, "--image", "0", "--layer", "0"));
        var activationWidth = 6 + 84 + 20 * 72 + 19 * 6 + 6 + 150;
        AssertPng(activations[0], width: activationWidth, height: 2 * 6 + 22 + Epochs * 87 + (Epochs - 1) * 10);
        AssertGif(activations[1], width: activationWidth, height: 2 * 6 + 22 + 161, frames: Epochs);

        // Layer 4's maps are 500×1×1: one 25×20 block of channels a panel, at ×9, not 500 one-pixel tiles (1790×6048 pixels).
        var block = Paths(Ok("viz", "activations", "--trial", _trial, "--image", "0", "--layer", "4"));
        AssertPng(block[0], height: 2 * 6 + 22 + Epochs * (15 + 180) + (Epochs - 1) * 10);
        AssertGif(block[1], width: PngWidth(block[0]), height: 2 * 6 + 22 + 15 + 180, frames: Epochs);
        Assert.True(PngWidth(block[0]) < 1200, $"{PngWidth(block[0])} pixels wide");

        // Synthetic images are 28×28, so the grey covariance is 784×784: one pixel per entry, with 260 pixels across and
        // 120 down for the axes, the title and the colour bar.
        var covariance = Paths(Ok("viz", "covariance", "--dataset", "synthetic", "--sample", "200"));
        AssertPng(covariance[0], 784 + 260, 784 + 120);
    }

    [Fact]
    public void Kernels_of_the_500_filter_layer_shrink_their_tiles_until_the_labelled_grid_is_within_8_million_pixels()
    {
        // Layer 4 is conv 500@4×4 over 50 channels: the top 32 filters over 3 epochs. ×10 to ×7 would be past 8 Mpx once
        // labels and gaps count; at ×6 (24-pixel tiles) a filter is 50·24 + 49 = 1249 wide, 3 fit a 4096-pixel line, so
        // an epoch has 11 lines of 15 + 12 + 24 pixels, 4 apart.
        var run = Ok("viz", "kernels", "--trial", _trial, "--layer", "4");
        var (width, height) = (6 + 84 + 3 * 1249 + 2 * 6 + 6 + 150, 2 * 6 + 22 + Epochs * (11 * 51 + 10 * 4) + (Epochs - 1) * 10);
        Assert.True((long)width * height <= 8_000_000);
        AssertPng(Paths(run)[0], width, height);
        Assert.Contains("4×4 kernels at ×6", run.Error);
    }

    [Fact]
    public void Kernels_and_decode_of_a_pooling_layer_are_refused_naming_what_it_is_and_the_layers_that_apply()
    {
        var kernels = _cli.Run("viz", "kernels", "--trial", _trial, "--layer", "1");
        Assert.Equal(2, kernels.ExitCode);
        Assert.Contains("layer 1 is a maxpool 2×2 s2 p0 layer, not a conv layer; the conv layers are 0 (20×1×5×5), 2 (50×20×5×5), 4 (500×50×4×4), 6 (10×500×1×1)",
            System.Text.RegularExpressions.Regex.Replace(kernels.Error, @"\s+", " "));

        var decode = _cli.Run("viz", "decode", "--trial", _trial, "--layer", "1", "--sample", "10");
        Assert.Equal(2, decode.ExitCode);
        Assert.Contains("a pooling layer has no filters", decode.Error);
        Assert.DoesNotContain("   at ", decode.All);
    }

    [Fact]
    public void Saliency_gradcam_and_probabilities_draw_one_image_and_agree_on_the_predicted_class()
    {
        // image | map | overlay: three 224-pixel tiles (28 × 8), 6 pixels apart, under a 15-pixel label band, with the
        // panel label column, the title band and the colour bar of the labelled grid.
        var saliency = Ok("viz", "saliency", "--trial", _trial, "--image", "4");
        AssertPng(Paths(saliency)[0], width: AttributionWidth, height: AttributionHeight);
        var gradCam = Ok("viz", "gradcam", "--trial", _trial, "--image", "4", "--layer", "2");
        AssertPng(Paths(gradCam)[0], width: AttributionWidth, height: AttributionHeight);
        var predicted = int.Parse(System.Text.RegularExpressions.Regex.Match(saliency.Error, @"predicted class (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var label = int.Parse(System.Text.RegularExpressions.Regex.Match(saliency.Error, @"true class (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        // Synthetic classes have names: the image's class is its number and its name, once each.
        Assert.Matches(@"test image 4 · true class \d+ \([a-z ,-]+\):", saliency.Error);

        var probabilities = Paths(Ok("viz", "probabilities", "--trial", _trial, "--image", "4", "--epoch", "2"));
        Assert.Equal("probabilities-test-4-epoch-2.svg", Path.GetFileName(probabilities[0]));
        AssertPng(probabilities[1], 224, 224);
        using var chart = Data(probabilities[0]);
        var values = chart.RootElement.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToList();
        Assert.Equal(10, values.Count);
        Assert.All(values, p => Assert.InRange(p, 0, 1));
        Assert.Equal(1.0, values.Sum(), 1e-9);
        // The largest probability is the class saliency explained (the arg-max logit, computed on its own path). The
        // marked bars are the image's true label and, when it differs, the predicted class, each named in the legend.
        Assert.Equal(predicted, values.IndexOf(values.Max()));
        int[] marked = predicted == label ? [label] : [label, predicted];
        Assert.Equal(marked, chart.RootElement.GetProperty("marked").EnumerateArray().Select(m => m.GetProperty("index").GetInt32()));
        AssertTexts(probabilities[0], "softmax probability", "class", "other classes");
        Assert.Contains(Svg(probabilities[0]).Descendants().Where(e => e.Name.LocalName == "text").Select(t => t.Value.Trim()),
            t => t.StartsWith(predicted == label ? "true class, predicted (" : "predicted class (", StringComparison.Ordinal));
        AssertSvgSize(probabilities[0], 760, 440);

        // --log draws the same numbers on a log axis.
        var logChart = Paths(Ok("viz", "probabilities", "--trial", _trial, "--image", "4", "--epoch", "2", "--log", "--out", Path.Combine(_cli.Home, "log")))[0];
        using var logData = Data(logChart);
        Assert.True(logData.RootElement.GetProperty("logScale").GetBoolean());
        Assert.Equal(values, logData.RootElement.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()));
        AssertTexts(logChart, "softmax probability (log scale)");
        Assert.Contains("--log", _cli.Run("viz", "probabilities", "--help").Output);
    }

    [Fact]
    public void Decode_writes_the_decoded_filters_of_layer_2_and_their_report()
    {
        var run = Ok("viz", "decode", "--trial", _trial, "--layer", "2", "--sample", "50", "--filter", "0", "1");
        var paths = Paths(run);
        // What --help promises is what is written: three PNGs and the JSON, named after the layer, epoch and unpooling.
        var help = Ok("viz", "decode", "--help").Output;
        Assert.DoesNotContain("decode.json", help);
        Assert.Equal(["-filters.png", "-thresholded.png", "-top.png", ".json"],
            paths.Select(p => Path.GetFileName(p)["decode-layer-2-epoch-2-bicubic".Length..]));
        Assert.Contains("decode-layer-<L>-epoch-<E>-<unpooling>.json", System.Text.RegularExpressions.Regex.Replace(help, @"\s+", ""));
        Assert.Equal(4, paths.Count);
        foreach (var png in paths.Take(3)) AssertPng(png);
        using var json = JsonDocument.Parse(File.ReadAllText(paths[3]));
        Assert.Equal(50, json.RootElement.GetProperty("decodedShape")[0].GetInt32());
        Assert.Equal(50, json.RootElement.GetProperty("reconstructionMse").GetProperty("images").GetInt32());
    }

    [Fact]
    public void The_trial_report_is_one_self_contained_html_page_embedding_every_figure()
    {
        var run = Ok("viz", "report", "--trial", _trial, "--epoch", "2");
        var report = Assert.Single(Paths(run));
        Assert.EndsWith($"report-trial-{_trial}.html", report, StringComparison.Ordinal);
        var page = ParseHtml(report);

        // The probabilities may be drawn on a log axis (…-log.svg) when the trained model's top class holds over 90%.
        string[] expected =
        [
            "loss.svg", "accuracy.svg", "confusion-test-epoch-2.svg", "roc-test-epoch-2.svg", "kernels-0.png", "kernels-0-animation.gif",
            "health-0.weight.svg", "image-test-0.png", "probabilities-test-0-epoch-2", "saliency-test-0-",
            "activations-layer-0-test-0-epoch-2.png", "decode-layer-2-epoch-2-bicubic-filters.png",
        ];
        var images = page.GetProperty("images").EnumerateArray().ToList();
        foreach (var name in expected)
            Assert.Contains(images, i => i.GetProperty("file").GetString()!.StartsWith(name, StringComparison.Ordinal));
        AssertEmbeddedFiguresDecode(images);
        Assert.Contains(images, i => i.GetProperty("file").GetString() == "kernels-0-animation.gif" && i.GetProperty("frames").GetInt32() == Epochs);
        Assert.Contains(images, i => i.GetProperty("file").GetString() == "kernels-0-change.png");
        Assert.Contains(images, i => i.GetProperty("file").GetString() == "image-test-0.png" && i.GetProperty("width").GetInt32() == 224);
        Assert.Contains("Per epoch", page.GetProperty("headings").EnumerateArray().Select(h => h.GetString()));
        // lenet-matconvnet's maps are all unrectified (its first ReLU is 1×1), so the page explains Grad-CAM's absence
        // instead of showing a map of the background.
        Assert.DoesNotContain(images, i => i.GetProperty("file").GetString()!.StartsWith("gradcam-", StringComparison.Ordinal));
        Assert.Contains("Grad-CAM is left out: lenet-matconvnet has no rectified feature maps larger than 1×1", System.Net.WebUtility.HtmlDecode(File.ReadAllText(report)));
    }

    [Fact]
    public void The_trial_report_names_each_setting_once_and_uses_the_saliency_figures_own_words()
    {
        var page = System.Net.WebUtility.HtmlDecode(File.ReadAllText(Assert.Single(Paths(Ok("viz", "report", "--trial", _trial, "--images", "1")))));

        // The trial trained with Adam, which has no momentum; the seed is one row of the settings table.
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(page, "<td>seed</td>"));
        Assert.DoesNotContain("<td>momentum</td>", page);
        // The saliency figure's colour bar says |d logit / d pixel|; the caption uses the same words.
        Assert.Contains("Saliency for the predicted class", page);
        Assert.Contains("|d logit / d pixel|", page);
        Assert.DoesNotContain("d score", page);
        // Synthetic classes have names: number and name once each, e.g. "Test image 0 · true class 6 (diagonal, falling)".
        Assert.Matches(@"<h3>Test image 0 · true class \d+ \([a-z ,-]+\)</h3>", page);
    }

    [Fact]
    public void Grad_cam_without_a_layer_is_refused_where_no_maps_are_rectified_and_a_constant_map_is_reported_blank()
    {
        var noDefault = _cli.Run("viz", "gradcam", "--trial", _trial, "--image", "4");
        Assert.Equal(2, noDefault.ExitCode);
        // Long messages wrap at the console's width; the words are what matter.
        Assert.Contains("lenet-matconvnet has no rectified feature maps larger than 1×1", System.Text.RegularExpressions.Regex.Replace(noDefault.All, @"\s+", " "));
        Assert.DoesNotContain("   at ", noDefault.All);

        // Layer 4 is conv 500@4×4 with 1×1 maps: its Grad-CAM is one number, a constant picture that must not pass for a map.
        var constant = Ok("viz", "gradcam", "--trial", _trial, "--image", "4", "--layer", "4");
        Assert.Contains("warning: the map is blank (every value is", constant.Error);
        AssertPng(Paths(constant)[0], width: AttributionWidth, height: AttributionHeight);
    }

    [Fact]
    public void The_sweep_report_ranks_the_trials_and_links_to_a_section_per_best_trial()
    {
        var sweep = _cli.WriteFile("report-sweep.yaml", """
            name: report
            dataset: synthetic
            epochs: 1
            batch_size: 64
            grid:
              arch: [lenet-matconvnet]
              weight_decay: [0, 1e-4]
            """);
        var run = _cli.Run("sweep", "run", sweep, "--slots", "1", "--threads", "1");
        Assert.True(run.ExitCode == 0, run.All);
        var id = System.Text.RegularExpressions.Regex.Match(run.Output, @"Sweep (\d+) completed").Groups[1].Value;
        var status = JsonDocument.Parse(_cli.Run("sweep", "status", id, "--json").Output).RootElement;
        var trial = status.GetProperty("trials").EnumerateArray().Single(t => t.GetProperty("label").GetString()!.Contains("weight_decay=1e-4", StringComparison.Ordinal))
            .GetProperty("trialId").GetInt64();

        var report = Assert.Single(Paths(Ok("viz", "report", "--sweep", id)));
        var page = ParseHtml(report);
        Assert.Contains($"#trial-{trial}", page.GetProperty("links").EnumerateArray().Select(l => l.GetString()));
        Assert.Contains($"trial-{trial}", page.GetProperty("ids").EnumerateArray().Select(l => l.GetString()));
        var headings = page.GetProperty("headings").EnumerateArray().Select(h => h.GetString()!).ToList();
        Assert.Contains("Leaderboard", headings);
        Assert.Contains("Curves of every trial", headings);
        // A setting is named as the sweep file names it, in the trial's heading and in the curves' legend alike.
        Assert.Contains(headings, h => h.StartsWith($"Trial {trial}: lenet-matconvnet (", StringComparison.Ordinal) && h.Contains(" weight_decay=1e-4 ", StringComparison.Ordinal));
        using (var curves = Data(Path.Combine(Path.GetDirectoryName(report)!, "curves", "accuracy.svg")))
            Assert.Contains(curves.RootElement.GetProperty("series").EnumerateArray(), s => s.GetProperty("name").GetString()!.StartsWith("weight_decay=1e-4", StringComparison.Ordinal));
        AssertEmbeddedFiguresDecode(page.GetProperty("images").EnumerateArray().ToList());
    }

    [Fact]
    public void An_unknown_trial_or_sweep_is_exit_code_2_with_a_message_naming_it()
    {
        foreach (var command in new[] { "report", "probabilities" })
        {
            var run = _cli.Run(command == "report" ? ["viz", "report", "--trial", "9999"] : ["viz", command, "--trial", "9999", "--image", "0"]);
            Assert.Equal(2, run.ExitCode);
            Assert.Contains("no trial 9999", run.All);
            Assert.DoesNotContain("   at ", run.All);
        }
        var sweep = _cli.Run("viz", "report", "--sweep", "9999");
        Assert.Equal(2, sweep.ExitCode);
        Assert.Contains("no sweep 9999", sweep.All);
        var neither = _cli.Run("viz", "report");
        Assert.Equal(2, neither.ExitCode);
        Assert.Contains("--trial", neither.All);
        var outOfRange = _cli.Run("viz", "probabilities", "--trial", _trial, "--image", "1000");
        Assert.Equal(2, outOfRange.ExitCode);
        Assert.Contains("--image 1000 is out of range: the test split of synthetic has images 0–999", outOfRange.All);
    }

    private CliRun Ok(params string[] arguments)
    {
        var run = _cli.Run(arguments);
        Assert.True(run.ExitCode == 0, $"experiments {string.Join(' ', arguments)} exited {run.ExitCode}: {run.All}");
        return run;
    }

    /// <summary>The paths printed on standard output, one a line; each must exist.</summary>
    private static List<string> Paths(CliRun run)
    {
        var paths = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        Assert.NotEmpty(paths);
        Assert.All(paths, p => Assert.True(File.Exists(p), $"printed path {p} does not exist"));
        return paths;
    }

    private static XDocument Svg(string path)
    {
        var document = XDocument.Load(path);
        Assert.Equal("svg", document.Root!.Name.LocalName);
        return document;
    }

    /// <summary>The numbers behind a chart, written beside it: x.svg's x.json.</summary>
    private static JsonDocument Data(string chartPath) => JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(chartPath, ".json")));

    /// <summary>The chart shows each of <paramref name="expected"/> as a text element of its own (titles, axis labels, legend entries).</summary>
    private static void AssertTexts(string svgPath, params string[] expected)
    {
        var texts = Svg(svgPath).Descendants().Where(e => e.Name.LocalName == "text").Select(t => t.Value.Trim()).ToList();
        foreach (var text in expected) Assert.Contains(text, texts);
    }

    /// <summary>The SVG declares the chart's documented size in pixels.</summary>
    private static void AssertSvgSize(string path, int width, int height)
    {
        var root = Svg(path).Root!;
        Assert.Equal((width.ToString(CultureInfo.InvariantCulture), height.ToString(CultureInfo.InvariantCulture)), ((string)root.Attribute("width")!, (string)root.Attribute("height")!));
    }

    /// <summary>The PNG decodes (every CRC right), has the size given, and its pixels are not all the same.</summary>
    private static void AssertPng(string path, int? width = null, int? height = null)
    {
        using var decoded = JsonDocument.Parse(Python(Oracle, path, "--no-pixels"));
        var root = decoded.RootElement;
        Assert.True(root.GetProperty("crc_ok").GetBoolean(), path);
        if (width is { } w) Assert.Equal(w, root.GetProperty("width").GetInt32());
        if (height is { } h) Assert.Equal(h, root.GetProperty("height").GetInt32());
        var frame = root.GetProperty("frames")[0];
        Assert.True(frame.GetProperty("min").GetInt32() < frame.GetProperty("max").GetInt32(), $"every pixel of {path} is the same");
    }

    private static int PngWidth(string path)
    {
        using var decoded = JsonDocument.Parse(Python(Oracle, path, "--no-pixels"));
        return decoded.RootElement.GetProperty("width").GetInt32();
    }

    /// <summary>The GIF decodes (tests/Visualization.Tests/oracle/gif_decode.py: struct and its own LZW), has the size and frame count given, and no frame is one flat colour.</summary>
    private static void AssertGif(string path, int width, int height, int frames)
    {
        Assert.EndsWith(".gif", path, StringComparison.Ordinal);
        using var decoded = JsonDocument.Parse(Python(GifOracle, path));
        var root = decoded.RootElement;
        Assert.Equal((width, height), (root.GetProperty("width").GetInt32(), root.GetProperty("height").GetInt32()));
        Assert.Equal(0, root.GetProperty("loop").GetInt32()); // loops forever
        Assert.Equal(frames, root.GetProperty("frames").GetArrayLength());
        Assert.All(root.GetProperty("frames").EnumerateArray(), f => Assert.False(f.GetProperty("uniform").GetBoolean(), path));
    }

    /// <summary>Every embedded figure decodes: PNGs by the oracle, SVGs by Python's XML parser (the html script reports both).</summary>
    private static void AssertEmbeddedFiguresDecode(IReadOnlyList<JsonElement> images)
    {
        Assert.NotEmpty(images);
        foreach (var image in images)
        {
            var file = image.GetProperty("file").GetString();
            Assert.True(image.GetProperty("decoded").GetBoolean(), $"embedded figure {file} does not decode: {image.GetProperty("problem").GetString()}");
        }
    }

    private static string Oracle => Path.Combine(Repository.Root(), "tests", "Visualization.Tests", "oracle", "png_decode.py");

    private static string GifOracle => Path.Combine(Repository.Root(), "tests", "Visualization.Tests", "oracle", "gif_decode.py");

    /// <summary>
    /// Parses the page with Python's html.parser and checks it is self-contained: no script, no stylesheet link, every
    /// img src a data: URI and every href an in-page anchor. Each embedded PNG is decoded by the PNG oracle and each
    /// SVG parsed as XML.
    /// </summary>
    private JsonElement ParseHtml(string path)
    {
        var script = _cli.WriteFile("parse_report.py", """
            import base64, importlib.util, json, sys, xml.etree.ElementTree as ET
            from html.parser import HTMLParser
            spec = importlib.util.spec_from_file_location("png_decode", sys.argv[2])
            png = importlib.util.module_from_spec(spec); spec.loader.exec_module(png)
            spec = importlib.util.spec_from_file_location("gif_decode", sys.argv[4])
            gif = importlib.util.module_from_spec(spec); spec.loader.exec_module(gif)

            class Page(HTMLParser):
                def __init__(self):
                    super().__init__()
                    self.images, self.links, self.ids, self.headings, self.external, self.scripts = [], [], [], [], [], 0
                    self._heading = None
                def handle_starttag(self, tag, attrs):
                    a = dict(attrs)
                    if "id" in a: self.ids.append(a["id"])
                    if tag == "script": self.scripts += 1
                    if tag == "link": self.external.append(a.get("href", ""))
                    if tag in ("h1", "h2", "h3", "h4"): self._heading = ""
                    if "href" in a:
                        self.links.append(a["href"])
                        if not a["href"].startswith("#"): self.external.append(a["href"])
                    if "src" in a and not a["src"].startswith("data:"): self.external.append(a["src"])
                    if tag == "img": self.images.append(self.figure(a.get("src", ""), a.get("data-file", "")))
                def handle_data(self, data):
                    if self._heading is not None: self._heading += data
                def handle_endtag(self, tag):
                    if tag in ("h1", "h2", "h3", "h4") and self._heading is not None:
                        self.headings.append(self._heading.strip()); self._heading = None
                def figure(self, src, name):
                    result = {"file": name, "decoded": False, "problem": ""}
                    try:
                        header, data = src.split(",", 1)
                        raw = base64.b64decode(data, validate=True)
                        if header == "data:image/png;base64":
                            open(sys.argv[3], "wb").write(raw)
                            decoded = png.decode(sys.argv[3], False)
                            result.update(width=decoded["width"], height=decoded["height"], frames=decoded.get("num_frames") or 1,
                                          decoded=bool(decoded["crc_ok"]))
                        elif header == "data:image/gif;base64":
                            open(sys.argv[3], "wb").write(raw)
                            decoded = gif.decode(sys.argv[3])
                            result.update(width=decoded["width"], height=decoded["height"], frames=len(decoded["frames"]),
                                          decoded=not decoded["frames"][-1]["uniform"])
                        elif header == "data:image/svg+xml;base64":
                            root = ET.fromstring(raw)
                            result.update(decoded=root.tag.endswith("svg"))
                        else:
                            result["problem"] = "unexpected media type " + header
                    except Exception as e:
                        result["problem"] = repr(e)
                    return result

            page = Page()
            page.feed(open(sys.argv[1], encoding="utf-8").read())
            page.close()
            print(json.dumps({"images": page.images, "links": page.links, "ids": page.ids, "headings": page.headings,
                              "external": page.external, "scripts": page.scripts}))
            """);
        using var document = JsonDocument.Parse(Python(script, path, Oracle, Path.Combine(_cli.Home, "embedded.png"), GifOracle));
        var root = document.RootElement.Clone();
        Assert.Equal(0, root.GetProperty("scripts").GetInt32());
        Assert.Empty(root.GetProperty("external").EnumerateArray());
        return root;
    }

    private static string Python(params string[] arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"python {string.Join(' ', arguments)} failed: {error.Result}");
        return output.Result;
    }
}

/// <summary>A network without feature maps (ffnn-100 flattens its input first), and hints read from a pipe.</summary>
public class Drawing_a_network_without_feature_maps : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Viz_activations_refuses_with_exit_2_instead_of_writing_nothing_and_the_training_hint_stays_on_one_line()
    {
        var train = _cli.Run("train", "--arch", "ffnn-100", "--dataset", "synthetic", "--epochs", "1", "--limit", "200");
        Assert.True(train.ExitCode == 0, train.All);
        // Redirected output has no terminal width: the hint's psql command must stay whole, so it can be pasted back.
        Assert.Contains(train.Lines, l => l.StartsWith("Recorded as trial 1:", StringComparison.Ordinal) && l.EndsWith("db url --read-only)\".", StringComparison.Ordinal));
        Assert.Contains("In the browser: `experiments dashboard`, then http://127.0.0.1:5170/trials/1.", train.Lines);

        var run = _cli.Run("viz", "activations", "--trial", "1", "--image", "0");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("ffnn-100 has no layer with C×H×W output", run.Error);
        Assert.Equal("", run.Output);
    }

    public void Dispose() => _cli.Dispose();
}
