using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Experiments.Silo.Tests;

public class Recording_and_querying_results : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Train_records_every_epoch_and_the_results_commands_read_them_back()
    {
        Assert.Equal(0, Train("--lr", "1e-3").ExitCode);
        Assert.Equal(0, Train("--lr", "3e-3").ExitCode);

        var list = Json(_cli.Run("results", "list", "--json"));
        Assert.Equal(2, list.GetArrayLength());
        Assert.All(list.EnumerateArray(), t => Assert.Equal(3, t.GetProperty("epochsRecorded").GetInt32()));

        var show = Json(_cli.Run("results", "show", "1", "--json"));
        Assert.Equal([0, 1, 2], show.GetProperty("epochs").EnumerateArray().Select(e => e.GetProperty("epoch").GetInt32()));
        Assert.Equal("completed", show.GetProperty("trial").GetProperty("status").GetString());

        var top = Json(_cli.Run("results", "top", "--metric", "val_loss", "--json"));
        var losses = top.EnumerateArray().Select(t => t.GetProperty("rankedValue").GetDouble()).ToList();
        Assert.Equal(losses.Order(), losses);

        var csv = _cli.Run("results", "export", "--format", "csv").Output.Trim().Split('\n');
        Assert.StartsWith("trial,architecture,dataset,epoch,", csv[0]);
        Assert.Equal(1 + 2 * 3, csv.Length);

        var compare = _cli.Run("results", "compare", "1", "2");
        Assert.Equal(0, compare.ExitCode);
        Assert.Contains("3e-3", compare.Output);
        Assert.Contains("val acc, epoch 2", compare.Output);

        var count = Json(_cli.Run("results", "sql", "select sum(coalesce(jsonb_array_length(members), 1)) as n from weight_tensors where trial_id = 1 and epoch = 0", "--json"));
        Assert.Equal("4", count[0].GetProperty("n").GetString()); // ffnn-100: two linear layers, weight and bias each (small ones packed)
    }

    [Fact]
    public void Every_epoch_records_confusion_matrices_and_roc_for_each_split()
    {
        Assert.Equal(0, Train().ExitCode);

        var show = Json(_cli.Run("results", "show", "1", "--json"));
        var epochs = show.GetProperty("epochs");
        var metrics = show.GetProperty("metrics").EnumerateArray().ToList();

        Assert.Equal(3 * 3, metrics.Count); // epochs 0–2 × train sample, val, test
        Assert.Equal(["train", "val", "test"], metrics.Take(3).Select(m => m.GetProperty("split").GetString()));
        var lastTest = metrics.Last(m => m.GetProperty("split").GetString() == "test");
        var classification = lastTest.GetProperty("classification");
        var confusion = classification.GetProperty("confusionMatrix").EnumerateArray().Select(r => r.EnumerateArray().Sum(n => n.GetInt32())).Sum();
        Assert.Equal(epochs[2].GetProperty("test").GetProperty("samples").GetInt32(), confusion);
        Assert.Equal(epochs[2].GetProperty("test").GetProperty("accuracy").GetDouble(), classification.GetProperty("accuracy").GetDouble(), 12);
        Assert.InRange(lastTest.GetProperty("macroAuc").GetDouble(), 0.5, 1.0);
        Assert.Equal(10, lastTest.GetProperty("auc").GetArrayLength());
    }

    [Fact]
    public void Ad_hoc_sql_cannot_change_the_results()
    {
        Assert.Equal(0, Train().ExitCode);

        var delete = _cli.Run("results", "sql", "delete from trials");

        Assert.NotEqual(0, delete.ExitCode);
        Assert.Contains("read-only transaction", delete.All);
        Assert.Equal(1, Json(_cli.Run("results", "list", "--json")).GetArrayLength());
    }

    [Fact]
    public void A_diverged_trial_is_recorded_as_diverged_with_its_message()
    {
        Assert.Equal(3, Train("--optimizer", "sgd", "--lr", "1e30").ExitCode);

        var trial = Json(_cli.Run("results", "show", "1", "--json")).GetProperty("trial");

        Assert.Equal("diverged", trial.GetProperty("status").GetString());
        Assert.Contains("NaN or infinite", trial.GetProperty("error").GetString());
    }

    [Fact]
    public void A_diverged_trial_keeps_the_epoch_that_diverged_and_is_never_ranked_by_its_untrained_epoch()
    {
        Assert.Equal(0, Train("--lr", "3e-3").ExitCode);
        Assert.Equal(3, Train("--optimizer", "sgd", "--lr", "1e30").ExitCode);

        var show = Json(_cli.Run("results", "show", "2", "--json"));
        var epochs = show.GetProperty("epochs").EnumerateArray().ToList();
        Assert.Equal([0, 1], epochs.Select(e => e.GetProperty("epoch").GetInt32()));
        Assert.Equal("NaN", epochs[1].GetProperty("train").GetProperty("loss").GetString());
        Assert.Equal(JsonValueKind.Null, show.GetProperty("trial").GetProperty("bestEpoch").ValueKind);
        var snapshots = Json(_cli.Run("results", "sql", "select distinct epoch from weight_tensors where trial_id = 2", "--json"));
        Assert.Equal(["0"], snapshots.EnumerateArray().Select(r => r.GetProperty("epoch").GetString()));

        var top = Json(_cli.Run("results", "top", "--json"));
        Assert.Equal([1], top.EnumerateArray().Select(t => t.GetProperty("id").GetInt32()));
        var list = Json(_cli.Run("results", "list", "--json")).EnumerateArray().ToDictionary(t => t.GetProperty("id").GetInt32());
        Assert.Equal(JsonValueKind.Null, list[2].GetProperty("bestEpoch").ValueKind);
        Assert.InRange(list[1].GetProperty("bestEpoch").GetInt32(), 1, 2);
        // The latest epoch with weights is what an export of the diverged trial takes.
        var export = _cli.Run("results", "export-weights", "--trial", "2", "--out", Path.Combine(_cli.Home, "w.safetensors"));
        Assert.True(export.ExitCode == 0, export.All);
        Assert.Contains("epoch 0", export.Output);
    }

    [Fact]
    public void A_limit_of_n_images_holds_validation_out_of_those_n_and_is_recorded_and_shown()
    {
        Assert.Equal(0, Train("--val-split", "0.1").ExitCode); // Train() uses --limit 400

        var show = Json(_cli.Run("results", "show", "1", "--json"));
        var trial = show.GetProperty("trial");
        using var hyperparameters = JsonDocument.Parse(trial.GetProperty("hyperparametersJson").GetString()!);
        Assert.Equal(400, hyperparameters.RootElement.GetProperty("limit").GetInt32());
        Assert.Equal([1, 28, 28], hyperparameters.RootElement.GetProperty("input").EnumerateArray().Select(d => d.GetInt32()));
        var context = trial.GetProperty("context");
        Assert.Equal((360, 40), (context.GetProperty("trainImages").GetInt32(), context.GetProperty("validationImages").GetInt32()));
        var lastEpoch = show.GetProperty("epochs")[2];
        Assert.Equal((360, 40), (lastEpoch.GetProperty("train").GetProperty("samples").GetInt32(), lastEpoch.GetProperty("validation").GetProperty("samples").GetInt32()));

        var text = _cli.Run("results", "show", "1").Output;
        Assert.Contains("the first 400 training images", text);
        Assert.Contains("360 / 40 / 1,000", text);
        Assert.Contains("1×28×28", text);
        var compare = _cli.Run("results", "compare", "1", "1").Output;
        Assert.Contains("the first 400 training images", compare);

        var csv = _cli.Run("results", "export", "--format", "csv").Output.Trim().Split('\n');
        var header = csv[0].Split(',');
        var row = csv[1].Split(',');
        string Column(string name) => row[Array.IndexOf(header, name)];
        Assert.Equal(("400", "360", "40", "1000", "1x28x28"), (Column("limit"), Column("train_images"), Column("val_images"), Column("test_images"), Column("input")));
        Assert.Equal(("adam", "64", "0", "0.001"), (Column("optimizer"), Column("batch_size"), Column("weight_decay"), Column("lr")));
        foreach (var macro in new[] { "val_macro_precision", "val_macro_recall", "val_macro_f1", "test_macro_precision", "test_macro_recall", "test_macro_f1" })
            Assert.InRange(double.Parse(Column(macro), System.Globalization.CultureInfo.InvariantCulture), 0, 1);
    }

    [Fact]
    public void A_negative_limit_is_bad_input_named_in_one_line()
    {
        var run = _cli.Run("train", "--arch", "ffnn-100", "--dataset", "synthetic", "--limit", "-1");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: --limit must be 0 (all images) or more, got -1", run.All.Trim(), ignoreCase: true);
    }

    [Fact]
    public void Each_trial_records_the_code_version_it_was_built_from_and_its_host()
    {
        Assert.Equal(0, Train().ExitCode);

        var context = Json(_cli.Run("results", "show", "1", "--json")).GetProperty("trial").GetProperty("context");

        Assert.Equal(Repository.Commit() ?? "unknown", context.GetProperty("codeVersion").GetString());
        Assert.Equal(Environment.MachineName, context.GetProperty("host").GetString());
        Assert.Contains(Environment.MachineName, _cli.Run("results", "show", "1").Output);
    }

    [Fact]
    public void Leaderboards_show_each_figure_once_count_trained_epochs_and_write_learning_rates_as_researchers_do()
    {
        Assert.Equal(0, Train("--lr", "3e-3", "--weight-decay", "5e-4").ExitCode);
        Assert.Equal(3, Train("--optimizer", "sgd", "--lr", "1e30").ExitCode);

        var top = _cli.Run("results", "top");
        var list = _cli.Run("results", "list");

        Assert.True(top.ExitCode == 0, top.All);
        var row = top.Lines.Single(l => l.Contains("ffnn-100"));
        var cells = row.Split('│', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["1", "ffnn-100", "synthetic", "completed", "2", "2"], cells[..6]); // 2 epochs trained; epoch 0 is not one
        Assert.Equal("3e-3 / 5e-4", cells[^1]);
        Assert.Equal(9, cells.Length); // no extra column repeating the validation accuracy as a fraction
        Assert.EndsWith("%", cells[6]);
        Assert.Contains("1e+30 / 0", list.Output);
        Assert.DoesNotContain("1000000000000000", list.Output);
        Assert.Contains("0 (untrained)", _cli.Run("results", "show", "1").Output);
    }

    [Fact]
    public void Db_url_prints_a_uri_that_psql_and_the_db_option_accept()
    {
        Assert.Equal(0, Train().ExitCode);
        var url = _cli.Run("db", "url").Output.Trim();
        Assert.StartsWith("postgresql://", url);

        var psql = Process.Start(new ProcessStartInfo("psql", [url, "-At", "-c", "select count(*) from trials"]) { RedirectStandardOutput = true })!;
        var answer = psql.StandardOutput.ReadToEnd().Trim();
        psql.WaitForExit();
        Assert.Equal("1", answer);

        Assert.Equal(1, Json(_cli.Run("results", "list", "--json", "--db", url)).GetArrayLength());
    }

    [Fact]
    public void Naming_a_trial_that_does_not_exist_is_a_clear_error()
    {
        var run = _cli.Run("results", "show", "42");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("there is no trial 42", run.All);
    }

    private CliRun Train(params string[] extra) =>
        _cli.Run(["train", "--arch", "ffnn-100", "--dataset", "synthetic", "--epochs", "2", "--limit", "400", "--json", .. extra]);

    private static JsonElement Json(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.All);
        return JsonDocument.Parse(run.Output).RootElement.Clone();
    }

    [Fact]
    public void A_sweep_trial_stores_and_exports_the_input_of_its_dataset_and_what_it_trained_on()
    {
        var sweep = _cli.WriteFile("one.yaml", """
            name: one
            dataset: synthetic
            epochs: 1
            grid:
              arch: [ffnn-100]
            """);
        var run = _cli.Run("sweep", "run", sweep, "--slots", "1", "--threads", "1");
        Assert.True(run.ExitCode == 0, run.All);

        // ffnn-100's default input is 3×32×32; the synthetic images it trained on are 1×28×28.
        var spec = Json(_cli.Run("results", "sql", "select architecture_spec->>'input' as input from trials where id = 1", "--json"));
        Assert.Equal("[1, 28, 28]", spec[0].GetProperty("input").GetString());
        var context = Json(_cli.Run("results", "show", "1", "--json")).GetProperty("trial").GetProperty("context");
        Assert.Equal((4_500, 500), (context.GetProperty("trainImages").GetInt32(), context.GetProperty("validationImages").GetInt32()));

        var weights = Path.Combine(_cli.Home, "sweep.safetensors");
        var export = _cli.Run("results", "export-weights", "--trial", "1", "--out", weights);
        Assert.True(export.ExitCode == 0, export.All);
        var pytorch = PythonOracle.Run("load_safetensors.py", weights);
        Assert.Equal([1, 28, 28], pytorch.GetProperty("input").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(4, pytorch.GetProperty("tensors").GetInt32());

        // The report's leaderboard ranks by val_accuracy and shows it once, as the validation accuracy column.
        var report = _cli.Run("viz", "report", "--sweep", "1", "--top", "0");
        Assert.True(report.ExitCode == 0, report.All);
        var page = File.ReadAllText(report.Lines[^1]);
        Assert.Contains("<th>best epoch</th><th>val accuracy</th><th>test accuracy</th>", page);
    }

    public void Dispose() => _cli.Dispose();
}

