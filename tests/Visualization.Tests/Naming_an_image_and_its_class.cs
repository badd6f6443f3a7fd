using Experiments.Visualization.Interpretability;
using Experiments.Worker.Engine;
using Xunit;

namespace Experiments.Visualization.Tests;

/// <summary>How figures and messages name a dataset image and its class: a class number is never written twice.</summary>
public sealed class Naming_an_image_and_its_class
{
    private static readonly string[] Digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    private static readonly string[] Clothes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private static PickedImage Image(IReadOnlyList<string> classes) => new(new Tensor([1, 1, 1], [0f]), "test", 7, 6, classes);

    [Fact]
    public void An_mnist_image_whose_class_names_are_its_digits_names_the_class_once()
    {
        var image = Image(Digits);

        Assert.Equal("test image 7 · true class 6", image.ToString());
        Assert.Equal("4", image.Class(4));
    }

    [Fact]
    public void A_named_class_is_its_number_followed_by_its_name()
    {
        var image = Image(Clothes);

        Assert.Equal("test image 7 · true class 6 (Shirt)", image.ToString());
        Assert.Equal("4 (Coat)", image.Class(4));
    }
}
