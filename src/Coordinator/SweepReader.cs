using Experiments.Architectures;
using Experiments.Datasets;
using Experiments.Store;
using YamlDotNet.RepresentationModel;

namespace Experiments.Coordinator;

/// <summary>
/// Reads and validates a sweep file (YAML or JSON; see docs/sweeps.md). Every problem is collected with its key
/// path before anything is thrown, so a rejected file is fixed in one pass and nothing downstream ever sees it.
/// </summary>
public static class SweepReader
{
    private const string Grid = "grid", Random = "random", Metric = "metric", Resources = "resources", EarlyStoppingKey = "early_stopping",
        SnapshotsKey = "snapshots";

    private static readonly string[] _sweepKeys =
        ["name", "description", "dataset", Metric, Grid, Random, "repeats", "seed", Resources, "max_concurrent", "max_attempts", EarlyStoppingKey, SnapshotsKey];

    private static readonly string[] _randomKeys = ["samples", "seed", "params"];
    private static readonly string[] _distributions = ["uniform", "log_uniform", "choice"];
    private static readonly string[] _boundedKeys = ["distribution", "min", "max"];
    private static readonly string[] _choiceKeys = ["distribution", "values"];
    private static readonly string[] _metricKeys = ["name", "goal"];
    private static readonly string[] _goals = ["maximize", "minimize"];
    private static readonly string[] _resourceKeys = ["gpus_per_trial", "cpus_per_trial"];
    private static readonly string[] _snapshotKeys = ["every"];
    private static readonly string[] _stoppingTypes = ["none", "median", "asha"];
    private static readonly string[] _medianKeys = ["type", "grace_epochs", "min_trials"];
    private static readonly string[] _ashaKeys = ["type", "grace_epochs", "reduction_factor", "max_epochs"];

    /// <summary>The metrics a trial reports, each with the goal it has when the file names none.</summary>
    public static IReadOnlyDictionary<string, MetricGoal> Metrics { get; } = new Dictionary<string, MetricGoal>
    {
        ["val_accuracy"] = MetricGoal.Maximize, ["val_loss"] = MetricGoal.Minimize,
        ["test_accuracy"] = MetricGoal.Maximize, ["test_loss"] = MetricGoal.Minimize,
        ["train_accuracy"] = MetricGoal.Maximize, ["train_loss"] = MetricGoal.Minimize,
    };

    public static SweepSpec ReadFile(string path, SweepLimits? limits = null) =>
        Parse(File.ReadAllText(path), Path.GetFileName(path), limits);

    /// <summary>Parses and validates a sweep; the sweep's name defaults to <paramref name="sourceName"/> without extension.</summary>
    /// <exception cref="SpecException">With every problem found, each as <c>path: message</c>.</exception>
    public static SweepSpec Parse(string text, string sourceName, SweepLimits? limits = null)
    {
        var problems = new List<SpecProblem>();
        var root = YamlSpec.Load(text, problems);
        SweepSpec? spec = null;
        if (root is YamlMappingNode map)
            spec = new Reading(map, Path.GetFileNameWithoutExtension(sourceName), limits ?? SweepLimits.Default, problems).Read();
        else if (root is not null)
            problems.Add(new SpecProblem("", $"expected a mapping of sweep settings (dataset, grid, …), got {YamlSpec.Describe(root)}"));

        if (spec is null || problems.Count > 0) throw new SpecException(sourceName, problems);
        return spec;
    }

    /// <summary>One pass over one document; holds where each parameter was set so conflicts and checks name the right path.</summary>
    private sealed class Reading(YamlMappingNode root, string defaultName, SweepLimits limits, List<SpecProblem> problems)
    {
        private readonly Dictionary<string, string> _setAt = [];
        private readonly List<(string Path, Architecture Architecture)> _architectures = [];
        private readonly List<object> _optimizers = [];

