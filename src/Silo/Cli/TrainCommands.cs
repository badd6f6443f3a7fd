using System.CommandLine;
using System.Text.Json;
using Experiments.Architectures;
using Experiments.Contracts;
using Experiments.Datasets;
using Experiments.Silo.Rendering;
using Experiments.Worker.Engine;
using Experiments.Worker.Recording;
using Experiments.Worker.Training;
using Spectre.Console;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments train</c> and <c>experiments demo</c>: one trial, trained in this process.</summary>
public static class TrainCommands
{
    public static Command Train()
    {
        var options = new TrainingOptions(defaultArchitecture: "lenet-matconvnet", defaultEpochs: 5);
        var command = new Command("train",
            "Train one architecture on one dataset and print train / validation / test loss and accuracy for every epoch.\n" +
            $"Example: {ExperimentsCommand.Name} train --arch lenet-matconvnet --dataset mnist --epochs 3 --lr 1e-3 --weight-decay 1e-4");
        options.AddTo(command);
        var snapshotEvery = new Option<int>("--snapshot-every")
        {
            Description = "Keep the weights of every Nth epoch (plus epoch 0, the best by validation accuracy and the last); 1 = every epoch.",
            DefaultValueFactory = _ => 1,
        };
        command.Options.Add(snapshotEvery);
        command.SetAction((parse, cancellation) => CommandErrors.RunAsync(() =>
        {
            var every = parse.GetValue(snapshotEvery);
            if (every < 1) throw new ArgumentException($"--snapshot-every must be 1 (every epoch) or more, got {every}");
            return RunAsync(options.Read(parse) with { Snapshots = new Store.SnapshotPolicy(every) }, cancellation);
        }));
        return command;
    }

    internal static async Task<int> RunAsync(TrainingRequest request, CancellationToken cancellation)
    {
        var home = ExperimentsHome.Resolve();
        var architecture = ArchitectureCatalog.Resolve(request.Architecture);
        DataCommands.FetchOnFirstUse(request.Dataset, cancellation);
        var data = DatasetCatalog.Load(request.Dataset, home, request.ValidationFraction, request.SplitSeed, request.Limit);
        var plan = ShapeInference.Plan(architecture, data.Train.SampleShape);
        var settings = request.Settings;
        var problems = settings.Problems();
        if (problems.Count > 0) throw new ArgumentException(string.Join("\n", problems));

        var device = Device.Parse(request.Device);
        if (!request.Json)
            AnsiConsole.MarkupLine(Markup.Escape(
                $"Training {plan.Architecture.Name} ({plan.Parameters:N0} parameters) on {request.Dataset}: " +
                $"{data.Train.Count:N0} train / {data.Validation.Count:N0} validation / {data.Test.Count:N0} test images, " +
                $"{settings.Epochs} epochs, {settings.Optimizer.Kind} lr {SettingText.Format(settings.Optimizer.LearningRate)}, " +
                $"weight decay {SettingText.Format(settings.Optimizer.WeightDecay)}, batch {settings.BatchSize}, seed {settings.Seed}, {device}, {EngineRuntime.Description}"));

        await using var store = await StoreAccess.OpenForLongRunAsync(request.Database, cancellation);
        var (trialId, result) = request.Json
            ? await RecordedTrial.RunAsync(store, plan, request.Dataset, data, settings, request.ValidationFraction, device, cancellation: cancellation, limit: request.Limit, snapshots: request.Snapshots)
            : await ConsoleTrainingObserver.WatchAsync(settings.Epochs, observer =>
                RecordedTrial.RunAsync(store, plan, request.Dataset, data, settings, request.ValidationFraction, device, observer, cancellation, request.Limit,
                    request.Snapshots));

        // A cancelled run reports what it recorded without asking the store again.
        var weightEpochs = cancellation.IsCancellationRequested ? null : await store.SnapshotEpochsAsync(trialId, cancellation);
        if (request.Json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { trial = trialId, outcome = result.Outcome.ToString().ToLowerInvariant(), message = result.Message, epochs = result.Epochs, weightEpochs },
                new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        }
        else
        {
            AnsiConsole.Write(EpochTable.Build(result.Epochs.Select(Snapshots.ToRecord), weightEpochs));
            AnsiConsole.MarkupLine(Markup.Escape($"Recorded as trial {trialId}: `{ExperimentsCommand.Name} results show {trialId}`, or query it with psql \"$({ExperimentsCommand.Name} db url --read-only)\"."));
            // A trial outside a sweep is on no page the dashboard lists: its address is given here, as sweep run gives a sweep's.
            AnsiConsole.MarkupLine(Markup.Escape($"In the browser: `{ExperimentsCommand.Name} dashboard`, then http://127.0.0.1:{DashboardCommand.DefaultPort}/trials/{trialId}."));
        }
        switch (result.Outcome)
        {
            case TrainingOutcome.Completed:
                return CommandErrors.Ok;
            case TrainingOutcome.Diverged:
                CommandErrors.Error("diverged: " + result.Message);
                return 3;
            default:
                CommandErrors.Error(result.Message ?? "cancelled");
                return 130;
        }
    }
}

