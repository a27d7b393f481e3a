using System;
using FusedOps.Training;
using Xunit;

namespace FusedOps.Tests.Training;

public sealed class MetricsTests
{
    [Fact]
    public void JensenShannon_DisjointIsLn2_EqualIsZero_SymmetricAndMatchesDefinition()
    {
        Assert.Equal(Math.Log(2), Metrics.JensenShannon([1f, 0f], [0f, 1f]), 12);
        Assert.Equal(0, Metrics.JensenShannon([0.2f, 0.8f], [2f, 8f]), 12); // normalised first, as SciPy

        float[] p = [0.1f, 0.4f, 0.5f], q = [0.3f, 0.3f, 0.4f];
        double expected = 0, sp = (double)p[0] + p[1] + p[2], sq = (double)q[0] + q[1] + q[2];
        for (int i = 0; i < 3; i++)
        {
            double a = p[i] / sp, b = q[i] / sq, m = (a + b) / 2;
            expected += 0.5 * ((a * Math.Log(a / m)) + (b * Math.Log(b / m)));
        }

        Assert.Equal(expected, Metrics.JensenShannon(p, q), 12);
        Assert.Equal(Metrics.JensenShannon(p, q), Metrics.JensenShannon(q, p), 15);
    }

    [Fact]
    public void Wasserstein1D_MatchesScipyDocumentationExamples()
    {
        // scipy.stats.wasserstein_distance's documented examples.
        Assert.Equal(5.0, Metrics.Wasserstein1D([0f, 1f, 3f], [5f, 6f, 8f]), 6);
        Assert.Equal(0.25, Metrics.Wasserstein1D([0f, 1f], [0f, 1f], [3f, 1f], [2f, 2f]), 6);
        Assert.Equal(4.0781331438047861, Metrics.Wasserstein1D([3.4f, 3.9f, 7.5f, 7.8f], [4.5f, 1.4f], [1.4f, 0.9f, 3.1f, 7.2f], [3.2f, 3.5f]), 5);
    }

    [Fact]
    public void Wasserstein1D_BadInput_ThrowsNamingArgument()
    {
        Assert.Equal("u", Assert.Throws<ArgumentException>(() => Metrics.Wasserstein1D([], [1f])).ParamName);
        Assert.Equal("vWeights", Assert.Throws<ArgumentException>(() => Metrics.Wasserstein1D([1f], [1f, 2f], [], [1f])).ParamName);
        Assert.Equal("v", Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.Wasserstein1D([1f], [float.NaN])).ParamName);
    }

    [Fact]
    public void AicAndBic_FollowTheirDefinitions()
    {
        Assert.Equal((2 * 10) + 200.0, Metrics.Aic(-100, 10));
        Assert.Equal((10 * Math.Log(500)) + 200.0, Metrics.Bic(-100, 10, 500), 12);
        Assert.Equal("sampleCount", Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.Bic(-1, 1, 0)).ParamName);
        Assert.Equal("parameterCount", Assert.Throws<ArgumentOutOfRangeException>(() => Metrics.Aic(-1, -1)).ParamName);
    }

    [Fact]
    public void Accuracy_CountsArgmaxHits()
    {
        Assert.Equal(0.5f, Metrics.Accuracy([1f, 0f, 0f, 1f], [0, 0], 2));
    }
}
