namespace Experiments.Datasets;

/// <summary>The three splits a trial uses. <see cref="Validation"/> may be empty (a validation fraction of 0).</summary>
public sealed record DatasetSplits(LabelledImages Train, LabelledImages Validation, LabelledImages Test)
{
    /// <summary>Seed 002 holds out 10% of the training set for validation.</summary>
    public const double DefaultValidationFraction = 0.1;

    private const ulong ValidationStream = 0x7A11_DA7E;

    /// <summary>
    /// Holds out <c>round(fraction · N)</c> training images for validation, stratified by class (each class
    /// keeps its share, to within one image) and chosen by <paramref name="seed"/> alone, so the same seed
    /// gives the same split everywhere. Both parts keep the training set's original order.
    /// </summary>
    public static DatasetSplits HoldOutValidation(LabelledImages training, LabelledImages test, double validationFraction = DefaultValidationFraction, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(test);
        var (train, validation) = ChooseValidation(training.Labels, training.Classes, validationFraction, seed);
        if (validation.Length == 0) return new DatasetSplits(training, LabelledImages.Empty(training.SampleShape, training.ClassNames), test);
        return new DatasetSplits(training.Subset(train), training.Subset(validation), test);
    }

    /// <summary>
    /// The same split, straight from raw bytes: each image is normalised once, into its final place. This is how
    /// the catalog loads, so a full training set is never held twice as floats.
    /// </summary>
    internal static DatasetSplits HoldOutValidation(RawImages training, LabelledImages test, IReadOnlyList<string> classNames, double validationFraction, int seed)
    {
        var labels = Array.ConvertAll(training.Labels, l => (int)l);
        var (train, validation) = ChooseValidation(labels, classNames.Count, validationFraction, seed);
        return new DatasetSplits(
            LabelledImages.FromBytes(training.SampleShape, training.Pixels, training.Labels, classNames, train),
            LabelledImages.FromBytes(training.SampleShape, training.Pixels, training.Labels, classNames, validation),
            test);
    }

    private static (int[] Train, int[] Validation) ChooseValidation(int[] labels, int classes, double validationFraction, int seed)
    {
        if (double.IsNaN(validationFraction) || validationFraction < 0 || validationFraction >= 1)
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction,
                "The validation fraction must be at least 0 and below 1 (0 means no validation set).");
        var take = (int)Math.Round(validationFraction * labels.Length, MidpointRounding.AwayFromZero);
        var (validation, train) = StratifiedSelection.Choose(labels, classes, take, new SeededRandom(seed, ValidationStream));
        return (train, validation);
    }
}
