using System.Xml.Linq;
using Experiments.Visualization.Imaging;
using static Experiments.Visualization.Charts.Svg;

namespace Experiments.Visualization.Charts;

/// <summary>
/// A labelled matrix as SVG (a confusion matrix, say): one <c>rect.cell</c> per entry with <c>data-row</c>,
/// <c>data-column</c> and <c>data-value</c>, its value written inside when the matrix is small enough to read, row
/// labels on the left, column labels below, and a colour bar with the range on the right.
/// </summary>
public sealed record HeatmapChart(
    string Title, string RowAxisLabel, string ColumnAxisLabel,
    IReadOnlyList<string> RowLabels, IReadOnlyList<string> ColumnLabels, IReadOnlyList<IReadOnlyList<double>> Values)
{
    public ColorMap Map { get; init; } = ColorMap.Viridis;

    /// <summary>Format of the numbers written in the cells ("0" for counts, "0.00" for rates).</summary>
    public string ValueFormat { get; init; } = "0.##";

    /// <summary>Colour range; defaults to the data's finite minimum and maximum.</summary>
    public (double Min, double Max)? Range { get; init; }

    public XDocument ToDocument()
    {
        if (Values.Count != RowLabels.Count || Values.Any(r => r.Count != ColumnLabels.Count))
            throw new ArgumentException($"the matrix must be {RowLabels.Count}×{ColumnLabels.Count}, as its labels");
        var labelWidth = 14 + 6.5 * RowLabels.Append("").Max(l => l.Length);
        var columnLabelHeight = 14 + 6.0 * ColumnLabels.Append("").Max(l => l.Length);
        var cell = Math.Clamp(480.0 / Math.Max(RowLabels.Count, ColumnLabels.Count), 6, 48);
        double left = 30 + labelWidth, top = 44;
        var (plotWidth, plotHeight) = (cell * ColumnLabels.Count, cell * RowLabels.Count);
        var width = left + plotWidth + 110;
        var height = top + plotHeight + columnLabelHeight + 28;

        var finite = Values.SelectMany(r => r).Where(double.IsFinite).ToList();
        var (min, max) = Range ?? (finite.Count == 0 ? (0.0, 1.0) : (finite.Min(), finite.Max()));
        var annotate = cell >= 22;
        var body = new List<object>
        {
            Text(width / 2, 24, Title, "title"),
            Text(12, top + plotHeight / 2, RowAxisLabel, "axis-label", rotate: -90),
            Text(left + plotWidth / 2, height - 8, ColumnAxisLabel, "axis-label"),
        };
        var cells = Element("g", Attr("class", "cells"));
        for (var r = 0; r < RowLabels.Count; r++)
            for (var c = 0; c < ColumnLabels.Count; c++)
            {
                var value = Values[r][c];
                var colour = Map.Map(value, min, max);
                cells.Add(Element("rect", Attr("class", "cell"), Attr("x", left + c * cell), Attr("y", top + r * cell), Attr("width", cell), Attr("height", cell),
                    Attr("fill", colour.ToHex()), Attr("data-row", r), Attr("data-column", c),
                    Attr("data-value", value.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
                if (annotate)
                    cells.Add(Text(left + (c + 0.5) * cell, top + (r + 0.5) * cell + 4, value.ToString(ValueFormat, System.Globalization.CultureInfo.InvariantCulture),
                        "cell-label", "middle").WithFill(Luminance(colour) > 140 ? "#000" : "#fff"));
            }
        body.Add(cells);
        for (var r = 0; r < RowLabels.Count; r++)
            body.Add(Text(left - 6, top + (r + 0.5) * cell + 4, RowLabels[r], "row-label", "end"));
        for (var c = 0; c < ColumnLabels.Count; c++)
            body.Add(Text(left + (c + 0.5) * cell + 4, top + plotHeight + 8, ColumnLabels[c], "column-label", "end", rotate: -60));

        // Colour bar: 20 steps, the range's ends labelled.
        var bar = Element("g", Attr("class", "colour-bar"));
        var (barLeft, barHeight) = (left + plotWidth + 24, Math.Max(plotHeight, 60));
        for (var i = 0; i < 20; i++)
            bar.Add(Element("rect", Attr("x", barLeft), Attr("y", top + barHeight * (19 - i) / 20), Attr("width", 16), Attr("height", barHeight / 20 + 0.5),
                Attr("fill", Map.Map((i + 0.5) / 20).ToHex())));
        bar.Add(Text(barLeft + 22, top + 10, NiceTicks.Label(max), "tick-label", "start"));
        bar.Add(Text(barLeft + 22, top + barHeight, NiceTicks.Label(min), "tick-label", "start"));
        body.Add(bar);
        return Document(width, height, Title, body);
    }

    public string ToSvg() => Serialise(ToDocument());

    public void Write(string path) => File.WriteAllText(path, ToSvg());

    private static double Luminance(Rgb c) => 0.299 * c.R + 0.587 * c.G + 0.114 * c.B;
}

internal static class XElementExtensions
{
    public static XElement WithFill(this XElement element, string fill)
    {
        element.SetAttributeValue("fill", fill);
        return element;
    }
}