public class Exporting_weights_to_pytorch : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Pytorch_loads_the_safetensors_and_reproduces_the_recorded_test_accuracy()
    {
        var (recorded, pytorch) = TrainExportAndEvaluate("lenet-matconvnet", "3000", "--epoch", "1");

        Assert.Equal(2_000, pytorch.GetProperty("samples").GetInt32());
        Assert.Equal(1, pytorch.GetProperty("epoch").GetInt32());
        Assert.Equal(recorded, pytorch.GetProperty("recorded_test_accuracy").GetDouble());
        Assert.InRange(pytorch.GetProperty("accuracy").GetDouble(), recorded - 0.001, recorded + 0.001);
    }

    [Fact]
    public void Pytorch_loads_an_ffnn_100_trained_on_mnist_strictly_although_its_default_input_is_cifars()
    {
        // evaluate_safetensors.py loads with load_state_dict(strict=True) into the model of the file's own spec.
        var (recorded, pytorch) = TrainExportAndEvaluate("ffnn-100", "2000");

        Assert.Equal(recorded, pytorch.GetProperty("recorded_test_accuracy").GetDouble());
        Assert.InRange(pytorch.GetProperty("accuracy").GetDouble(), recorded - 0.001, recorded + 0.001);
    }

    /// <summary>Trains one epoch on MNIST, exports the weights and has PyTorch evaluate them on the test split.</summary>
    private (double Recorded, JsonElement PyTorch) TrainExportAndEvaluate(string architecture, string limit, params string[] exportOptions)
    {
        Assert.Equal(0, _cli.Run("data", "fetch", "mnist").ExitCode);
        var train = _cli.Run("train", "--arch", architecture, "--dataset", "mnist", "--epochs", "1", "--limit", limit, "--json");
        Assert.True(train.ExitCode == 0, train.All);
        var recorded = JsonDocument.Parse(train.Output).RootElement.GetProperty("epochs")[1].GetProperty("test").GetProperty("accuracy").GetDouble();
        var weights = Path.Combine(_cli.Home, "w.safetensors");

        var export = _cli.Run(["results", "export-weights", "--trial", "1", .. exportOptions, "--out", weights]);
        Assert.True(export.ExitCode == 0, export.All);
        return (recorded, Evaluate(weights));
    }

    private JsonElement Evaluate(string weights)
    {
        var mnist = Path.Combine(_cli.Home, "datasets", "mnist");
        return PythonOracle.Run("evaluate_safetensors.py", weights,
            Path.Combine(mnist, "t10k-images-idx3-ubyte"), Path.Combine(mnist, "t10k-labels-idx1-ubyte"));
    }

    public void Dispose() => _cli.Dispose();
}
