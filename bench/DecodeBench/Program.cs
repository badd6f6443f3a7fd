using System.Diagnostics;
using System.Globalization;
using Experiments.Analysis.Decoding;
using Experiments.Architectures;
using Experiments.Bench;
using Experiments.Worker.Decoding;
using Experiments.Worker.Engine;

// Filter decoding by substitution (seed 003) of every decodable layer of a network, timed (issue 5's benchmark:
// "the time to decode all filters of lenet-matconvnet", target under 2 s so that `viz decode` stays interactive).
// The CPU time of the process is printed beside the wall time: on a busy machine it shows the work itself.

const double TargetSeconds = 2.0;

var (parsed, exitCode) = ArgumentReader.Parse(args, Options.Parse);
if (parsed is not { } options) return exitCode;

var plan = ShapeInference.Plan(ArchitectureCatalog.Resolve(options.Architecture));
// PyTorch's default initialisation: timing does not depend on the values, only on their being non-zero.
using var model = Model.Create(plan, seed: 1);
var layers = DecodingPlanner.DecodableLayers(plan);
Console.WriteLine($"{plan.Architecture.Name}: decoding every filter of layers {string.Join(", ", layers.Select(l => $"{l} ({Filters(l)} filters)"))} " +
                  $"on {Environment.ProcessorCount} cores; median of {options.Runs} runs after one warm-up");

var verdicts = new List<bool>();
foreach (var unpooling in options.Unpoolings)
{
    DecodeAll(unpooling); // warm-up: JIT and thread pool
    var perLayer = layers.ToDictionary(l => l, _ => new List<double>());
    var totals = new List<double>();
    var cpu = new List<double>();
    for (var run = 0; run < options.Runs; run++)
    {
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var total = Stopwatch.StartNew();
        foreach (var layer in layers)
        {
            var clock = Stopwatch.StartNew();
            LayerDecoder.Decode(model, layer, unpooling);
            perLayer[layer].Add(clock.Elapsed.TotalSeconds);
        }
        totals.Add(total.Elapsed.TotalSeconds);
        cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
    }
    var median = Statistics.Median(totals);
    verdicts.Add(median < TargetSeconds);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{unpooling,-8} all filters: {median:0.000} s (runs {string.Join(", ", totals.Select(t => t.ToString("0.000", CultureInfo.InvariantCulture)))}; " +
        $"{Statistics.Median(cpu):0.000} CPU-seconds); " +
        $"per layer: {string.Join(", ", layers.Select(l => $"{l}: {Statistics.Median(perLayer[l]):0.000} s"))}"));
}
Console.WriteLine(verdicts.All(v => v)
    ? $"target: every filter decoded in under {TargetSeconds} s: met"
    : $"target: every filter decoded in under {TargetSeconds} s: NOT met");
return 0;

void DecodeAll(Unpooling unpooling)
{
    foreach (var layer in layers) LayerDecoder.Decode(model, layer, unpooling);
}

int Filters(int layer) => plan.Layers[layer].Layer switch
{
    Conv2dLayer conv => conv.OutChannels,
    LinearLayer linear => linear.OutFeatures,
    _ => 0,
};

internal sealed record Options(string Architecture, int Runs, IReadOnlyList<Unpooling> Unpoolings)
{
    public static Options? Parse(string[] args)
    {
        const string usage = "usage: DecodeBench [--arch lenet-matconvnet] [--runs 5] [--unpool nearest,bilinear,bicubic]";
        var options = new Options("lenet-matconvnet", 5, [Unpooling.Nearest, Unpooling.Bilinear, Unpooling.Bicubic]);
        var reader = new ArgumentReader(args, usage);
        while (reader.Next(out var option))
        {
            options = option switch
            {
                "--arch" => options with { Architecture = reader.Value() },
                "--runs" => options with { Runs = reader.Positive() },
                "--unpool" => options with { Unpoolings = reader.List().Select(ParseUnpooling).ToArray() },
                "--help" or "-h" => null,
                _ => throw reader.Unknown(),
            };
            if (options is null)
            {
                Console.WriteLine(usage);
                return null;
            }
        }
        return options;

        static Unpooling ParseUnpooling(string text) => Enum.TryParse<Unpooling>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value : throw new ArgumentException($"--unpool takes nearest, bilinear or bicubic, got '{text}'");
    }
}
