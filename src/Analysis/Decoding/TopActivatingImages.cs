namespace Experiments.Analysis.Decoding;

/// <summary>One image's strongest activation of a filter (the maximum over the filter's positions).</summary>
public sealed record ImageActivation(int Image, float Activation);

/// <summary>
/// Keeps, for every filter, the images that activate it most (003, Fig. 1 and Fig. 4 c, d, f). Fed one image at a
/// time with that image's activation of every filter; ties go to the earlier image, so the result is deterministic.
/// </summary>
public sealed class TopActivatingImages
{
    private readonly List<ImageActivation>[] _best;

    public TopActivatingImages(int filters, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(filters);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        Keep = keep;
        _best = Enumerable.Range(0, filters).Select(_ => new List<ImageActivation>(keep + 1)).ToArray();
    }

    public int Keep { get; }

    /// <summary>Records image <paramref name="image"/>, whose response is <paramref name="response"/> (filters × positions).</summary>
    public void Offer(int image, ReadOnlySpan<float> response)
    {
        if (_best.Length == 0) return;
        if (response.Length % _best.Length != 0)
            throw new ArgumentException($"a response of {response.Length} values does not split over {_best.Length} filters", nameof(response));
        var positions = response.Length / _best.Length;
        for (var k = 0; k < _best.Length; k++)
        {
            var strongest = float.NegativeInfinity;
            foreach (var value in response.Slice(k * positions, positions))
                if (value > strongest) strongest = value;
            var best = _best[k];
            // Strictly greater than the weakest kept: an equal later image never displaces an earlier one.
            if (best.Count == Keep && !(strongest > best[^1].Activation)) continue;
            var at = best.FindIndex(b => strongest > b.Activation);
            best.Insert(at < 0 ? best.Count : at, new ImageActivation(image, strongest));
            if (best.Count > Keep) best.RemoveAt(best.Count - 1);
        }
    }

    /// <summary>Per filter, its top images, strongest first.</summary>
    public IReadOnlyList<IReadOnlyList<ImageActivation>> Result() => _best.Select(b => (IReadOnlyList<ImageActivation>)b.ToArray()).ToArray();
}
