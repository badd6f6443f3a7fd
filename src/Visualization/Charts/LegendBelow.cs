using ScottPlot;

namespace Experiments.Visualization.Charts;

/// <summary>
/// The plot's legend as a panel under the x axis, its entries in columns across the whole figure's width, so it takes
/// height rather than width: eight or more overlaid trials leave the data area its width. ScottPlot's own edge legend
/// measures its height as one row of entries and then wraps them into more rows than that height holds; this panel lays
/// the entries out (with ScottPlot's legend layout) at the width it will draw them at, so its height is the rows' height.
/// </summary>
internal sealed class LegendBelow(Legend legend, float figureWidth) : IPanel
{
    // Space between the x axis's label and the legend's frame, and between the frame and the figure's edges.
    private const float Gap = 6, Margin = 8;

    public bool IsVisible { get; set; } = true;

    public Edge Edge => Edge.Bottom;

    public float MinimumSize { get; set; }

    public float MaximumSize { get; set; } = float.MaxValue;

    public bool ShowDebugInformation { get; set; }

    /// <summary>Hides the legend inside the data area and shows it below, as this panel, in a figure <paramref name="figureWidth"/> pixels wide.</summary>
    public static LegendBelow Add(Plot plot, int figureWidth)
    {
        plot.Legend.IsVisible = false;
        plot.Legend.Orientation = Orientation.Horizontal;
        var panel = new LegendBelow(plot.Legend, figureWidth);
        plot.Axes.AddPanel(panel);
        return panel;
    }

    public float Measure(Paint paint) => IsVisible ? Gap + legend.Layout.GetLayout(legend, legend.GetItems(), Space, paint).LegendRect.Height + Margin : 0;

    public PixelRect GetPanelRect(PixelRect dataRect, float size, float offset, Paint paint) =>
        new(Margin, figureWidth - Margin, dataRect.Bottom + offset + size, dataRect.Bottom + offset);

    public void Render(RenderPack rp, float size, float offset)
    {
        if (!IsVisible) return;
        var panel = GetPanelRect(rp.DataRect, size, offset, rp.Paint);
        // The legend stays hidden from the data area, which ScottPlot draws it in when it is visible; only this panel shows it.
        legend.IsVisible = true;
        legend.Render(rp.Canvas, rp.Paint, new PixelRect(panel.Left, panel.Right, panel.Bottom - Margin, panel.Top + Gap), Alignment.UpperCenter);
        legend.IsVisible = false;
    }

    // The width the entries are laid out in; the height is unbounded (the panel takes what the rows need).
    private PixelSize Space => new(figureWidth - 2 * Margin, 10_000);
}
