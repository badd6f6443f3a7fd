namespace Experiments.Dashboard;

/// <summary>
/// A swept parameter as the analysis views draw it: Numeric when every trial's value is a number (else its values are
/// categories, as an architecture's), and Log when the values are all positive and span a factor of 10 or more (a
/// learning rate), so its axis is logarithmic.
/// </summary>
public sealed record AnalysedParameter(string Name, bool Numeric, bool Log);

/// <summary>What the sweep page's analysis views need beyond the trial table: the metric and its goal, and the swept parameters.</summary>
public sealed record SweepAnalysis(string Metric, bool Maximize, IReadOnlyList<AnalysedParameter> Parameters);
