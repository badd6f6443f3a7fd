namespace Experiments.Dashboard;

/// <summary>A layer whose filters decode into image space (seed 003): its index, what it is, and how many filters it has.</summary>
public sealed record DecodableLayer(int Index, string Description, int Filters);

/// <summary>
/// One layer decoded at one epoch (seed 003), as <c>viz decode --layer L --epoch E</c> computes it with its defaults
/// (bicubic unpooling, the first 1,000 test images, the top 4 images per filter): the decoded filters' shape (filters ×
/// channels × height × width); the reconstruction MSE of 003, eq. 3 (a figure of the whole layer: mean and standard
/// deviation over the images, on contrast-normalised responses, so unitless) and the CLI's sentence for it; and per
/// filter its top test images by the network's response and by correlation with the decoded filter, strongest first.
/// </summary>
public sealed record DecodedFiltersView(
    long Trial, int Layer, int Epoch, IReadOnlyList<int> DecodedShape, double ErrorMean, double ErrorStandardDeviation, int ErrorImages, string Error,
    IReadOnlyList<string> Classes, IReadOnlyList<DecodedFilterTop> Filters);

/// <summary>One filter's top-activating test images: by the network's response, and by the decoded filter's correlation.</summary>
public sealed record DecodedFilterTop(int Filter, IReadOnlyList<TopImage> ByNetwork, IReadOnlyList<TopImage> ByDecodedFilter);

/// <summary>A test image (its index in the test split and its class) and its strongest activation of the filter (the maximum over positions).</summary>
public sealed record TopImage(int Index, int Label, float Activation);
