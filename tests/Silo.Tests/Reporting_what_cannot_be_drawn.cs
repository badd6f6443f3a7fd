using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit;

namespace Experiments.Silo.Tests;

/// <summary>
/// <c>viz report</c> draws every part it can and turns the rest into notes that name the real reason, instead of failing
/// the page (docs/visualization.md).
/// </summary>
public sealed class Reporting_what_cannot_be_drawn : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void An_epoch_without_a_weight_snapshot_keeps_its_metrics_and_draws_the_weight_parts_from_the_nearest_stored_epoch()
    {
        var trial = Train("lenet-matconvnet", epochs: 2);
        // As a trial trained with --snapshot-every 2 keeps it: epoch 1 has metrics but no weights.
        Assert.True(_cli.ExecuteSql($"delete from weight_tensors where trial_id = {trial} and epoch = 1") > 0);

        var report = File.ReadAllText(Assert.Single(Ok("viz", "report", "--trial", trial, "--epoch", "1", "--images", "1").Lines));

        Assert.Contains("Test split at epoch 1 (as asked)", report);
        Assert.Contains("data-file=\"confusion-test-epoch-1.svg\"", report);
        // Epochs 0 and 2 are equally near; the later, trained one stands in.
        Assert.Contains("epoch 1 has no weight snapshot, so the test images and decoded filters below show epoch 2", report);
        Assert.Contains("(stored: 0, 2)", report);
        Assert.Contains("Test images at epoch 2 (the stored snapshot nearest to epoch 1, as asked, which has none)", report);
        Assert.Contains("Decoded filters at epoch 2", report);
        // The same citation as `viz decode` prints with the same numbers: 003's eq. 3 defines the error.
        Assert.Matches(@"Reconstruction MSE \(003, eq\. 3\): [-0-9.e]+ ± [-0-9.e]+ over \d+ test images", WebUtility.HtmlDecode(report));
        // Grad-CAM has no default layer in lenet-matconvnet; the note names the command that draws one, as code, not in backticks.
        Assert.Contains("Name a layer to draw one anyway (<code>viz gradcam --layer L</code>)", report);
        Assert.Empty(System.Text.RegularExpressions.Regex.Matches(report, "<p class=\"note\">[^<]*`"));
    }

    [Fact]
    public void The_reports_per_epoch_table_writes_losses_as_results_show_does_no_time_for_epoch_0_and_which_epochs_kept_weights()
    {
        var trial = Train("ffnn-100", epochs: 2);
        Assert.True(_cli.ExecuteSql($"delete from weight_tensors where trial_id = {trial} and epoch = 1") > 0);

        var report = WebUtility.HtmlDecode(File.ReadAllText(Assert.Single(Ok("viz", "report", "--trial", trial, "--images", "0").Lines)));
        var show = Ok("results", "show", trial).Output;

        // The table's rows: epoch, lr, train loss, train acc, val loss, val acc, test loss, test acc, time, img/s, weights.
        var rows = ReportEpochRows(report);
        Assert.Equal(["0 (untrained)", "1", "2"], rows.Select(r => r[0]));
        Assert.Equal(["–", "–", "✓"], rows[0][8..]);
        Assert.Equal("—", rows[1][10]);
        Assert.Equal("✓", rows[2][10]);
        foreach (var row in rows)
            foreach (var loss in new[] { row[2], row[4], row[6] })
                Assert.Contains($" {loss} ", show); // the same string as the console table's cell
    }

    [Fact]
    public void A_diverged_epoch_reads_the_same_in_the_report_as_in_results_show()
    {
        var trial = Train("ffnn-100", epochs: 2);
        // Epoch 2 as the trainer records the epoch that diverged: the running train loss not finite, no evaluation, no snapshot.
        Assert.Equal(1, _cli.ExecuteSql($"update epochs set train_loss = 'NaN', val_loss = null, val_accuracy = null, val_samples = null, " +
                                        $"test_loss = null, test_accuracy = null, test_samples = null where trial_id = {trial} and epoch = 2"));
        Assert.True(_cli.ExecuteSql($"delete from weight_tensors where trial_id = {trial} and epoch = 2") > 0);

        var report = WebUtility.HtmlDecode(File.ReadAllText(Assert.Single(Ok("viz", "report", "--trial", trial, "--images", "0").Lines)));
        var show = Ok("results", "show", trial).Lines
            .Select(l => l.Split('│', StringSplitOptions.TrimEntries)).Where(c => c.Length == 13).Select(c => c[1..^1].ToList()).ToList();

        var rows = ReportEpochRows(report);
        Assert.Equal(["0 (untrained)", "1", "2 (diverged)"], rows.Select(r => r[0]));
        Assert.Equal("NaN", rows[2][2]); // the train loss; its accuracy is the running one up to the batch that diverged
        Assert.Equal(["–", "–", "–", "–"], rows[2][4..8]); // no validation or test figures
        Assert.Equal("—", rows[2][10]);
        // Every cell of the report's table is the console table's cell for the same epoch.
        foreach (var row in rows) Assert.Contains(show, line => line.SequenceEqual(row));
    }

    [Fact]
    public void A_residual_networks_decoding_note_gives_the_decoding_planners_reason_not_a_lack_of_conv_layers()
    {
        var trial = Train("resnet-small", epochs: 1);

        var report = WebUtility.HtmlDecode(File.ReadAllText(Assert.Single(Ok("viz", "report", "--trial", trial, "--images", "0").Lines)));

        // resnet-small has a conv stem and then residual blocks (layer 3 the first), which hold conv layers of their own.
        Assert.DoesNotContain("fewer than two conv layers", report);
        Assert.Contains("decoding is left out: layer 3 (residual) of 'resnet-small' cannot be decoded: a residual layer has no filters", report);
    }

    [Fact]
    public void The_reports_activations_include_a_layer_of_500_maps_of_1x1_drawn_as_one_block()
    {
        var trial = Train("lenet-matconvnet", epochs: 1);

        var report = WebUtility.HtmlDecode(File.ReadAllText(Assert.Single(Ok("viz", "report", "--trial", trial, "--images", "1").Lines)));

        // lenet-matconvnet's layer 4 is a 4×4 conv to 500 channels of 1×1, and layer 5 its ReLU; both fit as a 25×20 block.
        Assert.Contains("Layer 4 (", report);
        Assert.Contains("): 500 maps of 1×1", report);
        Assert.Contains("Layer 5 (", report);
        Assert.DoesNotContain("are left out (see <code>viz activations", report);
    }

    private string Train(string architecture, int epochs)
    {
        var train = _cli.Run("train", "--arch", architecture, "--dataset", "synthetic", "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--limit", "200", "--json");
        Assert.True(train.ExitCode == 0, train.All);
        using var json = JsonDocument.Parse(train.Output);
        return json.RootElement.GetProperty("trial").GetInt64().ToString(CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Grad_cams_caption_names_its_layer_as_model_show_lists_it()
    {
        var trial = Train("resnet-small", epochs: 1);

        // resnet-small's default Grad-CAM layer is its last residual block, which widens 32 channels to 64 at stride 2.
        var layer5 = Ok("model", "show", "resnet-small").Lines
            .Select(l => l.Split('│', StringSplitOptions.TrimEntries)).Single(c => c.Length == 6 && c[1] == "5")[2];
        Assert.Equal("residual 32→64 s2", layer5);
        var gradCam = Ok("viz", "gradcam", "--trial", trial, "--image", "0");

        Assert.Contains($"Grad-CAM at the last rectified maps, layer 5 ({layer5}, ", gradCam.Error);
    }

    /// <summary>The rows of the report's per-epoch table (11 cells, the first naming an epoch), as text.</summary>
    private static List<List<string>> ReportEpochRows(string report) =>
        System.Text.RegularExpressions.Regex.Matches(report, "<tr>((?:<td>[^<]*</td>)+)</tr>")
            .Select(m => System.Text.RegularExpressions.Regex.Matches(m.Groups[1].Value, "<td>([^<]*)</td>").Select(c => c.Groups[1].Value).ToList())
            .Where(r => r.Count == 11 && System.Text.RegularExpressions.Regex.IsMatch(r[0], @"^\d+( \((untrained|diverged)\))?$")).ToList();

    private CliRun Ok(params string[] arguments)
    {
        var run = _cli.Run(arguments);
        Assert.True(run.ExitCode == 0, $"experiments {string.Join(' ', arguments)} exited {run.ExitCode}: {run.All}");
        return run;
    }

    public void Dispose() => _cli.Dispose();
}
