using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// BatchNorm's passes with one value per feature (after a Linear: spatial 1), vectorised along the features: the sums
/// (<see cref="Norm.ChannelSums"/>, <see cref="ActivationPass.BackwardReduce{TAct}"/>) bitwise equal to the per-element loop's double
/// sums in row order, and within float rounding of a reference in double; the input gradient (<see cref="Norm.BackwardApply"/>)
/// bitwise equal to the per-element float formula and close to the double one. Every kernel width, odd row and feature counts
/// (a feature count past the 256-feature coefficient block included).
/// </summary>
[Collection("KernelLevel")]
public sealed class LinearBatchNormKernelTests
{
    public static TheoryData<int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int bits in new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits))
        {
            foreach (int rows in new[] { 1, 3, 14, 65 })
            {
                foreach (int features in new[] { 1, 5, 37, 300 })
                {
                    data.Add(bits, rows, features);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ChannelSums_OneValuePerFeature_AreTheRowOrderDoubleSums(int bits, int rows, int features)
    {
        var random = new Random((rows * 1000) + features);
        float[] z = Values(random, rows * features, 3f);
        double[] start = Values(random, features, 1f).Select(v => (double)v).ToArray();
        double[] expected = (double[])start.Clone(), expectedSq = (double[])start.Clone();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < features; c++)
            {
                double v = z[(r * features) + c];
                expected[c] += v;
                expectedSq[c] += v * v;
            }
        }

        KernelLevelCollection.AtLevel(bits, () =>
        {
            // Sums start from what the arrays hold (the generated code clears them; a partial sum must carry on).
            double[] sum = (double[])start.Clone(), sumSq = (double[])start.Clone();
            Norm.ChannelSums(ref z[0], rows, features, 1, sum, sumSq);
            Assert.Equal(expected, sum);
            Assert.Equal(expectedSq, sumSq);
        });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardReduce_OneValuePerFeature_MatchesThePerElementSums(int bits, int rows, int features)
    {
        var random = new Random((rows * 1000) + features + 7);
        float[] dy = Values(random, rows * features, 1f), z = Values(random, rows * features, 2f);
        float[] scale = Values(random, features, 1.5f), shift = Values(random, features, 0.5f), mean = Values(random, features, 0.3f);
        float[] invStd = Values(random, features, 1f).Select(v => Math.Abs(v) + 0.5f).ToArray();
        float[] expectedDu = new float[dy.Length];
        double[] expectedSum = new double[features], expectedSumXhat = new double[features], referenceSumXhat = new double[features];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < features; c++)
            {
                int i = (r * features) + c;
                float g = (z[i] * scale[c]) + shift[c] > 0f ? dy[i] : 0f;
                expectedDu[i] = g;
                expectedSum[c] += g;
                expectedSumXhat[c] += (double)g * ((z[i] - mean[c]) * invStd[c]);
                referenceSumXhat[c] += g * ((z[i] - (double)mean[c]) * invStd[c]);
            }
        }

        KernelLevelCollection.AtLevel(bits, () =>
        {
            float[] du = new float[dy.Length];
            double[] sumDu = new double[features], sumDuXhat = new double[features];
            ActivationPass.BackwardReduce(default(ReluOperator), ref dy[0], ref z[0], ref du[0], rows, features, 1, ref scale[0], ref shift[0], ref mean[0],
                ref invStd[0], ref sumDu[0], ref sumDuXhat[0]);
            Assert.Equal(expectedDu, du);
            Assert.Equal(expectedSum, sumDu);
            Assert.Equal(expectedSumXhat, sumDuXhat);
            for (int c = 0; c < features; c++)
            {
                // x̂ formed in float, as the training pass does: within float rounding of the double reference.
                Assert.True(Math.Abs(sumDuXhat[c] - referenceSumXhat[c]) <= 1e-5 * (1 + Math.Abs(referenceSumXhat[c])), $"feature {c}");
            }
        });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardApply_OneValuePerFeature_MatchesThePerElementFormula(int bits, int rows, int features)
    {
        var random = new Random((rows * 1000) + features + 11);
        float[] du = Values(random, rows * features, 1f), z = Values(random, rows * features, 2f);
        float[] gamma = Values(random, features, 1.5f), mean = Values(random, features, 0.3f);
        float[] invStd = Values(random, features, 1f).Select(v => Math.Abs(v) + 0.5f).ToArray();
        double[] sumDu = Values(random, features, 4f).Select(v => (double)v).ToArray(), sumDuXhat = Values(random, features, 4f).Select(v => (double)v).ToArray();
        long count = rows;
        float[] expected = new float[du.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < features; c++)
            {
                int i = (r * features) + c;
                float k = gamma[c] * invStd[c], a = (float)(sumDu[c] / count), b = (float)(sumDuXhat[c] / count), xh = (z[i] - mean[c]) * invStd[c];
                expected[i] = (du[i] - a - (xh * b)) * k;
                double reference = (du[i] - (sumDu[c] / count) - ((z[i] - (double)mean[c]) * invStd[c] * sumDuXhat[c] / count)) * gamma[c] * invStd[c];
                Assert.True(Math.Abs(expected[i] - reference) <= 1e-5 * (1 + Math.Abs(reference)), $"[{i}]: {expected[i]} vs {reference}");
            }
        }

        KernelLevelCollection.AtLevel(bits, () =>
        {
            float[] dz = new float[du.Length];
            Norm.BackwardApply(ref du[0], ref z[0], rows, features, 1, gamma, mean, invStd, sumDu, sumDuXhat, count, ref dz[0]);
            Assert.Equal(expected, dz);

            // In place (dz aliasing du, as the generated pass calls it) and without γ (an affine-free BatchNorm).
            float[] inPlace = (float[])du.Clone();
            Norm.BackwardApply(ref inPlace[0], ref z[0], rows, features, 1, gamma, mean, invStd, sumDu, sumDuXhat, count, ref inPlace[0]);
            Assert.Equal(expected, inPlace);
            float[] plain = new float[du.Length];
            Norm.BackwardApply(ref du[0], ref z[0], rows, features, 1, ReadOnlySpan<float>.Empty, mean, invStd, sumDu, sumDuXhat, count, ref plain[0]);
            for (int i = 0; i < plain.Length; i++)
            {
                int c = i % features;
                float xh = (z[i] - mean[c]) * invStd[c];
                Assert.Equal((du[i] - (float)(sumDu[c] / count) - (xh * (float)(sumDuXhat[c] / count))) * invStd[c], plain[i]);
            }
        });
    }

    [Fact]
    public void FeaturePasses_ShortPerFeatureArrays_ThrowNamingThem()
    {
        float[] z = new float[12], mean = new float[4], invStd = new float[4];
        double[] sum = new double[3], sumSq = new double[4];
        Assert.Equal("sum", Assert.Throws<ArgumentException>(() => Norm.ChannelSums(ref z[0], 3, 4, 1, sum, sumSq)).ParamName);
        Assert.Equal("gamma", Assert.Throws<ArgumentException>(() =>
            Norm.BackwardApply(ref z[0], ref z[0], 3, 4, 1, new float[2], mean, invStd, sumSq, sumSq, 3, ref z[0])).ParamName);
        Assert.All(z, v => Assert.Equal(0f, v));
    }

    private static float[] Values(Random random, int count, float range) =>
        Enumerable.Range(0, count).Select(_ => (random.NextSingle() - 0.5f) * 2f * range).ToArray();
}
