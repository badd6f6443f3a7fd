using Experiments.Visualization.Interpretability;
using Xunit;

namespace Experiments.Visualization.Tests;

/// <summary>
/// The top-activating figure of <c>viz decode</c> shows only some of a layer's filters (the first 100 by default); its
/// title says which, and what its image count counts, so the PNG read alone is not mistaken for the whole layer.
/// </summary>
public sealed class Titling_the_top_activating_images
{
    private const string Subject = "layer 4 of trial 8 at epoch 2, bicubic unpooling";

    [Fact]
    public void The_default_first_hundred_of_five_hundred_filters_are_named_as_a_range_of_the_layers_count()
    {
        var title = InterpretabilityFigures.TopImagesTitle(Subject, [.. Enumerable.Range(0, 100)], filterCount: 500, images: 1000);
        Assert.Equal($"Top-activating test images of {Subject}: filters 0–99 of 500, top images picked among 1000 test images", title);
    }

    [Fact]
    public void Filters_chosen_with_gaps_are_listed_and_a_single_one_is_named_alone()
    {
        Assert.Contains("filters 3, 7 of 500,", InterpretabilityFigures.TopImagesTitle(Subject, [3, 7], 500, 1000));
        Assert.Contains("filter 4 of 500,", InterpretabilityFigures.TopImagesTitle(Subject, [4], 500, 1000));
    }
}