        public SweepSpec? Read()
        {
            YamlSpec.CheckKeys(root, "", [.. _sweepKeys, .. SweepParameters.All], problems);

            var name = Optional("name", YamlSpec.ReadString) ?? defaultName;
            if (string.IsNullOrWhiteSpace(name)) problems.Add(new SpecProblem("name", "must not be empty"));
            var dataset = ReadDataset();

            var constants = TrialParameters.Defaults;
            foreach (var parameter in SweepParameters.All)
            {
                if (YamlSpec.Get(root, parameter) is not { } node) continue;
                _setAt[parameter] = parameter;
                if (ReadValue(parameter, node, parameter, $"{name}-arch") is { } value)
                    constants = constants.With(parameter, value);
            }

            var grid = YamlSpec.Get(root, Grid) is { } gridNode ? ReadGrid(gridNode) : [];
            var repeats = Positive("repeats") ?? 1;
            var seed = Optional("seed", YamlSpec.ReadInt) ?? 0;
            var random = YamlSpec.Get(root, Random) is { } randomNode ? ReadRandom(randomNode, seed) : null;
            var metric = YamlSpec.Get(root, Metric) is { } metricNode ? ReadMetric(metricNode) : SweepMetric.Default;
            var resources = YamlSpec.Get(root, Resources) is { } resourcesNode ? ReadResources(resourcesNode) : SweepResources.Default;
            var maxConcurrent = Positive("max_concurrent");
            var maxAttempts = Positive("max_attempts") ?? 3;
            var snapshots = YamlSpec.Get(root, SnapshotsKey) is { } snapshotsNode ? ReadSnapshots(snapshotsNode) : SnapshotPolicy.EveryEpoch;

            if (!_setAt.ContainsKey(SweepParameters.Arch))
                problems.Add(new SpecProblem(SweepParameters.Arch,
                    "missing; give a built-in name or inline layers, at the top level or under grid or random"));
            _optimizers.Add(constants.Optimizer);
            if (_setAt.TryGetValue(SweepParameters.Momentum, out var momentumAt) && !_optimizers.Contains(OptimizerKind.Sgd))
                problems.Add(new SpecProblem(momentumAt, "applies only to optimizer sgd; set optimizer: sgd or drop momentum"));

            var epochs = MaxEpochs(constants, grid, random);
            var stopping = YamlSpec.Get(root, EarlyStoppingKey) is { } stoppingNode ? ReadEarlyStopping(stoppingNode, epochs) : EarlyStopping.None;

            if (dataset is not null) CheckArchitectures(dataset);
            if (problems.Count > 0) return null;

            var spec = new SweepSpec(name, dataset!.Name, constants, grid, random, repeats, seed, metric, resources, maxConcurrent, maxAttempts, stopping)
            {
                Snapshots = snapshots,
            };
            if (spec.TrialCount > limits.MaxTrials && !limits.Force)
            {
                var at = grid.Count > 0 ? Grid : random is not null ? YamlSpec.Key(Random, "samples") : "repeats";
                var gridSize = grid.Aggregate(1L, (n, a) => n * a.Values.Count);
                problems.Add(new SpecProblem(at,
                    $"expands to {spec.TrialCount:N0} trials (grid {gridSize:N0} × random samples {random?.Samples ?? 1:N0} × repeats {repeats:N0}), " +
                    $"over the limit of {limits.MaxTrials:N0}; shrink the search or pass --force to run it anyway"));
                return null;
            }
            return spec;
        }

        private DatasetDescriptor? ReadDataset()
        {
            var known = string.Join(", ", DatasetCatalog.Known.Select(d => d.Name));
            if (YamlSpec.Get(root, "dataset") is not { } node)
            {
                problems.Add(new SpecProblem("dataset", $"missing; known datasets: {known}"));
                return null;
            }
            if (YamlSpec.ReadString(node, "dataset", problems) is not { } name) return null;
            if (DatasetCatalog.TryGet(name, out var descriptor)) return descriptor;
            var hint = YamlSpec.Suggest(name, DatasetCatalog.Known.Select(d => d.Name)) is { } s ? $"did you mean '{s}'? " : "";
            problems.Add(new SpecProblem("dataset", $"unknown dataset '{name}'; {hint}known datasets: {known}"));
            return null;
        }

