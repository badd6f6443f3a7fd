using Xunit;

namespace Experiments.Architectures.Tests;

/// <summary>Every message, caption and title writes a run of indices one way: "0–3", with an en dash (<see cref="RangeText"/>).</summary>
public sealed class Writing_a_range
{
    [Fact]
    public void A_range_is_its_first_and_last_number_joined_by_an_en_dash()
    {
        Assert.Equal("0–3", RangeText.Of(0, 3));
        Assert.Equal("4", RangeText.Of(4, 4));
        Assert.Equal("2–10", RangeText.Of(2, 10));
    }

    [Fact]
    public void The_indices_of_n_things_run_from_0_to_n_minus_1()
    {
        Assert.Equal("0–1999", RangeText.Indices(2000));
        Assert.Equal("0", RangeText.Indices(1));
        Assert.Equal("none", RangeText.Indices(0));
    }

    [Fact]
    public void Numbers_are_a_range_only_when_three_or_more_run_without_a_gap()
    {
        Assert.Equal("0–9", RangeText.List([.. Enumerable.Range(0, 10)]));
        Assert.Equal("0, 5, 10", RangeText.List([0, 5, 10]));
        Assert.Equal("3, 4", RangeText.List([3, 4]));
        Assert.Equal("7", RangeText.List([7]));
        Assert.Equal("", RangeText.List([]));
    }
}
