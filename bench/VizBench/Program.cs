using System.Diagnostics;
using System.Globalization;
using Experiments.Architectures;
using Experiments.Bench;
using Experiments.Visualization.Pictures;
using Experiments.Visualization.Snapshots;
using Experiments.Worker.Engine;

// The time to render a kernel animation over 30 epochs of lenet-cifar: the labelled grid PNG (30 panels) and the animated
// GIF (30 frames) of each conv layer, as `viz kernels` draws them by default: all 32 filters of layer 0, the top 32 by
// norm of layer 3's 64, from weights already decoded in memory (what `viz kernels` does after reading the snapshots).
// The 30 epochs are synthesised from the real engine: the model's initial weights, then a seeded random walk.
const int epochs = 30;
const double targetSeconds = 2.0;
var repeats = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;

var plan = ShapeInference.Plan(ArchitectureCatalog.Resolve("lenet-cifar"));
using var model = Model.Create(plan, seed: 1);
var convLayers = model.State.Where(t => t.Shape.Length == 4 && t.Name.EndsWith(".weight", StringComparison.Ordinal)).ToList();
var random = new Random(7);
var histories = convLayers.Select(layer =>
{
    var weights = model.ReadFloats(layer.Name);
    var history = new List<(int, WeightTensor)>();
    for (var e = 0; e < epochs; e++)
    {
        history.Add((e, new WeightTensor(layer.Name, layer.Shape, (float[])weights.Clone())));
        for (var i = 0; i < weights.Length; i++) weights[i] += (float)((random.NextDouble() - 0.5) * 0.01);
    }
    return new KernelHistory(layer.Name, history);
}).ToList();

Console.WriteLine($"lenet-cifar conv layers: {string.Join(", ", convLayers.Select(l => $"{l.Name} {string.Join('×', l.Shape)}"))}; {epochs} epochs; median of {repeats} runs");
var output = Directory.CreateTempSubdirectory("vizbench-").FullName;
try
{
    foreach (var history in histories.Append(null))
    {
        var chosen = history is null ? histories : [history];
        var times = new List<double>();
        var cpuTimes = new List<double>();
        var (drawTimes, gridTimes, animationTimes) = (new List<double>(), new List<double>(), new List<double>());
        long bytes = 0;
        string size = "";
        for (var r = 0; r < repeats + 1; r++) // the first run warms the JIT and is dropped
        {
            var clock = Stopwatch.StartNew();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            bytes = 0;
            var (draw, gridTime, animationTime) = (0.0, 0.0, 0.0);
            foreach (var layer in chosen)
            {
                var step = Stopwatch.StartNew();
                using var picture = KernelPictures.Draw(layer);
                draw += step.Elapsed.TotalSeconds;
                step.Restart();
                var grid = picture.Grid.EncodePng();
                gridTime += step.Elapsed.TotalSeconds;
                step.Restart();
                var animation = Animation.EncodeGif(picture.Frames, TimeSpan.FromMilliseconds(400));
                animationTime += step.Elapsed.TotalSeconds;
                File.WriteAllBytes(Path.Combine(output, "grid.png"), grid);
                File.WriteAllBytes(Path.Combine(output, "animation.gif"), animation);
                bytes += grid.Length + animation.Length;
                size = $"grid {picture.Grid.Width}×{picture.Grid.Height}, {picture.Frames.Count} frames of {picture.Frames[0].Width}×{picture.Frames[0].Height}";
            }
            if (r == 0) continue;
            times.Add(clock.Elapsed.TotalSeconds);
            cpuTimes.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
            drawTimes.Add(draw);
            gridTimes.Add(gridTime);
            animationTimes.Add(animationTime);
        }
        var median = Statistics.Median(times);
        var label = history is null ? "all conv layers" : history.Layer;
        Console.WriteLine($"{label,-16} {median,7:F3} s  ({(history is null ? "" : size + ", ")}{bytes / 1024.0:N0} KiB)  {(median < targetSeconds ? "within" : "OVER")} the {targetSeconds} s target");
        Console.WriteLine($"{"",-16} CPU time {Statistics.Median(cpuTimes):F3} s (all threads; the machine's other load does not count);");
        Console.WriteLine($"{"",-16} draw {Statistics.Median(drawTimes):F3} s, grid PNG {Statistics.Median(gridTimes):F3} s, GIF {Statistics.Median(animationTimes):F3} s");
    }
}
finally
{
    Directory.Delete(output, recursive: true);
}