        private object? ReadValue(string parameter, YamlNode node, string path, string inlineName)
        {
            var value = SweepParameters.Read(parameter, node, path, inlineName, problems);
            if (value is Architecture architecture) _architectures.Add((path, architecture));
            if (value is OptimizerKind) _optimizers.Add(value);
            return value;
        }

        /// <summary>Records where <paramref name="parameter"/> is swept; false (with a problem) when it is already set elsewhere.</summary>
        private bool Claim(string parameter, string path)
        {
            if (_setAt.TryGetValue(parameter, out var earlier))
            {
                var where = earlier == parameter ? "at the top level" : $"at {earlier}";
                problems.Add(new SpecProblem(path, $"{parameter} is already set {where}; a parameter is either a constant or swept, in one place"));
                return false;
            }
            _setAt[parameter] = path;
            return true;
        }

        private IReadOnlyList<GridAxis> ReadGrid(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                problems.Add(new SpecProblem(Grid, $"expected a mapping of parameter: [values], got {YamlSpec.Describe(node)}"));
                return [];
            }
            if (map.Children.Count == 0)
                problems.Add(new SpecProblem(Grid, $"must sweep at least one parameter: {string.Join(", ", SweepParameters.All)}"));
            YamlSpec.CheckKeys(map, Grid, SweepParameters.All, problems, "grid (not a trial parameter)");

            var axes = new List<GridAxis>();
            foreach (var (keyNode, valuesNode) in map.Children)
            {
                if (keyNode is not YamlScalarNode { Value: { } parameter } || !SweepParameters.All.Contains(parameter)) continue;
                var path = YamlSpec.Key(Grid, parameter);
                if (!Claim(parameter, path)) continue;
                if (ReadList(valuesNode, path, parameter, "grid-arch") is not { } values) continue;
                if (RepeatedValue(path, values)) continue;
                axes.Add(new GridAxis(parameter, values));
            }
            return axes;
        }

        /// <summary>
        /// A grid value listed twice would run the same trials twice, with the same seeds and labels: wasted slots and a
        /// leaderboard with twins. Equal numbers however written (1e-3 and 0.001) count as the same value.
        /// </summary>
        private bool RepeatedValue(string path, List<object> values)
        {
            var before = problems.Count;
            var reported = new HashSet<int>();
            for (var later = 1; later < values.Count; later++)
            {
                if (reported.Contains(later)) continue;
                for (var first = 0; first < later; first++)
                {
                    if (!SameValue(values[first], values[later])) continue;
                    reported.Add(later);
                    problems.Add(new SpecProblem(YamlSpec.Item(path, later),
                        $"{YamlSpec.Item(path, first)} and {YamlSpec.Item(path, later)} are the same value {SweepParameters.Format(values[later])}; " +
                        "list each value once (repeats: runs each configuration with more seeds)"));
                    break;
                }
            }
            return problems.Count > before;
        }

        private static bool SameValue(object a, object b) => (a, b) switch
        {
            (Architecture x, Architecture y) => ArchitectureWriter.ToJson(x) == ArchitectureWriter.ToJson(y),
            _ => a.Equals(b),
        };

        private List<object>? ReadList(YamlNode node, string path, string parameter, string inlinePrefix)
        {
            if (node is not YamlSequenceNode list)
            {
                problems.Add(new SpecProblem(path, $"expected a list of values, got {YamlSpec.Describe(node)}"));
                return null;
            }
            if (list.Children.Count == 0)
            {
                problems.Add(new SpecProblem(path, "must list at least one value"));
                return null;
            }
            var before = problems.Count;
            var values = new List<object>();
            for (var i = 0; i < list.Children.Count; i++)
                if (ReadValue(parameter, list[i], YamlSpec.Item(path, i), $"{inlinePrefix}-{i}") is { } value)
                    values.Add(value);
            return problems.Count > before ? null : values;
        }

