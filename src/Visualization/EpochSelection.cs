using System.Globalization;

namespace Experiments.Visualization;

/// <summary>
/// Which epochs a figure covers, as typed after <c>--epochs</c>: <c>all</c>, <c>last</c>, <c>first</c>, or a list of
/// epochs and ranges such as <c>0,5,10-12</c>.
/// </summary>
public sealed record EpochSelection(string Text)
{
    public static EpochSelection All { get; } = new("all");
    public static EpochSelection Last { get; } = new("last");

    /// <summary>The chosen epochs among <paramref name="available"/>, ascending; an epoch that is not stored is an error naming what is.</summary>
    public IReadOnlyList<int> Resolve(IReadOnlyList<int> available, long trial)
    {
        if (available.Count == 0) throw new VizInputException($"trial {trial} has no recorded epochs");
        var sorted = available.Order().ToList();
        var text = Text.Trim().ToLowerInvariant();
        if (text == "all") return sorted;
        if (text == "last") return [sorted[^1]];
        if (text == "first") return [sorted[0]];
        var chosen = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                throw new VizInputException($"--epochs '{Text}' is not all, last, first or a list like 0,5,10-12");
            var (from, to) = (int.Parse(bounds[0], CultureInfo.InvariantCulture), int.Parse(bounds[^1], CultureInfo.InvariantCulture));
            if (to < from) throw new VizInputException($"--epochs range {part} runs backwards");
            for (var e = from; e <= to; e++)
            {
                if (!sorted.Contains(e))
                    throw new VizInputException($"trial {trial} has no epoch {e}; its recorded epochs are {Describe(sorted)}");
                chosen.Add(e);
            }
        }
        if (chosen.Count == 0) throw new VizInputException($"--epochs '{Text}' names no epoch");
        return [.. chosen];
    }

    private static string Describe(List<int> sorted) =>
        sorted.Count > 0 && sorted[^1] - sorted[0] == sorted.Count - 1 ? $"{sorted[0]} to {sorted[^1]}" : string.Join(", ", sorted);
}

/// <summary>
/// A request that cannot be drawn as asked (no such trial, epoch, layer, filter or split): the message names the
/// problem. An <see cref="ArgumentException"/>, so the CLI reports it as bad input (exit code 2).
/// </summary>
public sealed class VizInputException(string message) : ArgumentException(message);
