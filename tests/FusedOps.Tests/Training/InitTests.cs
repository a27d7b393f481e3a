using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Training;
using Xunit;

namespace FusedOps.Tests.Training;

public sealed class InitTests
{
    [Theory]
    [InlineData(Nonlinearity.Linear, 0.01, 1.0)]
    [InlineData(Nonlinearity.Sigmoid, 0.01, 1.0)]
    [InlineData(Nonlinearity.Tanh, 0.01, 5.0 / 3)]
    [InlineData(Nonlinearity.ReLU, 0.01, 1.4142135623730951)]
    [InlineData(Nonlinearity.LeakyReLU, 0.01, 1.4141428569978354)]
    [InlineData(Nonlinearity.LeakyReLU, 0.2, 1.3867504905630728)]
    [InlineData(Nonlinearity.Selu, 0.01, 0.75)]
    public void Gain_MatchesCalculateGain(Nonlinearity nonlinearity, double slope, double expected) =>
        Assert.Equal(expected, Init.Gain(nonlinearity, slope), 14);

    [Fact]
    public void Fans_ConvWeight_UsesReceptiveField()
    {
        Assert.Equal((27, 144), Init.Fans(new Parameter("0.weight", [16, 3, 3, 3], hasGrad: true)));
        Assert.Equal((784, 128), Init.Fans(new Parameter("5.weight", [128, 784], hasGrad: true)));
        var ex = Assert.Throws<ArgumentException>(() => Init.Fans(new Parameter("0.bias", [16], hasGrad: true)));
        Assert.Contains("'0.bias' has shape [16]", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, double, bool> Distributions() => new()
    {
        // Name, expected uniform bound or normal σ for a [200, 50, 3, 3] weight (fanIn 450, fanOut 1800), uniform?
        { "XavierUniform", 1.5 * Math.Sqrt(6.0 / 2250), true },
        { "XavierNormal", 1.5 * Math.Sqrt(2.0 / 2250), false },
        { "KaimingUniform", Math.Sqrt(3.0) * Math.Sqrt(2.0) / Math.Sqrt(450), true },
        { "KaimingNormal", Math.Sqrt(2.0) / Math.Sqrt(1800), false },
        { "Normal", 0.01, false },
    };

    [Theory]
    [MemberData(nameof(Distributions))]
    public void Apply_LargeTensor_HasTheDistributionsScale(string name, double scale, bool uniform)
    {
        Initializer init = name switch
        {
            "XavierUniform" => Init.XavierUniform(1.5),
            "XavierNormal" => Init.XavierNormal(1.5),
            "KaimingUniform" => Init.KaimingUniform(nonlinearity: Nonlinearity.ReLU),
            "Normal" => Init.Normal(0.01),
            _ => Init.KaimingNormal(mode: FanMode.FanOut, nonlinearity: Nonlinearity.ReLU),
        };
        var w = new Parameter("0.weight", [200, 50, 3, 3], hasGrad: true);

        init.Apply(w, new InitRandom(5));

        double mean = w.Data.Average(v => (double)v);
        double std = Math.Sqrt(w.Data.Average(v => ((double)v - mean) * (v - mean)));
        double expectedStd = uniform ? scale / Math.Sqrt(3) : scale;
        Assert.Equal(scale, init.Scale(w), 12);
        Assert.True(Math.Abs(mean) < 0.01 * expectedStd, $"mean {mean}");
        Assert.True(Math.Abs(std - expectedStd) < 0.01 * expectedStd, $"std {std}, expected {expectedStd}");
        double max = w.Data.Max(v => Math.Abs((double)v));
        Assert.True(uniform ? max <= scale && max > 0.999 * scale : max > 4 * scale, $"max |w| {max} for scale {scale}");
    }

    [Fact]
    public void ApplyToWeights_FillsConvAndLinearWeightsOnly_Deterministically()
    {
        ParameterList Model() => new(
            new Parameter("0.weight", [8, 1, 3, 3], hasGrad: true),
            new Parameter("0.bias", [8], hasGrad: true),
            new Parameter("1.weight", [8], hasGrad: true),
            new Parameter("4.weight", [10, 72], hasGrad: true));
        ParameterList a = Model(), b = Model(), c = Model();

        Assert.Equal(2, Init.KaimingUniform().ApplyToWeights(a, seed: 3));
        Init.KaimingUniform().ApplyToWeights(b, seed: 3);
        Init.KaimingUniform().ApplyToWeights(c, seed: 4);

        Assert.Equal(a["0.weight"].Data, b["0.weight"].Data);
        Assert.Equal(a["4.weight"].Data, b["4.weight"].Data);
        Assert.NotEqual(a["4.weight"].Data, c["4.weight"].Data);
        Assert.All(a["0.bias"].Data, v => Assert.Equal(0f, v));
        Assert.All(a["1.weight"].Data, v => Assert.Equal(0f, v));
        Assert.Contains(a["4.weight"].Data, v => v != 0f);
    }

    [Fact]
    public void ApplyByName_UnknownOrRank1Name_ThrowsBeforeWriting()
    {
        var list = new ParameterList(new Parameter("0.weight", [4, 4], hasGrad: true), new Parameter("0.bias", [4], hasGrad: true));

        var missing = Assert.Throws<KeyNotFoundException>(() => Init.XavierNormal().Apply(list, 1, "0.weight", "9.weight"));
        Assert.Contains("No tensor named '9.weight'", missing.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Init.XavierNormal().Apply(list, 1, "0.weight", "0.bias"));
        Assert.All(list["0.weight"].Data, v => Assert.Equal(0f, v));

        Init.XavierNormal().Apply(list, 1, "0.weight");
        Assert.Contains(list["0.weight"].Data, v => v != 0f);
    }
}
