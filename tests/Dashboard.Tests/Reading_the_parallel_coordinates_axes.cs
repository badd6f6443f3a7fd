using System.Globalization;
using System.Text.Json;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace Experiments.Dashboard.Tests;

/// <summary>
/// The parallel coordinates' metric axis in Chromium: with validation accuracies a fraction of a percent apart (four
/// well-tuned runs), the tick labels ECharts draws on that axis each say a different number and none overlaps another.
/// </summary>
[Collection(RecordedSweepDashboard.Collection)]
public sealed class Reading_the_parallel_coordinates_axes(RecordedSweepDashboard dashboard)
{
    [Fact]
    public async Task The_val_accuracy_axis_labels_are_distinct_numbers_that_do_not_overlap()
    {
        double[] accuracies = [0.9725, 0.9738, 0.9744, 0.9750];
        var (sweep, _) = await SyntheticSweep.WriteAsync(dashboard, "close-accuracies",
            accuracies.Select((a, i) => new SyntheticSweep.Trial(new Dictionary<string, double> { ["lr"] = (i + 1) * 1e-3 }, 0, [0.1], [a])));
        var watched = await dashboard.OpenAsync($"/sweeps/{sweep}");
        var page = watched.Page;
        await Expect(page.Locator("#parallel-chart")).ToHaveAttributeAsync("data-trials", new System.Text.RegularExpressions.Regex(@"^\d+,\d+,\d+,\d+$"), new() { Timeout = 30_000 });

        // The texts the canvas renderer draws beside the last axis (the metric's), with their boxes in chart pixels.
        var drawn = await page.EvaluateAsync<JsonElement>("""
            () => {
              const chart = echarts.getInstanceByDom(document.getElementById('parallel-chart'));
              const parallel = chart.getModel().getComponent('parallel').coordinateSystem;
              const dims = parallel.dimensions;
              const axisX = parallel.getAxisLayout(dims[dims.length - 1]).position[0];
              const top = parallel.getRect().y - 4;
              return chart.getZr().storage.getDisplayList()
                .filter(e => (e.type === 'text' || e.type === 'tspan') && !e.ignore && !e.invisible && e.style && e.style.text)
                .map(e => { const r = e.getBoundingRect().clone(); r.applyTransform(e.getComputedTransform()); return { text: String(e.style.text), x: r.x, y: r.y, width: r.width, height: r.height }; })
                .filter(l => l.x >= axisX - 2 && l.x <= axisX + 80 && l.y >= top);
            }
            """);
        var labels = drawn.EnumerateArray().Select(l => new Label(l.GetProperty("text").GetString()!, l.GetProperty("x").GetDouble(), l.GetProperty("y").GetDouble(),
            l.GetProperty("width").GetDouble(), l.GetProperty("height").GetDouble())).ToArray();
        Assert.True(labels.Length >= 3, $"the metric axis shows {labels.Length} labels: {string.Join(", ", labels.Select(l => l.Text))}");
        var values = labels.Select(l => double.Parse(l.Text, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(values.Count, values.Distinct().Count());
        // They span the accuracies drawn (in %), give or take one tick.
        Assert.True(values.Min() <= 97.25 + 0.05 && values.Max() >= 97.50 - 0.05, $"the labels {string.Join(", ", labels.Select(l => l.Text))} do not span 97.25–97.50");
        for (var i = 0; i < labels.Length; i++)
            for (var j = i + 1; j < labels.Length; j++)
            {
                var (a, b) = (labels[i], labels[j]);
                var overlap = a.X < b.X + b.Width && b.X < a.X + a.Width && a.Y < b.Y + b.Height && b.Y < a.Y + a.Height;
                Assert.False(overlap, $"the labels \"{a.Text}\" and \"{b.Text}\" overlap");
            }
        Assert.Empty(watched.Errors);
        await page.CloseAsync();
    }

    /// <summary>One drawn label: its text and its box (pixels from the chart's top left).</summary>
    public sealed record Label(string Text, double X, double Y, double Width, double Height);
}
