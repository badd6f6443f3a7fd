namespace Experiments.Dashboard;

/// <summary>
/// A swept parameter as the analysis views draw it: Numeric when every trial's value is a number (else its values are
/// categories, as an architecture's), and Log when the values are all positive and span a factor of 10 or more (a
/// learning rate), so its axis is logarithmic.
/// </summary>
public sealed record AnalysedParameter(string Name, bool Numeric, bool Log);

/// <summary>A parameter's importance, 0–1 (a share of the metric's variance for a grid, a normalised PED-ANOVA divergence otherwise).</summary>
public sealed record ImportanceBar(string Parameter, double Importance);

/// <summary>
/// The sweep's hyperparameter importance for its metric. Method is "main-effect ANOVA" (a full grid), "PED-ANOVA" (any
/// other search) or "none"; Bars are in the parameters' order (empty when nothing could be computed, Note says why);
/// InteractionShare is the grid's variance share no single parameter explains (null for PED-ANOVA); TrialsUsed of Trials
/// had a value of the metric; Note says what was done about trials without one.
/// </summary>
public sealed record SweepImportance(string Method, IReadOnlyList<ImportanceBar> Bars, double? InteractionShare, int TrialsUsed, int Trials, string? Note);

/// <summary>What the sweep page's analysis views need beyond the trial table: the metric and its goal, the swept parameters and their importance.</summary>
public sealed record SweepAnalysis(string Metric, bool Maximize, IReadOnlyList<AnalysedParameter> Parameters, SweepImportance Importance);
