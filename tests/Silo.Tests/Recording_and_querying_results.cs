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
        Assert.Contains("0.003", compare.Output);
        Assert.Contains("val acc, epoch 2", compare.Output);

        var count = Json(_cli.Run("results", "sql", "select count(*) as n from weight_tensors where trial_id = 1 and epoch = 0", "--json"));
        Assert.Equal("4", count[0].GetProperty("n").GetString()); // ffnn-100: two linear layers, weight and bias each
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

    public void Dispose() => _cli.Dispose();
}

public class Exporting_weights_to_pytorch : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Pytorch_loads_the_safetensors_and_reproduces_the_recorded_test_accuracy()
    {
        Assert.Equal(0, _cli.Run("data", "fetch", "mnist").ExitCode);
        var train = _cli.Run("train", "--arch", "lenet-matconvnet", "--dataset", "mnist", "--epochs", "1", "--limit", "3000", "--json");
        Assert.True(train.ExitCode == 0, train.All);
        var recorded = JsonDocument.Parse(train.Output).RootElement.GetProperty("epochs")[1].GetProperty("test").GetProperty("accuracy").GetDouble();
        var weights = Path.Combine(_cli.Home, "w.safetensors");

        var export = _cli.Run("results", "export-weights", "--trial", "1", "--epoch", "1", "--out", weights);
        Assert.True(export.ExitCode == 0, export.All);

        var mnist = Path.Combine(_cli.Home, "datasets", "mnist");
        var python = new ProcessStartInfo("/usr/bin/python3",
            [Path.Combine(Repository.Root(), "tests", "oracle", "evaluate_safetensors.py"), weights,
             Path.Combine(mnist, "t10k-images-idx3-ubyte"), Path.Combine(mnist, "t10k-labels-idx1-ubyte")])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        python.Environment["OPENBLAS_NUM_THREADS"] = "1";
        using var process = Process.Start(python)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "PyTorch could not evaluate the export (apt-get install python3-torch?): " + error);
        var pytorch = JsonDocument.Parse(output).RootElement;

        Assert.Equal(2_000, pytorch.GetProperty("samples").GetInt32());
        Assert.Equal(1, pytorch.GetProperty("epoch").GetInt32());
        Assert.Equal(recorded, pytorch.GetProperty("recorded_test_accuracy").GetDouble());
        Assert.InRange(pytorch.GetProperty("accuracy").GetDouble(), recorded - 0.001, recorded + 0.001);
    }

    public void Dispose() => _cli.Dispose();
}
