using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Experiments.Contracts;
using Experiments.Datasets;
using Experiments.Silo.Rendering;
using Experiments.Store;
using Experiments.Visualization;
using Experiments.Visualization.Exports;
using Experiments.Worker.Recording;
using Spectre.Console;

namespace Experiments.Silo.Cli;

/// <summary><c>experiments results …</c>: read what training recorded, as tables for people and JSON/CSV/SQL for tools.</summary>
public static class ResultsCommands
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static Command Create()
    {
        var results = new Command("results", "Query recorded trials: every epoch's metrics and weight snapshots live in PostgreSQL (docs/schema.md).");
        results.Subcommands.Add(List());
        results.Subcommands.Add(Show());
        results.Subcommands.Add(Top());
        results.Subcommands.Add(Compare());
        results.Subcommands.Add(Export());
        results.Subcommands.Add(Sql());
        results.Subcommands.Add(ExportWeights());
        results.Subcommands.Add(PruneCommand.Create());
        return results;
    }

    private static Command List()
    {
        var (db, json) = (StoreAccess.DbOption(), JsonOption());
        var sweep = new Option<long?>("--sweep") { Description = "Only this sweep's trials." };
        var limit = new Option<int>("--limit") { Description = "At most this many trials, newest first.", DefaultValueFactory = _ => 50 }.AtLeastOne();
        var command = new Command("list", "List recorded trials, newest first, with their best epoch.") { db, sweep, limit, json };
        command.SetAction((parse, ct) => WithStore(parse, db, ct, async store =>
        {
            var trials = await store.ListTrialsAsync(parse.GetValue(sweep), parse.GetValue(limit), ct);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(trials, Json));
            else AnsiConsole.Write(TrialTable(trials, rankedBy: null));
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Show()
    {
        var (db, json) = (StoreAccess.DbOption(), JsonOption());
        var trial = new Argument<long>("trial") { Description = $"The trial's id (see `{ExperimentsCommand.Name} results list`)." }.Needing("a trial id", "3", values: "the trial id");
        var command = new Command("show", "Show one trial: its settings and every epoch's train / validation / test figures.") { trial, db, json };
        command.SetAction((parse, ct) => WithStore(parse, db, ct, async store =>
        {
            var id = parse.GetValue(trial);
            var row = await store.GetTrialAsync(id, ct) ?? throw new TrialNotFoundException($"there is no trial {id}; see `{ExperimentsCommand.Name} results list`");
            var epochs = await store.GetEpochsAsync(id, ct);
            var weightEpochs = await store.SnapshotEpochsAsync(id, ct);
            var evaluations = (await store.GetArtifactsAsync(id, TrialRecorder.ClassificationKind, ct))
                .Select(a => (a.Epoch, a.Split, Evaluation: Analysis.SplitEvaluation.FromJson(a.Json))).ToList();
            if (parse.GetValue(json))
            {
                var metrics = evaluations.Select(e => new
                {
                    epoch = e.Epoch,
                    split = e.Split,
                    classification = e.Evaluation.Classification,
                    auc = e.Evaluation.Roc.Curves.Select(c => c.Auc),
                    macroAuc = e.Evaluation.Roc.MacroAuc,
                });
                Console.WriteLine(JsonSerializer.Serialize(new { trial = row, epochs, weightEpochs, metrics }, Json));
                return CommandErrors.Ok;
            }
            AnsiConsole.MarkupLine(Markup.Escape($"trial {row.Id}: {row.Architecture} on {row.Dataset}, {row.Status.ToText()}, seed {row.Seed}, attempts {row.Attempts}"));
            var settings = new Table().RoundedBorder().Title("settings").AddColumn("setting").AddColumn("value");
            foreach (var (name, value) in TrialSettings.Of(row)) settings.AddRow(Markup.Escape(name), Markup.Escape(value));
            AnsiConsole.Write(settings);
            if (row.Error is { Length: > 0 }) AnsiConsole.MarkupLine("[red]" + Markup.Escape(row.Error) + "[/]");
            AnsiConsole.Write(Rendering.EpochTable.Build(epochs, weightEpochs));
            if (evaluations.Count > 0) WriteClassification(evaluations, row.Dataset, await Visualization.FigureEpoch.ResolveAsync(store, id, null, ct));
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Top()
    {
        var (db, json) = (StoreAccess.DbOption(), JsonOption());
        var metric = new Option<string>("--metric") { Description = "Rank by: " + string.Join(", ", ResultsStore.RankableMetrics.Keys) + ".", DefaultValueFactory = _ => "val_accuracy" };
        var sweep = new Option<long?>("--sweep") { Description = "Only this sweep's trials." };
        var limit = new Option<int>("--limit") { Description = "How many trials.", DefaultValueFactory = _ => 10 }.AtLeastOne();
        var command = new Command("top", "The leaderboard: trials ranked by their best epoch on a metric (accuracies high, losses low).") { db, metric, sweep, limit, json };
        command.SetAction((parse, ct) => WithStore(parse, db, ct, async store =>
        {
            var name = parse.GetValue(metric)!;
            if (!ResultsStore.RankableMetrics.ContainsKey(name))
                throw new ArgumentException($"--metric {name} is not a metric; use one of {string.Join(", ", ResultsStore.RankableMetrics.Keys)}");
            var trials = await store.TopAsync(name, parse.GetValue(sweep), parse.GetValue(limit), ct);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(trials, Json));
            else AnsiConsole.Write(TrialTable(trials, rankedBy: name));
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Compare()
    {
        var (db, json) = (StoreAccess.DbOption(), JsonOption());
        var trials = new Argument<long[]>("trials") { Description = "Two or more trial ids.", Arity = ArgumentArity.OneOrMore }.Needing("two or more trial ids", "3 4");
        var command = new Command("compare", "Compare trials side by side: settings, and validation accuracy at every epoch.") { trials, db, json };
        command.SetAction((parse, ct) => WithStore(parse, db, ct, async store =>
        {
            var rows = new List<(TrialRow Trial, IReadOnlyList<EpochRecord> Epochs)>();
            foreach (var id in parse.GetValue(trials)!)
                rows.Add((await store.GetTrialAsync(id, ct) ?? throw new TrialNotFoundException($"there is no trial {id}"), await store.GetEpochsAsync(id, ct)));
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => new { trial = r.Trial, epochs = r.Epochs }), Json));
                return CommandErrors.Ok;
            }
            var table = new Table().RoundedBorder().AddColumn("");
            foreach (var (trial, _) in rows) table.AddColumn(new TableColumn($"trial {trial.Id}").RightAligned());
            var settings = rows.Select(r => TrialSettings.Of(r.Trial).ToDictionary(s => s.Name, s => s.Value)).ToList();
            foreach (var name in rows.SelectMany(r => TrialSettings.Of(r.Trial)).Select(s => s.Name).Distinct())
                table.AddRow([Markup.Escape(name), .. settings.Select(s => Markup.Escape(s.GetValueOrDefault(name, "–")))]);
            table.AddRow(["status", .. rows.Select(r => r.Trial.Status.ToText())]);
            table.AddRow(["epochs trained", .. rows.Select(r => r.Trial.EpochsTrained.ToString(CultureInfo.InvariantCulture))]);
            table.AddRow(["best epoch (val acc)", .. rows.Select(r => r.Trial.BestEpoch?.ToString(CultureInfo.InvariantCulture) ?? "–")]);
            table.AddRow(["best val acc", .. rows.Select(r => Percent(r.Trial.BestValAccuracy))]);
            table.AddRow(["test acc at best", .. rows.Select(r => Percent(r.Trial.TestAccuracyAtBest))]);
            var maxEpoch = rows.Max(r => r.Epochs.Count == 0 ? -1 : r.Epochs.Max(e => e.Epoch));
            for (var e = 0; e <= maxEpoch; e++)
            {
                var epoch = e;
                table.AddRow([epoch == 0 ? "val acc, epoch 0 (untrained)" : $"val acc, epoch {epoch}", .. rows.Select(r => Percent(r.Epochs.FirstOrDefault(x => x.Epoch == epoch)?.Validation?.Accuracy))]);
            }
            AnsiConsole.Write(table);
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Export()
    {
        var db = StoreAccess.DbOption();
        var format = new Option<string>("--format") { Description = "csv (one row per trial and epoch).", DefaultValueFactory = _ => "csv" };
        format.AcceptOnlyFromAmong("csv");
        var sweep = new Option<long?>("--sweep") { Description = "Only this sweep's trials." };
        var trial = new Option<long[]>("--trial") { Description = "Only these trials (repeatable).", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string?>("--out", "-o") { Description = "Write to this file instead of standard output." };
        var command = new Command("export", "Export epoch metrics for use elsewhere (pandas, R, a spreadsheet).") { db, format, sweep, trial, output };
        command.SetAction((parse, ct) => WithStore(parse, db, ct, async store =>
        {
            var ids = parse.GetValue(trial) is { Length: > 0 } chosen
                ? chosen
                : (await store.ListTrialsAsync(parse.GetValue(sweep), int.MaxValue, ct)).Select(t => t.Id).OrderBy(id => id).ToArray();
            using var csv = new StringWriter(CultureInfo.InvariantCulture);
            await EpochMetricsCsv.WriteAsync(store, ids, csv, ct);
            if (parse.GetValue(output) is { } path)
            {
                await File.WriteAllTextAsync(OutputPaths.File(path), csv.ToString(), ct);
                AnsiConsole.MarkupLine(Markup.Escape($"wrote {ids.Length} trials' epochs to {path}"));
            }
            else Console.Write(csv);
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command Sql()
    {
        var (db, json) = (StoreAccess.DbOption(), JsonOption());
        var readDb = new Option<string?>("--read-db")
        {
            Description = $"Connection string of a read-only role to query as. Default: {StoreConnection.ReaderEnvironmentVariable}, then --db / " +
                          $"{StoreConnection.EnvironmentVariable}, else the local PostgreSQL's {DatabaseRoles.Reader} role.",
        };
        var query = new Argument<string>("query") { Description = "One SELECT (or WITH, VALUES, EXPLAIN); see docs/schema.md for the tables and views." }
            .Needing("a query", "\"SELECT * FROM trials\"");
        var timeout = new Option<double>("--timeout") { Description = "Statement timeout in seconds.", DefaultValueFactory = _ => 30 };
        var limit = new Option<int>("--limit") { Description = "At most this many rows.", DefaultValueFactory = _ => 1000 }.AtLeastOne();
        var maxBytes = new Option<long>("--max-bytes") { Description = "At most this many bytes of values.", DefaultValueFactory = _ => 8L << 20 };
        var command = new Command("sql",
            "Run one ad-hoc statement as a read-only role, in a read-only transaction with a statement timeout, capped in rows and bytes.\n" +
            "It refuses a superuser connection, or one whose role may run programs, read server files or signal sessions (docs/schema.md, \"Roles\").\n" +
            $"Example: {ExperimentsCommand.Name} results sql \"select trial_id, architecture, best_epoch, best_val_accuracy from trial_summary order by best_val_accuracy desc nulls last\"")
            { query, db, readDb, timeout, limit, maxBytes, json };
        command.SetAction((parse, ct) => CommandErrors.RunAsync(async () =>
        {
            var connection = await StoreConnection.ResolveReaderAsync(parse.GetValue(readDb), parse.GetValue(db), ExperimentsHome.Resolve(),
                new SynchronousProgress<string>(message => Console.Error.WriteLine(message)), ct);
            var limits = new QueryLimits(TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(limit), parse.GetValue(maxBytes));
            var result = await ReadOnlySql.RunAsync(connection, parse.GetValue(query)!, limits, ct);
            var cut = result.Truncated switch
            {
                "rows" => $"stopped at --limit {limits.MaxRows} rows",
                "bytes" => $"stopped at --max-bytes {limits.MaxBytes:N0}",
                _ => null,
            };
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(result.Rows.Select(r => result.Columns.Zip(r).ToDictionary(p => p.First, p => p.Second)), Json));
                if (cut is not null) Console.Error.WriteLine($"notice: {result.Rows.Count} rows ({cut})");
                return CommandErrors.Ok;
            }
            var table = new Table().RoundedBorder();
            foreach (var column in result.Columns) table.AddColumn(Markup.Escape(column));
            foreach (var row in result.Rows) table.AddRow(row.Select(v => Markup.Escape(v ?? "null")).ToArray());
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine(Markup.Escape($"{result.Rows.Count} rows" + (cut is null ? "" : $" ({cut})")));
            return CommandErrors.Ok;
        }));
        return command;
    }

    private static Command ExportWeights()
    {
        var db = StoreAccess.DbOption();
        var trial = new Option<long>("--trial") { Description = "The trial.", Required = true };
        var epoch = new Option<int?>("--epoch") { Description = "The epoch (0 = before training). Default: the best, the epoch results top ranks the trial by." };
        var output = new Option<string>("--out", "-o") { Description = "The .safetensors file to write.", Required = true };
        var command = new Command("export-weights",
            "Write one epoch's weights as safetensors, with PyTorch nn.Sequential state-dict names and layouts; the metadata holds the\n" +
            "architecture spec, the epoch and the hyperparameters. In PyTorch: model.load_state_dict(tensors, strict=True).") { trial, epoch, output, db };
        command.SetAction((parse, ct) => WithStore(parse, db, ct, async store =>
        {
            var id = parse.GetValue(trial);
            var weights = await WeightsExport.ReadAsync(store, id, parse.GetValue(epoch), ct);
            var path = parse.GetValue(output)!;
            await using (var file = File.Create(OutputPaths.File(path))) weights.WriteTo(file);
            AnsiConsole.MarkupLine(Markup.Escape($"wrote {weights.Tensors.Count} tensors of trial {id}, epoch {weights.Shown.Epoch} ({weights.Shown.Why}) to {path}"));
            return CommandErrors.Ok;
        }));
        return command;
    }

    /// <summary>Macro figures per epoch and split, then the test confusion matrix of the trial's best epoch (<see cref="Visualization.FigureEpoch"/>).</summary>
    private static void WriteClassification(IReadOnlyList<(int Epoch, string Split, Analysis.SplitEvaluation Evaluation)> evaluations, string dataset,
        Visualization.ShownEpoch shown)
    {
        // The train sample's size is what its confusion matrix counts (TrainingSettings.TrainSampleSize decided it).
        var trainSample = evaluations.FirstOrDefault(e => e.Split == "train").Evaluation?.Classification.ConfusionMatrix.Sum(row => row.Sum()) ?? 0;
        var table = new Table().RoundedBorder().Title($"macro averages (train: the first {trainSample:N0} training images, evaluated after each epoch in evaluation mode)")
            .AddColumn("epoch").AddColumn("split");
        foreach (var header in new[] { "accuracy", "precision", "recall", "F1", "AUC (one-vs-rest)" }) table.AddColumn(new TableColumn(header).RightAligned());
        foreach (var (epoch, split, e) in evaluations)
        {
            var c = e.Classification;
            table.AddRow(epoch.ToString(CultureInfo.InvariantCulture), split, Percent(c.Accuracy), Fixed(c.MacroPrecision), Fixed(c.MacroRecall), Fixed(c.MacroF1), Fixed(e.Roc.MacroAuc));
        }
        AnsiConsole.Write(table);

        var best = evaluations.FirstOrDefault(e => e.Split == "test" && e.Epoch == shown.Epoch);
        if (best.Evaluation is null) return;
        var names = Datasets.DatasetCatalog.TryGet(dataset, out var descriptor) ? descriptor.ClassNames : [];
        string Name(int k) => k < names.Count ? names[k] : k.ToString(CultureInfo.InvariantCulture);
        var matrix = best.Evaluation.Classification.ConfusionMatrix;
        // On its own line rather than in the table's title, which Spectre wraps to the table's width.
        AnsiConsole.MarkupLine(Markup.Escape($"test confusion matrix of {shown}:"));
        var confusion = new Table().RoundedBorder().Title("rows: true class, columns: predicted").AddColumn("");
        for (var k = 0; k < matrix.Count; k++) confusion.AddColumn(new TableColumn(Markup.Escape(Name(k))).RightAligned());
        for (var t = 0; t < matrix.Count; t++)
            confusion.AddRow([Markup.Escape(Name(t)), .. matrix[t].Select((n, p) => p == t ? $"[green]{n}[/]" : n == 0 ? "[grey]0[/]" : n.ToString(CultureInfo.InvariantCulture))]);
        AnsiConsole.Write(confusion);
    }

    private static string Fixed(double value) => double.IsNaN(value) ? "–" : value.ToString("F4", CultureInfo.InvariantCulture);

    internal static Task<int> WithStore(ParseResult parse, Option<string?> db, CancellationToken ct, Func<ResultsStore, Task<int>> action) =>
        CommandErrors.RunAsync(async () =>
        {
            await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
            return await action(store);
        });

    /// <summary>
    /// <see cref="WithStore"/> for an action that reads and prints only after its last query: it runs on a read-only
    /// store that skips the migration check, and once more on a migrated store if the schema is behind this build
    /// (PostgreSQL's undefined_table or undefined_column).
    /// </summary>
    internal static Task<int> WithReadingStore(ParseResult parse, Option<string?> db, CancellationToken ct, Func<ResultsStore, Task<int>> action) =>
        CommandErrors.RunAsync(async () =>
        {
            try
            {
                await using var reading = await StoreAccess.OpenForReadingAsync(parse.GetValue(db), ct);
                return await action(reading);
            }
            catch (Npgsql.PostgresException e) when (e.SqlState is Npgsql.PostgresErrorCodes.UndefinedTable or Npgsql.PostgresErrorCodes.UndefinedColumn)
            {
                await using var store = await StoreAccess.OpenAsync(parse.GetValue(db), ct);
                return await action(store);
            }
        });

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON." };

    /// <summary>
    /// The leaderboard and trial list: epochs counts trained epochs (epoch 0, the untrained model, is not one), the best
    /// epoch is a trained one, and the ranked metric gets its own column only when it is not one of the accuracies shown anyway.
    /// </summary>
    internal static Table TrialTable(IReadOnlyList<TrialRow> trials, string? rankedBy)
    {
        var table = new Table().RoundedBorder().AddColumn("trial").AddColumn("architecture").AddColumn("dataset").AddColumn("status")
            .AddColumn(new TableColumn("epochs").RightAligned()).AddColumn(new TableColumn("best epoch").RightAligned());
        var rankedColumn = LeaderboardColumns.ExtraRankedColumn(rankedBy);
        if (rankedColumn is not null) table.AddColumn(new TableColumn(rankedColumn).RightAligned());
        table.AddColumn(new TableColumn("val acc").RightAligned()).AddColumn(new TableColumn("test acc").RightAligned()).AddColumn("lr / weight_decay");
        if (rankedBy is not null) table.Title(Markup.Escape($"ranked by {rankedBy} at each trial's best trained epoch"));
        foreach (var t in trials)
        {
            var cells = new List<string>
            {
                t.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(t.Architecture), Markup.Escape(t.Dataset), t.Status.ToText(),
                t.EpochsTrained.ToString(CultureInfo.InvariantCulture), t.BestEpoch?.ToString(CultureInfo.InvariantCulture) ?? "–",
            };
            if (rankedColumn is not null)
                cells.Add(rankedColumn.EndsWith("_accuracy", StringComparison.Ordinal) ? Percent(t.RankedValue) : t.RankedValue?.ToString("F4", CultureInfo.InvariantCulture) ?? "–");
            cells.AddRange([Percent(t.BestValAccuracy), Percent(t.TestAccuracyAtBest), Markup.Escape(TrialSettings.LearningRateAndDecay(t.HyperparametersJson))]);
            table.AddRow(cells.ToArray());
        }
        if (trials.Count == 0) table.Caption($"no trials recorded yet: run `{ExperimentsCommand.Name} train` or `{ExperimentsCommand.Name} demo`");
        return table;
    }

    private static string Percent(double? value) => Experiments.Contracts.PercentText.Format(value);
}
