using System.CommandLine;
using System.Globalization;
using Experiments.Datasets;
using Experiments.Store;

namespace Experiments.Silo.Cli;

/// <summary>
/// <c>experiments results prune</c>: deletes weight snapshots that are not worth their bytes, never metrics or
/// artifacts. Epoch 0 and each trial's latest epoch (with its optimizer state, which resume needs) always stay.
/// </summary>
public static class PruneCommand
{
    public static Command Create()
    {
        var db = StoreAccess.DbOption();
        var trial = new Option<long?>("--trial", "-t") { Description = "Prune one trial." };
        var sweep = new Option<long?>("--sweep", "-s") { Description = "Prune every trial of a sweep." };
        var all = new Option<bool>("--all") { Description = "Prune every trial in the database." };
        var keep = new Option<string?>("--keep")
        {
            Description = "What to keep besides epoch 0 and the latest epoch: best, every:N (every Nth epoch's weights), all, or a list " +
                          "such as every:5,best (first and last are accepted too; those epochs are always kept). " +
                          "Default: every epoch's weights (only the optimizer state of older epochs goes).",
        };
        var command = new Command("prune",
            "Delete stored weight tensors to reclaim space: the optimizer state of every epoch but the latest (nothing reads it), and the weights\n" +
            "of epochs --keep does not name. Epoch 0 and the latest epoch always stay, so a trial still resumes exactly. Metrics and artifacts\n" +
            "are never touched. A running trial is refused. Reports the bytes freed.\n" +
            $"Example: {ExperimentsCommand.Name} results prune --sweep 3 --keep every:5,best,last") { trial, sweep, all, keep, db };
        command.SetAction((parse, ct) => ResultsCommands.WithStore(parse, db, ct, async store =>
        {
            var (trialId, sweepId, everything) = (parse.GetValue(trial), parse.GetValue(sweep), parse.GetValue(all));
            if ((trialId is null ? 0 : 1) + (sweepId is null ? 0 : 1) + (everything ? 1 : 0) != 1)
                throw new ArgumentException("say what to prune: exactly one of --trial T, --sweep S or --all");
            var kept = ParseKeep(parse.GetValue(keep));
            PruneResult result;
            try
            {
                result = await store.PruneSnapshotsAsync(trialId, sweepId, kept, ct);
            }
            catch (KeyNotFoundException e)
            {
                throw new TrialNotFoundException(e.Message);
            }
            Console.WriteLine(Describe(result, kept));
            return CommandErrors.Ok;
        }));
        return command;
    }

    /// <summary>
    /// <c>best</c>, <c>last</c>, <c>first</c>, <c>all</c> and <c>every:N</c>, comma-separated. <c>last</c> and <c>first</c>
    /// are accepted for clarity: epoch 0 and the latest epoch are always kept.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown item or a bad N.</exception>
    public static PruneKeep ParseKeep(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return new PruneKeep(Every: 1, Best: true);
        int? every = null;
        var best = false;
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var word = item.ToLowerInvariant();
            if (word == "best") best = true;
            else if (word is "last" or "first") { }
            else if (every is not null && (word == "all" || word.StartsWith("every:", StringComparison.Ordinal)))
                throw new ArgumentException($"--keep '{text}': name one cadence (all or every:N), not two");
            else if (word == "all") every = 1;
            else if (word.StartsWith("every:", StringComparison.Ordinal)
                     && int.TryParse(word["every:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1)
                every = n;
            else
                throw new ArgumentException($"--keep '{text}': '{item}' is not best, last, first, all or every:N (N >= 1)");
        }
        return new PruneKeep(every, best);
    }

    private static string Describe(PruneResult r, PruneKeep keep)
    {
        var kept = "epoch 0, each trial's latest epoch (with its optimizer state, for resume)"
                   + (keep.Every is 1 ? ", every epoch's weights" : keep.Every is { } n ? $", the weights of every epoch divisible by {n}" : "")
                   + (keep.Best && keep.Every is not 1 ? ", the best epoch" : "");
        if (r.Tensors == 0) return $"Nothing to prune: every stored tensor is kept ({kept}).";
        var lines = new List<string>
        {
            $"Pruned {r.Trials} trial{(r.Trials == 1 ? "" : "s")}: the weights of {r.EpochsWithoutWeights} epoch{(r.EpochsWithoutWeights == 1 ? "" : "s")} and " +
            $"the optimizer state of {r.OptimizerEpochs} epoch{(r.OptimizerEpochs == 1 ? "" : "s")}; {r.Tensors:N0} tensor{(r.Tensors == 1 ? "" : "s")}, {Bytes(r.StoredBytes)} as stored ({Bytes(r.RawBytes)} of tensor data). Kept: {kept}.",
            $"weight_tensors on disk: {Bytes(r.TableBytesBefore)} before, {Bytes(r.TableBytesAfter)} after VACUUM " +
            $"({Bytes(Math.Max(0, r.TableBytesBefore - r.TableBytesAfter))} returned to the operating system).",
        };
        if (r.TableBytesBefore - r.TableBytesAfter < r.StoredBytes)
            lines.Add("The rest is free space that new snapshots reuse; `VACUUM FULL weight_tensors` in psql returns it to the operating system, " +
                      "but locks the table (no epoch can be recorded) while it rewrites it.");
        return string.Join(Environment.NewLine, lines);
    }

    private static string Bytes(long bytes) => $"{bytes:N0} bytes" + (bytes >= 1 << 20 ? $" ({bytes / 1048576.0:F1} MiB)" : "");
}
