using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Experiments.Visualization.Charts;
using Experiments.Visualization.Tests.Support;
using Xunit;

namespace Experiments.Visualization.Tests;

public sealed class Writing_svg_charts : IDisposable
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private readonly TemporaryDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    // Parsed by System.Xml's own reader from the file, so the file itself must be well-formed XML.
    private XDocument WriteAndParse(Action<string> write)
    {
        var path = _folder.File("chart.svg");
        write(path);
        using var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
        return XDocument.Load(reader);
    }

    private static IEnumerable<XElement> WithClass(XDocument document, string name, string cssClass) =>
        document.Descendants(Svg + name).Where(e => ((string?)e.Attribute("class"))?.Split(' ').Contains(cssClass) == true);

    [Fact]
    public void A_line_chart_has_its_title_axes_series_and_legend()
    {
        var chart = new LineChart("Loss <per> epoch & more", "epoch", "loss",
        [
            new LineSeries("trial 1 train", [(0, 2.3), (1, 1.1), (2, 0.7)], "#1f77b4"),
            new LineSeries("trial 1 val", [(0, 2.31), (1, 1.3), (2, 0.9)], "#1f77b4", Dashed: true),
        ]);

        var svg = WriteAndParse(chart.Write);

        Assert.Equal(Svg + "svg", svg.Root!.Name);
        Assert.Equal("Loss <per> epoch & more", svg.Root.Element(Svg + "title")!.Value);
        Assert.Equal("Loss <per> epoch & more", WithClass(svg, "text", "title").Single().Value);
        Assert.Equal(["epoch", "loss"], WithClass(svg, "text", "axis-label").Select(t => t.Value));
        var series = WithClass(svg, "g", "series").ToList();
        Assert.Equal(["trial 1 train", "trial 1 val"], series.Select(s => (string)s.Attribute("data-name")!));
        Assert.Equal(3, series[0].Element(Svg + "polyline")!.Attribute("points")!.Value.Split(' ').Length);
        Assert.Equal([2.3, 1.1, 0.7], series[0].Elements(Svg + "circle").Select(c => double.Parse((string)c.Attribute("data-y")!, CultureInfo.InvariantCulture)));
        Assert.NotNull(series[1].Element(Svg + "polyline")!.Attribute("stroke-dasharray"));
        Assert.Equal(["trial 1 train", "trial 1 val"], WithClass(svg, "g", "legend-entry").Select(e => e.Element(Svg + "text")!.Value));
        // One x tick per epoch, and y ticks that cover the data.
        var ticks = WithClass(svg, "g", "tick").ToList();
        Assert.Equal(["0", "1", "2"], ticks.Where(t => (string?)t.Attribute("data-axis") == "x").Select(t => t.Element(Svg + "text")!.Value));
        var yTicks = ticks.Where(t => (string?)t.Attribute("data-axis") == "y").Select(t => double.Parse(t.Element(Svg + "text")!.Value, CultureInfo.InvariantCulture)).ToList();
        Assert.True(yTicks.Min() <= 0.7 && yTicks.Max() >= 2.31, string.Join(", ", yTicks));
    }

    [Fact]
    public void Points_go_up_as_values_grow_and_a_nan_breaks_the_line()
    {
        var chart = new LineChart("accuracy", "epoch", "accuracy", [new LineSeries("val", [(0, 0.1), (1, 0.5), (2, double.NaN), (3, 0.6), (4, 0.9)], "#000")])
        {
            YRange = (0, 1),
        };

        var svg = WriteAndParse(chart.Write);

        var series = WithClass(svg, "g", "series").Single();
        Assert.Equal(2, series.Elements(Svg + "polyline").Count());
        var ys = series.Elements(Svg + "circle").Select(c => double.Parse((string)c.Attribute("cy")!, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(4, ys.Count);
        Assert.Equal(ys.OrderDescending(), ys); // SVG's y grows downwards
    }

    [Fact]
    public void A_heatmap_has_one_cell_per_entry_and_its_labels()
    {
        var chart = new HeatmapChart("confusion", "true class", "predicted class", ["cat", "dog", "emu"], ["cat", "dog", "emu"],
            [[5, 1, 0], [2, 7, 1], [0, 0, 9]]) { ValueFormat = "0" };

        var svg = WriteAndParse(chart.Write);

        var cells = WithClass(svg, "rect", "cell").ToList();
        Assert.Equal(9, cells.Count);
        var dogEmu = cells.Single(c => (string)c.Attribute("data-row")! == "1" && (string)c.Attribute("data-column")! == "2");
        Assert.Equal("1", (string)dogEmu.Attribute("data-value")!);
        Assert.Equal(["cat", "dog", "emu"], WithClass(svg, "text", "row-label").Select(t => t.Value));
        Assert.Equal(["cat", "dog", "emu"], WithClass(svg, "text", "column-label").Select(t => t.Value));
        Assert.Contains("9", WithClass(svg, "text", "cell-label").Select(t => t.Value));
        // The largest count gets viridis' last colour, the smallest its first.
        Assert.Equal("#fde725", (string)cells.Single(c => (string)c.Attribute("data-value")! == "9").Attribute("fill")!);
        Assert.Equal("#440154", (string)cells.First(c => (string)c.Attribute("data-value")! == "0").Attribute("fill")!);
    }

    [Fact]
    public void A_bar_chart_draws_taller_bars_for_larger_values()
    {
        var chart = new BarChart("probabilities", "p", ["a", "b", "c"], [0.2, 0.7, 0.1]) { YRange = (0, 1), Highlight = 1 };

        var svg = WriteAndParse(chart.Write);

        var bars = WithClass(svg, "rect", "bar").ToList();
        Assert.Equal(["a", "b", "c"], bars.Select(b => (string)b.Attribute("data-category")!));
        var heights = bars.Select(b => double.Parse((string)b.Attribute("height")!, CultureInfo.InvariantCulture)).ToList();
        Assert.True(heights[1] > heights[0] && heights[0] > heights[2]);
        Assert.Equal(0.7 / 0.2, heights[1] / heights[0], 2);
    }
}
