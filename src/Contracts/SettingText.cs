using System.Globalization;

namespace Experiments.Contracts;

/// <summary>
/// Numbers of settings (learning rates, decays, momentum) written the way a researcher writes them: small and huge
/// values in short scientific notation (1e-3, 3e-3, 5e-4, 1e+30), everyday ones plainly (0.05, 0.9, 64), with at most
/// four significant digits (a random search's 0.000123456 reads 1.235e-4; the stored value keeps every digit).
/// Every table and label that shows a setting uses this.
/// </summary>
public static class SettingText
{
    // Between these bounds a plain decimal is as short as scientific notation and easier to read.
    private const double PlainFrom = 1e-2, PlainBelow = 1e5;

    public static string Format(double value) => Format(value, significantDigits: 4);

    /// <summary>
    /// The same form with at most <paramref name="significantDigits"/> significant digits: pictures' colour bars write
    /// three (8.81e-6), never .NET's "8.81E-06", so that every figure writes a small number one way.
    /// </summary>
    public static string Format(double value, int significantDigits)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(significantDigits, 1);
        if (value == 0) return "0";
        if (!double.IsFinite(value)) return value.ToString(CultureInfo.InvariantCulture);
        var rounded = double.Parse(value.ToString("G" + significantDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var magnitude = Math.Abs(rounded);
        if (magnitude >= PlainFrom && magnitude < PlainBelow) return rounded.ToString("R", CultureInfo.InvariantCulture);

        // "R" gives the shortest digits that round-trip, as "0.003" or "1E+30"; rewrite them as d.ddd e±x.
        var shortest = magnitude.ToString("R", CultureInfo.InvariantCulture);
        var parts = shortest.Split('E');
        var exponent = parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 0;
        var point = parts[0].IndexOf('.');
        var digits = parts[0].Replace(".", "", StringComparison.Ordinal);
        var leadingZeros = digits.Length - digits.TrimStart('0').Length;
        exponent += (point < 0 ? parts[0].Length : point) - 1 - leadingZeros;
        var significant = digits[leadingZeros..].TrimEnd('0');
        var mantissa = significant.Length > 1 ? significant[0] + "." + significant[1..] : significant;
        var sign = value < 0 ? "-" : "";
        return $"{sign}{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent).ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>A setting as stored in JSON: numbers through <see cref="Format(double)"/>, text as it is.</summary>
    public static string Format(System.Text.Json.JsonElement value) => value.ValueKind switch
    {
        System.Text.Json.JsonValueKind.Number when value.TryGetInt64(out var whole) => whole.ToString(CultureInfo.InvariantCulture),
        System.Text.Json.JsonValueKind.Number => Format(value.GetDouble()),
        System.Text.Json.JsonValueKind.String => value.GetString()!,
        System.Text.Json.JsonValueKind.Null => "–",
        System.Text.Json.JsonValueKind.Array => string.Join('×', value.EnumerateArray().Select(Format)),
        _ => value.GetRawText(),
    };
}