/// <summary>What one `train` invocation asked for.</summary>
public sealed record TrainingRequest(string Architecture, string Dataset, double ValidationFraction, int SplitSeed, int Limit,
    string Device, bool Json, TrainingSettings Settings, string? Database)
{
    /// <summary>Which epochs keep their weights (<c>--snapshot-every</c>); every epoch by default.</summary>
    public Store.SnapshotPolicy Snapshots { get; init; } = Store.SnapshotPolicy.EveryEpoch;
}

/// <summary>The options shared by `train` and `demo`, with the defaults a new user would expect.</summary>
internal sealed class TrainingOptions(string defaultArchitecture, int defaultEpochs)
{
    private readonly Option<string> _architecture = new("--arch", "-a")
    {
        Description = $"A built-in architecture (see `{ExperimentsCommand.Name} model list`) or a .yaml/.json layer-list file.",
        DefaultValueFactory = _ => defaultArchitecture,
    };
    private readonly Option<string> _dataset = new("--dataset", "-d") { Description = "mnist, fashion-mnist, cifar10 or synthetic.", DefaultValueFactory = _ => "mnist" };
    private readonly Option<int> _epochs = new("--epochs", "-e") { Description = "Epochs to train.", DefaultValueFactory = _ => defaultEpochs };
    private readonly Option<double> _learningRate = new("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => 1e-3 };
    private readonly Option<double> _weightDecay = new("--weight-decay") { Description = "L2 weight decay, as torch.optim's weight_decay.", DefaultValueFactory = _ => 0.0 };
    private readonly Option<double> _learningRateDecay = new("--lr-decay") { Description = "Per-epoch learning-rate decay γ: epoch e trains at lr·γ^(e−1). 1 = none.", DefaultValueFactory = _ => 1.0 };
    private readonly Option<string> _optimizer = new("--optimizer") { Description = "adam or sgd (with --momentum).", DefaultValueFactory = _ => "adam" };
    private readonly Option<double> _momentum = new("--momentum") { Description = "SGD momentum.", DefaultValueFactory = _ => 0.9 };
    private readonly Option<int> _batchSize = new("--batch-size", "-b") { Description = "Mini-batch size.", DefaultValueFactory = _ => 64 };
    private readonly Option<ulong> _seed = new("--seed") { Description = "Seed for the initial weights, the data order and dropout.", DefaultValueFactory = _ => 1UL };
    private readonly Option<int> _threads = new("--threads") { Description = "libtorch threads (0 = one per core).", DefaultValueFactory = _ => 0 };
    private readonly Option<double> _validation = new("--val-split") { Description = "Share of the training set held out for validation.", DefaultValueFactory = _ => 0.1 };
    private readonly Option<int> _limit = new("--limit") { Description = "Use only the first N training images, validation held out of them (0 = all): for quick tries. Recorded with the trial.", DefaultValueFactory = _ => 0 };
    private readonly Option<string> _device = new("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" };
    private readonly Option<bool> _json = new("--json") { Description = "Print the result as JSON instead of a table." };
    private readonly Option<string?> _database = StoreAccess.DbOption();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _architecture, _dataset, _epochs, _learningRate, _weightDecay, _learningRateDecay, _optimizer,
                     _momentum, _batchSize, _seed, _threads, _validation, _limit, _device, _json, _database })
            command.Options.Add(option);
        _optimizer.AcceptOnlyFromAmong("adam", "sgd");
    }

    public TrainingRequest Read(ParseResult parse)
    {
        var validation = parse.GetValue(_validation);
        if (!(validation >= 0 && validation < 1)) throw new ArgumentException($"--val-split must be in [0, 1), got {validation}");
        var limit = parse.GetValue(_limit);
        if (limit < 0) throw new ArgumentException($"--limit must be 0 (all images) or more, got {limit}");
        var threads = parse.GetValue(_threads);
        var settings = new TrainingSettings
        {
            Optimizer = new OptimizerSettings(
                Kind: parse.GetValue(_optimizer) == "sgd" ? OptimizerKind.Sgd : OptimizerKind.Adam,
                LearningRate: parse.GetValue(_learningRate),
                WeightDecay: parse.GetValue(_weightDecay),
                Momentum: parse.GetValue(_momentum)),
            Epochs = parse.GetValue(_epochs),
            BatchSize = parse.GetValue(_batchSize),
            LearningRateDecay = parse.GetValue(_learningRateDecay),
            Seed = parse.GetValue(_seed),
            Threads = threads == 0 ? Environment.ProcessorCount : threads,
        };
        return new TrainingRequest(parse.GetValue(_architecture)!, parse.GetValue(_dataset)!, validation, SplitSeed: 0,
            limit, parse.GetValue(_device)!, parse.GetValue(_json), settings, parse.GetValue(_database));
    }
}
