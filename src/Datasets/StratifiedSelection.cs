namespace Experiments.Datasets;

/// <summary>
/// Picks an exact number of items so that every class keeps its share (largest-remainder rounding), shuffling
/// within each class with a seeded generator. Used for the validation split and for the test hold-out of
/// datasets that arrive without one.
/// </summary>
internal static class StratifiedSelection
{
    /// <returns>The chosen indices and the others, each in ascending order so the original order survives.</returns>
    public static (int[] Chosen, int[] Others) Choose(ReadOnlySpan<int> labels, int classes, int take, SeededRandom random)
    {
        if (take < 0 || take > labels.Length)
            throw new ArgumentOutOfRangeException(nameof(take), $"Cannot choose {take} of {labels.Length} items.");

        var byClass = new List<int>[classes];
        for (var c = 0; c < classes; c++) byClass[c] = [];
        for (var i = 0; i < labels.Length; i++) byClass[labels[i]].Add(i);

        var quotas = Quotas(byClass.Select(list => list.Count).ToArray(), labels.Length, take);
        var chosen = new List<int>(take);
        for (var c = 0; c < classes; c++)
        {
            var members = byClass[c].ToArray();
            random.Shuffle(members);
            chosen.AddRange(members.AsSpan(0, quotas[c]));
        }

        var chosenArray = chosen.ToArray();
        Array.Sort(chosenArray);
        var isChosen = new bool[labels.Length];
        foreach (var i in chosenArray) isChosen[i] = true;
        var rest = new int[labels.Length - take];
        var r = 0;
        for (var i = 0; i < labels.Length; i++)
            if (!isChosen[i]) rest[r++] = i;
        return (chosenArray, rest);
    }

    private static int[] Quotas(int[] classCounts, int total, int take)
    {
        var quotas = new int[classCounts.Length];
        if (total == 0) return quotas;
        var remainders = new double[classCounts.Length];
        var assigned = 0;
        for (var c = 0; c < classCounts.Length; c++)
        {
            var exact = (double)take * classCounts[c] / total;
            quotas[c] = (int)Math.Floor(exact);
            remainders[c] = exact - quotas[c];
            assigned += quotas[c];
        }
        // Hand out what flooring lost to the largest remainders; ties go to the lower class so it is deterministic.
        foreach (var c in Enumerable.Range(0, classCounts.Length).OrderByDescending(c => remainders[c]).ThenBy(c => c))
        {
            if (assigned == take) break;
            if (quotas[c] < classCounts[c]) { quotas[c]++; assigned++; }
        }
        return quotas;
    }
}
