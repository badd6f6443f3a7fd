namespace Experiments.Architectures;

/// <summary>
/// The shape of one sample, without the batch dimension: C×H×W for images, F for flat features.
/// Value equality, so plans and tests can compare shapes directly.
/// </summary>
public sealed class TensorShape : IEquatable<TensorShape>
{
    private readonly int[] _dims;

    public TensorShape(params int[] dims)
    {
        if (dims.Length == 0) throw new ArgumentException("A shape needs at least one dimension.", nameof(dims));
        _dims = (int[])dims.Clone();
    }

    public IReadOnlyList<int> Dims => _dims;
    public int Rank => _dims.Length;
    public long Elements => _dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Parses <c>3x32x32</c>, <c>3×32×32</c> or <c>784</c>.</summary>
    public static TensorShape Parse(string text)
    {
        if (!TryParse(text, out var shape))
            throw new FormatException($"'{text}' is not a shape; write it like 3x32x32 (channels × height × width) or 784.");
        return shape;
    }

    public static bool TryParse(string? text, out TensorShape shape)
    {
        shape = null!;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var parts = text.Split(['x', 'X', '×', ','], StringSplitOptions.TrimEntries);
        var dims = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out dims[i]) || dims[i] <= 0)
                return false;
        shape = new TensorShape(dims);
        return true;
    }

    public bool Equals(TensorShape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);
    public override bool Equals(object? obj) => Equals(obj as TensorShape);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var d in _dims) hash.Add(d);
        return hash.ToHashCode();
    }

    public override string ToString() => string.Join('×', _dims);
}