        private RandomSearch? ReadRandom(YamlNode node, int sweepSeed)
        {
            if (node is not YamlMappingNode map)
            {
                problems.Add(new SpecProblem(Random, $"expected a mapping with samples, seed and params, got {YamlSpec.Describe(node)}"));
                return null;
            }
            var before = problems.Count;
            YamlSpec.CheckKeys(map, Random, _randomKeys, problems, "random");

            int? samples = null;
            var samplesPath = YamlSpec.Key(Random, "samples");
            if (YamlSpec.Get(map, "samples") is not { } samplesNode)
                problems.Add(new SpecProblem(samplesPath, "missing; say how many configurations to draw"));
            else if (YamlSpec.ReadInt(samplesNode, samplesPath, problems) is { } count)
            {
                if (count < 1) problems.Add(new SpecProblem(samplesPath, $"must be >= 1, got {count}"));
                else samples = count;
            }
            var seed = YamlSpec.Get(map, "seed") is { } seedNode ? YamlSpec.ReadInt(seedNode, YamlSpec.Key(Random, "seed"), problems) : sweepSeed;

            var parameters = new List<RandomParameter>();
            var paramsPath = YamlSpec.Key(Random, "params");
            if (YamlSpec.Get(map, "params") is not { } paramsNode)
                problems.Add(new SpecProblem(paramsPath, "missing; give each parameter to draw a distribution"));
            else if (paramsNode is not YamlMappingNode paramsMap || paramsMap.Children.Count == 0)
                problems.Add(new SpecProblem(paramsPath, $"expected a mapping of parameter: {{distribution, …}}, got {YamlSpec.Describe(paramsNode)}"));
            else
            {
                YamlSpec.CheckKeys(paramsMap, paramsPath, SweepParameters.All, problems, "random.params (not a trial parameter)");
                foreach (var (keyNode, distributionNode) in paramsMap.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } parameter } || !SweepParameters.All.Contains(parameter)) continue;
                    var path = YamlSpec.Key(paramsPath, parameter);
                    if (!Claim(parameter, path)) continue;
                    if (ReadDistribution(parameter, distributionNode, path) is { } distribution)
                        parameters.Add(new RandomParameter(parameter, distribution));
                }
            }
            return problems.Count > before || samples is null || seed is null ? null : new RandomSearch(samples.Value, seed.Value, parameters);
        }

        private Distribution? ReadDistribution(string parameter, YamlNode node, string path)
        {
            if (node is not YamlMappingNode map)
            {
                problems.Add(new SpecProblem(path, $"expected {{distribution: uniform|log_uniform|choice, …}}, got {YamlSpec.Describe(node)}"));
                return null;
            }
            var kindPath = YamlSpec.Key(path, "distribution");
            if (YamlSpec.Get(map, "distribution") is not { } kindNode)
            {
                problems.Add(new SpecProblem(kindPath, $"missing; one of {string.Join(", ", _distributions)}"));
                return null;
            }
            if (YamlSpec.ReadString(kindNode, kindPath, problems) is not { } kind) return null;
            if (!_distributions.Contains(kind))
            {
                var hint = YamlSpec.Suggest(kind, _distributions) is { } s ? $"did you mean '{s}'? " : "";
                problems.Add(new SpecProblem(kindPath, $"unknown distribution '{kind}'; {hint}known distributions: {string.Join(", ", _distributions)}"));
                return null;
            }

            var before = problems.Count;
            if (kind == "choice")
            {
                YamlSpec.CheckKeys(map, path, _choiceKeys, problems, "choice");
                var valuesPath = YamlSpec.Key(path, "values");
                if (YamlSpec.Get(map, "values") is not { } valuesNode)
                {
                    problems.Add(new SpecProblem(valuesPath, "missing; choice needs a list of values"));
                    return null;
                }
                var values = ReadList(valuesNode, valuesPath, parameter, "random-arch");
                return problems.Count > before || values is null ? null : new ChoiceDistribution(values);
            }

            YamlSpec.CheckKeys(map, path, _boundedKeys, problems, kind);
            if (!SweepParameters.IsContinuous(parameter))
            {
                problems.Add(new SpecProblem(kindPath, $"{parameter} is not continuous; use distribution: choice with a list of values"));
                return null;
            }
            var min = Bound(map, path, "min", parameter);
            var max = Bound(map, path, "max", parameter);
            if (problems.Count > before || min is null || max is null) return null;
            if (min >= max)
            {
                problems.Add(new SpecProblem(path, $"min ({SweepParameters.Format(min.Value)}) must be < max ({SweepParameters.Format(max.Value)})"));
                return null;
            }
            if (kind == "log_uniform" && min <= 0)
            {
                problems.Add(new SpecProblem(YamlSpec.Key(path, "min"), $"must be > 0 for log_uniform, got {SweepParameters.Format(min.Value)}"));
                return null;
            }
            return kind == "uniform" ? new UniformDistribution(min.Value, max.Value) : new LogUniformDistribution(min.Value, max.Value);
        }

        private double? Bound(YamlMappingNode map, string path, string key, string parameter)
        {
            var at = YamlSpec.Key(path, key);
            if (YamlSpec.Get(map, key) is not { } node)
            {
                problems.Add(new SpecProblem(at, "missing"));
                return null;
            }
            if (YamlSpec.ReadDouble(node, at, problems) is not { } value) return null;
            if (SweepParameters.CheckNumber(parameter, value) is { } message)
            {
                problems.Add(new SpecProblem(at, message));
                return null;
            }
            return value;
        }

        private SweepMetric ReadMetric(YamlNode node)
        {
            var namePath = Metric;
            YamlNode? nameNode = node, goalNode = null;
            if (node is YamlMappingNode map)
            {
                YamlSpec.CheckKeys(map, Metric, _metricKeys, problems, "metric");
                namePath = YamlSpec.Key(Metric, "name");
                nameNode = YamlSpec.Get(map, "name");
                goalNode = YamlSpec.Get(map, "goal");
                if (nameNode is null)
                {
                    problems.Add(new SpecProblem(namePath, $"missing; one of {string.Join(", ", Metrics.Keys)}"));
                    return SweepMetric.Default;
                }
            }
            if (YamlSpec.ReadString(nameNode, namePath, problems) is not { } name) return SweepMetric.Default;
            if (!Metrics.TryGetValue(name, out var goal))
            {
                var hint = YamlSpec.Suggest(name, Metrics.Keys) is { } s ? $"did you mean '{s}'? " : "";
                problems.Add(new SpecProblem(namePath, $"unknown metric '{name}'; {hint}known metrics: {string.Join(", ", Metrics.Keys)}"));
                return SweepMetric.Default;
            }
            if (goalNode is not null && YamlSpec.ReadString(goalNode, YamlSpec.Key(Metric, "goal"), problems) is { } written)
            {
                if (written == "maximize") goal = MetricGoal.Maximize;
                else if (written == "minimize") goal = MetricGoal.Minimize;
                else
                {
                    var hint = YamlSpec.Suggest(written, _goals) is { } s ? $"did you mean '{s}'? " : "";
                    problems.Add(new SpecProblem(YamlSpec.Key(Metric, "goal"), $"unknown goal '{written}'; {hint}use maximize or minimize"));
                }
            }
            return new SweepMetric(name, goal);
        }

        /// <summary><c>snapshots: {every: N}</c>: weights every N epochs (plus epoch 0, the best and the last).</summary>
        private SnapshotPolicy ReadSnapshots(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                problems.Add(new SpecProblem(SnapshotsKey, $"expected {{every: N}}, got {YamlSpec.Describe(node)}"));
                return SnapshotPolicy.EveryEpoch;
            }
            YamlSpec.CheckKeys(map, SnapshotsKey, _snapshotKeys, problems, "snapshots");
            var everyPath = YamlSpec.Key(SnapshotsKey, "every");
            if (YamlSpec.Get(map, "every") is not { } everyNode)
            {
                problems.Add(new SpecProblem(everyPath, "missing; say every how many epochs to keep the weights (1: every epoch)"));
                return SnapshotPolicy.EveryEpoch;
            }
            if (YamlSpec.ReadInt(everyNode, everyPath, problems) is not { } every) return SnapshotPolicy.EveryEpoch;
            if (every >= 1) return new SnapshotPolicy(every);
            problems.Add(new SpecProblem(everyPath, $"must be >= 1, got {every}"));
            return SnapshotPolicy.EveryEpoch;
        }

        private SweepResources ReadResources(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                problems.Add(new SpecProblem(Resources, $"expected {{gpus_per_trial, cpus_per_trial}}, got {YamlSpec.Describe(node)}"));
                return SweepResources.Default;
            }
            YamlSpec.CheckKeys(map, Resources, _resourceKeys, problems, "resources");
            var gpus = SweepResources.Default.GpusPerTrial;
            var gpusPath = YamlSpec.Key(Resources, "gpus_per_trial");
            if (YamlSpec.Get(map, "gpus_per_trial") is { } gpusNode && YamlSpec.ReadDouble(gpusNode, gpusPath, problems) is { } requested)
            {
                if (requested <= 0)
                    problems.Add(new SpecProblem(gpusPath, $"must be > 0, got {SweepParameters.Format(requested)} (leave it out for CPU trials)"));
                else if (requested > 1)
                    problems.Add(new SpecProblem(gpusPath,
                        $"must be at most 1, got {SweepParameters.Format(requested)}: a trial trains on one device (a fraction below 1 shares one)"));
                else gpus = requested;
            }
            var cpus = SweepResources.Default.CpusPerTrial;
            var cpusPath = YamlSpec.Key(Resources, "cpus_per_trial");
            if (YamlSpec.Get(map, "cpus_per_trial") is { } cpusNode && YamlSpec.ReadInt(cpusNode, cpusPath, problems) is { } threads)
            {
                if (threads < 1) problems.Add(new SpecProblem(cpusPath, $"must be >= 1, got {threads}"));
                else cpus = threads;
            }
            return new SweepResources(gpus, cpus);
        }

        private EarlyStopping ReadEarlyStopping(YamlNode node, int trialEpochs)
        {
            var typePath = YamlSpec.Key(EarlyStoppingKey, "type");
            string? type;
            YamlMappingNode map;
            if (YamlSpec.IsNull(node)) return EarlyStopping.None;
            if (node is YamlScalarNode { Value: { } word })
            {
                type = word;
                typePath = EarlyStoppingKey;
                map = new YamlMappingNode();
            }
            else if (node is YamlMappingNode mapping)
            {
                map = mapping;
                if (YamlSpec.Get(map, "type") is not { } typeNode)
                {
                    problems.Add(new SpecProblem(typePath, $"missing; one of {string.Join(", ", _stoppingTypes)}"));
                    return EarlyStopping.None;
                }
                type = YamlSpec.ReadString(typeNode, typePath, problems);
            }
            else
            {
                problems.Add(new SpecProblem(EarlyStoppingKey, $"expected none or {{type: median|asha, …}}, got {YamlSpec.Describe(node)}"));
                return EarlyStopping.None;
            }

            switch (type)
            {
                case null:
                    return EarlyStopping.None;
                case "none":
                    YamlSpec.CheckKeys(map, EarlyStoppingKey, ["type"], problems, "none");
                    return EarlyStopping.None;
                case "median":
                {
                    YamlSpec.CheckKeys(map, EarlyStoppingKey, _medianKeys, problems, "median");
                    var grace = AtLeast(map, "grace_epochs", 0) ?? 1;
                    var minTrials = AtLeast(map, "min_trials", 1) ?? 3;
                    return new MedianStopping(grace, minTrials);
                }
                case "asha":
                {
                    YamlSpec.CheckKeys(map, EarlyStoppingKey, _ashaKeys, problems, "asha");
                    var grace = AtLeast(map, "grace_epochs", 1) ?? 1;
                    var factor = AtLeast(map, "reduction_factor", 2) ?? 3;
                    var maxEpochs = AtLeast(map, "max_epochs", 1) ?? trialEpochs;
                    if (maxEpochs < grace)
                        problems.Add(new SpecProblem(YamlSpec.Key(EarlyStoppingKey, "max_epochs"),
                            $"must be >= grace_epochs ({grace}), got {maxEpochs}"));
                    return new AshaStopping(grace, factor, maxEpochs);
                }
                default:
                    var hint = YamlSpec.Suggest(type, _stoppingTypes) is { } s ? $"did you mean '{s}'? " : "";
                    problems.Add(new SpecProblem(typePath, $"unknown early stopping type '{type}'; {hint}known types: {string.Join(", ", _stoppingTypes)}"));
                    return EarlyStopping.None;
            }
        }

        private int? AtLeast(YamlMappingNode map, string key, int minimum)
        {
            var path = YamlSpec.Key(EarlyStoppingKey, key);
            if (YamlSpec.Get(map, key) is not { } node || YamlSpec.ReadInt(node, path, problems) is not { } value) return null;
            if (value >= minimum) return value;
            problems.Add(new SpecProblem(path, $"must be >= {minimum}, got {value}"));
            return null;
        }

        /// <summary>The longest a trial can run: ASHA's default top rung.</summary>
        private static int MaxEpochs(TrialParameters constants, IReadOnlyList<GridAxis> grid, RandomSearch? random)
        {
            var swept = grid.Where(a => a.Parameter == SweepParameters.Epochs).SelectMany(a => a.Values)
                .Concat(random?.Parameters.Where(p => p.Parameter == SweepParameters.Epochs)
                    .SelectMany(p => p.Distribution is ChoiceDistribution c ? c.Values : []) ?? [])
                .Cast<int>().ToList();
            return swept.Count > 0 ? swept.Max() : constants.Epochs;
        }

        private void CheckArchitectures(DatasetDescriptor dataset)
        {
            foreach (var (path, architecture) in _architectures)
            {
                try
                {
                    var plan = ShapeInference.Plan(architecture, dataset.SampleShape);
                    var scores = plan.Output.Dims[0];
                    if (scores != dataset.Classes)
                        problems.Add(new SpecProblem(path,
                            $"'{architecture.Name}' outputs {scores} scores but {dataset.Name} has {dataset.Classes} classes; make the last layer's out {dataset.Classes}"));
                }
                catch (ArchitectureException e)
                {
                    problems.Add(new SpecProblem(path, $"'{architecture.Name}' does not fit {dataset.Name} images ({dataset.SampleShape}): {e.Message}"));
                }
            }
        }

        private T? Optional<T>(string key, Func<YamlNode, string, List<SpecProblem>, T?> read) where T : class =>
            YamlSpec.Get(root, key) is { } node ? read(node, key, problems) : null;

        private int? Optional(string key, Func<YamlNode, string, List<SpecProblem>, int?> read) =>
            YamlSpec.Get(root, key) is { } node ? read(node, key, problems) : null;

        private int? Positive(string key)
        {
            if (Optional(key, YamlSpec.ReadInt) is not { } value) return null;
            if (value >= 1) return value;
            problems.Add(new SpecProblem(key, $"must be >= 1, got {value}"));
            return null;
        }
    }
}
