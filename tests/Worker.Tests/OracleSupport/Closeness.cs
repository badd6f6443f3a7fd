using System.Globalization;
using Experiments.Worker.Engine;

namespace Experiments.Worker.Tests.OracleSupport;

/// <summary>Element-wise agreement of our tensor with PyTorch's, reported as the worst element when they disagree.</summary>
internal static class Closeness
{
    /// <summary>
    /// Null when every element satisfies |ours − pytorch| ≤ <paramref name="absolute"/> + <paramref name="relative"/>·|pytorch|
    /// (NaN only where PyTorch has NaN); otherwise a line naming <paramref name="what"/>, the worst element and both values.
    /// </summary>
    public static string? Disagreement(string what, Tensor ours, Tensor pytorch, double absolute, double relative = 0)
    {
        if (!ours.Shape.SequenceEqual(pytorch.Shape))
            return $"{what}: our shape is {string.Join('×', ours.Shape)}, PyTorch's is {string.Join('×', pytorch.Shape)}";

        var worst = -1;
        var worstExcess = 0.0;
        for (var i = 0; i < ours.Data.Length; i++)
        {
            double a = ours.Data[i], b = pytorch.Data[i];
            if (double.IsNaN(a) || double.IsNaN(b))
            {
                if (double.IsNaN(a) && double.IsNaN(b)) continue;
                worst = i;
                worstExcess = double.PositiveInfinity;
                break;
            }
            var excess = Math.Abs(a - b) - (absolute + relative * Math.Abs(b));
            if (excess > worstExcess) (worst, worstExcess) = (i, excess);
        }
        if (worst < 0) return null;

        var at = Index(worst, ours.Shape);
        var bound = relative == 0 ? Text(absolute) : $"{Text(absolute)} + {Text(relative)}·|PyTorch|";
        return $"{what}: at [{at}] ours {Text(ours.Data[worst])}, PyTorch {Text(pytorch.Data[worst])}, " +
               $"|Δ| = {Text(Math.Abs((double)ours.Data[worst] - pytorch.Data[worst]))} > {bound}; max |Δ| over the tensor {Text(MaxAbsDifference(ours, pytorch))}";
    }

    public static double MaxAbsDifference(Tensor ours, Tensor pytorch) =>
        ours.Data.Zip(pytorch.Data, (a, b) => Math.Abs((double)a - b)).DefaultIfEmpty(0).Max();

    private static string Index(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % Math.Max(1, shape[d]);
            flat /= Math.Max(1, shape[d]);
        }
        return string.Join(", ", index);
    }

    private static string Text(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
