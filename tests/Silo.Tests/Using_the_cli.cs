using System.Text.Json;
using Xunit;

namespace Experiments.Silo.Tests;

public class Showing_a_model : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Prints_every_layer_with_its_output_shape_and_parameters()
    {
        var run = _cli.Run("model", "show", "lenet-cifar", "--input", "3x32x32");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("conv2d 32@5×5", run.Output);
        Assert.Contains("64×5×5", run.Output);
        Assert.Contains("69,706", run.Output);
    }

    [Fact]
    public void Prints_json_with_shapes_and_tensor_names()
    {
        var run = _cli.Run("model", "show", "lenet-cifar", "--input", "3x32x32", "--json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        var root = json.RootElement;
        Assert.Equal(69_706, root.GetProperty("parameters").GetInt64());
        Assert.Equal(8, root.GetProperty("layers").GetArrayLength());
        var conv = root.GetProperty("layers")[3];
        Assert.Equal("3.weight", conv.GetProperty("tensors")[0].GetProperty("name").GetString());
        Assert.Equal([64, 10, 10], conv.GetProperty("output").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void Rejects_an_architecture_whose_shapes_do_not_fit_naming_the_layer_and_the_arithmetic()
    {
        var file = _cli.WriteFile("too-deep.yaml", """
            layers:
              - {type: conv2d, out: 8, kernel: 5}
              - {type: maxpool, kernel: 2}
              - {type: conv2d, out: 8, kernel: 5}
              - {type: maxpool, kernel: 2}
              - {type: conv2d, out: 8, kernel: 5}
              - flatten
              - {type: linear, out: 10}
            """);

        var run = _cli.Run("model", "show", file, "--input", "1x28x28");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("layer 4 (conv2d 8@5×5)", run.All);
        Assert.Contains("n_out = (4 − 5 + 2·0)/1 + 1", run.All);
    }

    [Fact]
    public void Rejects_a_malformed_architecture_file_with_one_message_per_problem()
    {
        var file = _cli.WriteFile("typos.yaml", """
            layers:
              - {type: conv2d, out: 8, kernal: 5}
              - {type: dropout, p: 1.5}
              - {type: warp}
            """);

        var run = _cli.Run("model", "show", file);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("layers[0].kernal", run.All);
        Assert.Contains("layers[1].p", run.All);
        Assert.Contains("layers[2].type", run.All);
    }

    [Fact]
    public void Names_the_built_ins_when_the_architecture_is_unknown()
    {
        var run = _cli.Run("model", "show", "lenet-cifr");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("lenet-cifar", run.All);
    }

    public void Dispose() => _cli.Dispose();
}

public class Training_from_the_cli : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Trains_and_reports_every_epoch_as_json()
    {
        var run = _cli.Run("train", "--arch", "ffnn-100", "--dataset", "synthetic", "--epochs", "2", "--limit", "500", "--json");

        Assert.True(run.ExitCode == 0, run.All);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal("completed", json.RootElement.GetProperty("outcome").GetString());
        var epochs = json.RootElement.GetProperty("epochs");
        Assert.Equal(3, epochs.GetArrayLength());
        // --limit 500 takes 500 training images and holds the default 10% of those out for validation.
        Assert.Equal(450, epochs[1].GetProperty("train").GetProperty("samples").GetInt32());
        Assert.Equal(50, epochs[1].GetProperty("validation").GetProperty("samples").GetInt32());
        Assert.True(epochs[2].GetProperty("validation").GetProperty("accuracy").GetDouble() > 0.5);
    }

    [Fact]
    public void Prints_a_table_of_train_validation_and_test_figures()
    {
        var run = _cli.Run("train", "--arch", "ffnn-100", "--dataset", "synthetic", "--epochs", "1", "--limit", "300");

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("epoch 1/1", run.Output);
        foreach (var header in new[] { "train loss", "val acc", "test acc", "img/s" })
            Assert.Contains(header, run.Output);
    }

    [Fact]
    public void Marks_a_diverging_run_and_exits_with_its_own_code()
    {
        var run = _cli.Run("train", "--arch", "ffnn-100", "--dataset", "synthetic", "--epochs", "2", "--limit", "300",
            "--optimizer", "sgd", "--lr", "1e30");

        Assert.Equal(3, run.ExitCode);
        Assert.Contains("diverged", run.All);
        Assert.Contains("NaN or infinite", run.All);
    }

    [Fact]
    public void Fetches_mnist_on_first_use_saying_so_on_standard_error()
    {
        var run = _cli.Run("train", "--arch", "ffnn-100", "--dataset", "mnist", "--epochs", "1", "--limit", "500", "--json");

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("First use of mnist: fetching it.", run.Error);
        Assert.Equal("completed", JsonDocument.Parse(run.Output).RootElement.GetProperty("outcome").GetString());
        Assert.True(JsonDocument.Parse(_cli.Run("data", "list", "--json").Output).RootElement[0].GetProperty("fetched").GetBoolean());
    }

    [Fact]
    public void Explains_how_to_import_cifar10_when_it_cannot_be_fetched_on_first_use()
    {
        var run = _cli.Run("train", "--arch", "lenet-cifar", "--dataset", "cifar10", "--epochs", "1");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("First use of cifar10: fetching it.", run.Error);
        Assert.Contains("experiments data fetch cifar10 --from DIR", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public void Trains_doshi_mnist_without_libtorchs_raw_warning_about_its_even_same_padded_kernel()
    {
        var run = _cli.Run("train", "--arch", "doshi-mnist", "--dataset", "synthetic", "--epochs", "1", "--limit", "64", "--json");

        Assert.True(run.ExitCode == 0, run.All);
        Assert.DoesNotContain("WARNING: Logging before InitGoogleLogging", run.Error);
        Assert.DoesNotContain("padding='same' with even kernel lengths", run.Error);
    }

    [Fact]
    public void Rejects_an_unknown_dataset_listing_the_known_ones()
    {
        var run = _cli.Run("train", "--dataset", "imagenet", "--epochs", "1");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("imagenet", run.All);
        Assert.Contains("mnist", run.All);
        Assert.Contains("cifar10", run.All);
    }

    [Fact]
    public void Rejects_a_non_positive_learning_rate()
    {
        var run = _cli.Run("train", "--dataset", "synthetic", "--lr", "-0.1", "--epochs", "1");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("learning rate must be a positive number", run.All);
    }

    [Fact]
    public void Rejects_an_architecture_that_does_not_fit_the_dataset_images()
    {
        var file = _cli.WriteFile("big-kernel.json", """{"layers": [{"type": "conv2d", "out": 4, "kernel": 40}, "flatten", {"type": "linear", "out": 10}]}""");

        var run = _cli.Run("train", "--arch", file, "--dataset", "synthetic", "--epochs", "1");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("layer 0 (conv2d 4@40×40)", run.All);
    }

    public void Dispose() => _cli.Dispose();
}

public class Managing_datasets : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Lists_every_known_dataset_as_json()
    {
        var run = _cli.Run("data", "list", "--json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Output);
        Assert.Equal(["mnist", "fashion-mnist", "cifar10", "synthetic"], json.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()));
        Assert.False(json.RootElement[0].GetProperty("fetched").GetBoolean());
    }

    [Fact]
    public void Explains_how_to_import_cifar10_when_the_official_host_cannot_be_reached()
    {
        var run = _cli.Run("data", "fetch", "cifar10");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--from", run.All);
    }

    [Fact]
    public void Imports_cifar10_from_a_folder_of_official_files()
    {
        var folder = Path.Combine(_cli.Home, "official");
        // The importer accepts only full-size official batches (10,000 records each), so the files are full size.
        Experiments.Datasets.SyntheticDataset.WriteCifar10(folder);

        var run = _cli.Run("data", "fetch", "cifar10", "--from", folder);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains("50,000 train + 10,000 test", run.Output);
        var list = _cli.Run("data", "list");
        Assert.Contains("fetched", list.Output);
    }

    public void Dispose() => _cli.Dispose();
}

/// <summary>
/// Every command that writes a file, pointed at a folder that does not exist yet (field report #9, item 7): it creates
/// the folder and writes there, or refuses with one line and exit code 2. Never a .NET stack trace.
/// </summary>
public class Writing_into_a_folder_that_does_not_exist(TrainedTrialFixture fixture) : IClassFixture<TrainedTrialFixture>
{
    private readonly CliProcess _cli = fixture.Cli;
    private readonly string _trial = fixture.Trial;

    public static TheoryData<string, string[]> FileWritingCommands => new()
    {
        { "export.csv", ["results", "export", "--out"] },
        { "w.safetensors", ["results", "export-weights", "--trial", "1", "--out"] },
    };

    [Theory]
    [MemberData(nameof(FileWritingCommands))]
    public void A_results_export_creates_the_folders_of_its_out_file(string fileName, string[] command)
    {
        var path = Path.Combine(_cli.Home, "missing", Guid.NewGuid().ToString("N"), fileName);

        var run = _cli.Run([.. command.Select(a => a == "1" ? _trial : a), path]);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.True(new FileInfo(path).Length > 0, run.All);
        Assert.DoesNotContain("   at ", run.Error);
    }

    public static TheoryData<string[]> VizCommands => new()
    {
        new[] { "curves", "1" },
        new[] { "kernels", "--trial", "1", "--layer", "0" },
        new[] { "confusion", "--trial", "1" },
        new[] { "roc", "--trial", "1" },
        new[] { "health", "--trial", "1" },
        new[] { "covariance", "--dataset", "synthetic", "--sample", "50" },
        new[] { "saliency", "--trial", "1", "--image", "0" },
        new[] { "gradcam", "--trial", "1", "--image", "0", "--layer", "2" },
        new[] { "activations", "--trial", "1", "--image", "0", "--layer", "0", "--epochs", "last" },
        new[] { "probabilities", "--trial", "1", "--image", "0" },
        new[] { "decode", "--trial", "1", "--layer", "0", "--sample", "20", "--filter", "0" },
        new[] { "report", "--trial", "1", "--images", "1" },
    };

    [Theory]
    [MemberData(nameof(VizCommands))]
    public void A_viz_command_creates_its_out_folder_and_writes_every_figure_there(string[] command)
    {
        var folder = Path.Combine(_cli.Home, "missing", Guid.NewGuid().ToString("N"), command[0]);

        var run = _cli.Run(["viz", .. command.Select(a => a == "1" ? _trial : a), "--out", folder]);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.NotEmpty(Directory.GetFiles(folder));
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public void A_viz_command_refuses_an_out_folder_under_a_file_in_one_line_with_exit_code_2()
    {
        var file = _cli.WriteFile("not-a-folder.txt", "x");

        var run = _cli.Run("viz", "curves", _trial, "--out", Path.Combine(file, "figures"));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: cannot write {Path.Combine(file, "figures")}: {file} is a file, not a folder", run.Error.Trim());
    }

    [Fact]
    public void An_export_refuses_an_out_file_that_is_a_folder_in_one_line_with_exit_code_2()
    {
        var run = _cli.Run("results", "export-weights", "--trial", _trial, "--out", _cli.Home);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal($"error: cannot write {_cli.Home}: it is a folder; give a file name inside it", run.Error.Trim());
    }
}

/// <summary>
/// Command lines the parser rejects are bad input (exit code 2), one line each in our words: a value of the wrong type
/// names the option and what it takes, never a .NET type (ParseErrors).
/// </summary>
public class Rejecting_a_malformed_command_line : IDisposable
{
    private readonly CliProcess _cli = new();

    public static TheoryData<string, string[]> MalformedCommandLines => new()
    {
        { "--image is required (a whole number)", ["viz", "activations", "--trial", "8"] },
        { "--out is required", ["results", "export-weights", "--trial", "1"] },
        { "Unrecognized command or argument '--bogus'.", ["train", "--bogus"] },
        { "--epochs must be a whole number, got 'abc'", ["train", "--epochs", "abc"] },
        { "--lr must be a number, got 'fast'", ["train", "--lr", "fast"] },
        { "--optimizer must be one of adam, sgd; got 'sgdd'", ["train", "--optimizer", "sgdd"] },
        { "--scale must be one of channel, filter, layer; got 'foo'", ["viz", "kernels", "--trial", "1", "--layer", "0", "--scale", "foo"] },
        { "--split must be one of test, train; got 'foo'", ["viz", "saliency", "--trial", "1", "--image", "0", "--split", "foo"] },
        { "--unpool must be one of bicubic, bilinear, nearest; got 'foo'", ["viz", "decode", "--trial", "1", "--layer", "0", "--unpool", "foo"] },
        { "sweep validate needs a sweep file, e.g. `sweep validate examples/demo.yaml`", ["sweep", "validate"] },
        { "--slots must be a whole number, got 'many'", ["sweep", "run", "examples/demo.yaml", "--slots", "many"] },
        { "the trial id must be a whole number, got 'seven'", ["results", "show", "seven"] },
        { "the sweep id must be a whole number, got 'abc'", ["sweep", "status", "abc"] },
        { "sweep status needs a sweep id, e.g. `sweep status 1`", ["sweep", "status"] },
        { "sweep cancel needs a sweep id, e.g. `sweep cancel 1`", ["sweep", "cancel"] },
        { "data fetch needs a dataset, e.g. `data fetch mnist`", ["data", "fetch"] },
        { "model show needs an architecture, e.g. `model show lenet-matconvnet`", ["model", "show"] },
        { "--limit must be a whole number, got 'ten'", ["results", "list", "--limit", "ten"] },
        { "--epoch must be a whole number, got 'abc'", ["viz", "confusion", "--trial", "1", "--epoch", "abc"] },
        { "--trial must be a whole number, got '1.5'", ["viz", "kernels", "--trial", "1.5", "--layer", "0"] },
        { "--filter must be a whole number, got 'x'", ["viz", "kernels", "--trial", "1", "--layer", "0", "--filter", "1", "x"] },
        { "--image must be a whole number up to 2147483647, got '99999999999'", ["viz", "saliency", "--trial", "1", "--image", "99999999999"] },
        { "--dead-fraction must be a number, got 'half'", ["viz", "health", "--trial", "1", "--dead-fraction", "half"] },
        { "--top needs a value after it (a whole number)", ["viz", "kernels", "--trial", "1", "--layer", "0", "--top"] },
        { "viz curves needs at least one trial id, e.g. `viz curves 3 4`", ["viz", "curves"] },
        { "trial ids must be whole numbers, got 'abc'", ["viz", "curves", "3", "abc"] },
        { "trial 3 is given twice", ["viz", "curves", "3", "4", "3"] },
    };

    [Theory]
    [MemberData(nameof(MalformedCommandLines))]
    public void Exits_with_code_2_and_one_line_in_our_words_naming_no_dotnet_type(string message, string[] arguments)
    {
        var run = _cli.Run(arguments);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error: " + message, run.Error);
        Assert.Contains($"see `experiments {string.Join(' ', arguments.TakeWhile(a => !a.StartsWith('-') && !a.Contains('.') && a is not ("seven" or "abc" or "3")))} --help`", run.Error);
        Assert.DoesNotContain("System.", run.Error);
        Assert.DoesNotContain("   at ", run.Error);
    }

    [Fact]
    public void A_command_group_without_its_subcommand_shows_its_help_and_exits_with_code_2()
    {
        var run = _cli.Run("results");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Required command was not provided.", run.Error);
        Assert.Contains("export-weights", run.Output);
    }

    [Theory]
    [InlineData("unknown command 'nonsense' for viz; choose one of: curves, kernels, confusion, roc, health, covariance, saliency,", "viz --help", "viz", "nonsense")]
    [InlineData("unknown command 'nonsense' for sweep; choose one of: validate, ", "sweep --help", "sweep", "nonsense", "--slots", "2")]
    [InlineData("unknown command 'nonsense'; choose one of: demo, train, model, data, sweep, results, db, silo, viz, dashboard", "--help", "nonsense")]
    public void An_unknown_command_is_named_in_one_line_with_the_commands_to_choose_from_and_exit_code_2(string message, string help, params string[] arguments)
    {
        var run = _cli.Run(arguments);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: " + message, run.Error);
        Assert.Contains($"see `experiments {help}`", run.Error);
        Assert.DoesNotContain("Required command was not provided", run.All);
        Assert.Equal("", run.Output);
    }

    public void Dispose() => _cli.Dispose();
}

/// <summary>What a user sees when something fails that no command expected: one line, exit code 1.</summary>
public class Failing_unexpectedly : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Prints_one_line_without_a_stack_trace_and_exits_with_code_1()
    {
        // A home that is a file: the private PostgreSQL cannot be created under it.
        var home = _cli.WriteFile("home-is-a-file", "");

        var run = _cli.RunWith(new Dictionary<string, string> { ["EXPERIMENTS_HOME"] = home }, "results", "list");

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains("EXPERIMENTS_VERBOSE=1", line);
        Assert.DoesNotContain("   at ", run.All);
    }

    [Fact]
    public void Prints_the_full_stack_trace_when_asked_to_with_EXPERIMENTS_VERBOSE()
    {
        var home = _cli.WriteFile("home-is-a-file", "");

        var run = _cli.RunWith(new Dictionary<string, string> { ["EXPERIMENTS_HOME"] = home, ["EXPERIMENTS_VERBOSE"] = "1" }, "results", "list");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("   at ", run.Error);
    }

    [Fact]
    public void A_trial_that_throws_in_a_sweep_is_logged_in_one_line_without_a_stack_trace()
    {
        var sweep = _cli.WriteFile("one.yaml", """
            name: one
            dataset: synthetic
            epochs: 1
            max_attempts: 1
            grid:
              arch: [ffnn-100]
              lr: [1e-3]
            """);
        Assert.Equal(0, _cli.Run("sweep", "run", sweep, "--slots", "1", "--threads", "1").ExitCode);
        // A stored architecture the worker cannot rebuild: its SpecException reaches the node's log.
        _cli.ExecuteSql("""update trials set status = 'failed', architecture_spec = '{"layers": [{"type": "warp"}]}' where id = 1""");

        var run = _cli.Run("sweep", "resume", "1", "--slots", "1", "--threads", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("fail: Experiments.Worker.Node.TrialExecutor: Trial 1 failed (SpecException: trial 1: layers[0].type: unknown layer type 'warp'", run.All);
        Assert.DoesNotContain("   at ", run.All);
    }

    public void Dispose() => _cli.Dispose();
}

/// <summary>Output that no terminal reads, and hints that can be pasted back as they are.</summary>
public class Writing_for_people_and_for_pipes : IDisposable
{
    private readonly CliProcess _cli = new();

    [Fact]
    public void Prints_no_escape_codes_into_redirected_output_even_without_NO_COLOR()
    {
        // TERM names a colour terminal, as in a shell whose output is piped to a file: only the redirection says "plain".
        var terminal = new Dictionary<string, string> { ["TERM"] = "xterm-256color" };

        var runs = new[]
        {
            _cli.RunWith(terminal, ["NO_COLOR"], "model", "list"),
            _cli.RunWith(terminal, ["NO_COLOR"], "data", "list"),
            _cli.RunWith(terminal, ["NO_COLOR"], "model", "show", "lenet-cifr"),
        };

        Assert.Equal([0, 0, 2], runs.Select(r => r.ExitCode));
        foreach (var run in runs) Assert.DoesNotContain('\u001b', run.All);
    }

    [Fact]
    public void Hints_name_the_command_the_way_the_launcher_was_invoked()
    {
        var fromLauncher = _cli.RunWith(new Dictionary<string, string> { ["EXPERIMENTS_COMMAND"] = "./experiments" }, "results", "show", "99");
        var installed = _cli.Run("results", "show", "99");

        Assert.Contains("there is no trial 99; see `./experiments results list`", fromLauncher.Error);
        Assert.Contains("there is no trial 99; see `experiments results list`", installed.Error);
    }

    public void Dispose() => _cli.Dispose();
}
