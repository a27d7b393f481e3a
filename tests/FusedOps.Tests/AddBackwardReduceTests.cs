using System;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The one-sweep AddBackwardReduce (ReLU and the identity) gives the bits of the three passes it replaces — ReLU′, the add to
/// the saved gradient, BatchNorm's reductions — on planes that end in a scalar tail or not, with NaNs, zeros and −0, at every width.
/// </summary>
[Collection("KernelLevel")]
public sealed class AddBackwardReduceTests
{
    [Theory]
    [InlineData(784, true)]
    [InlineData(196, true)]
    [InlineData(49, true)]
    [InlineData(6, true)]
    [InlineData(196, false)]
    public void OneSweep_MatchesThePasses(int spatial, bool relu)
    {
        const int n = 2, channels = 5;
        int length = n * channels * spatial;
        var random = new Random(spatial);
        // NaN only where it cannot reach the sums (u, through ReLU′, and the saved gradient), so the sums are compared as numbers.
        float[] dy = Values(random, length, false), u = Values(random, length, true), z = Values(random, length, false), save = Values(random, length, true);
        float[] scale = Values(random, channels, false), shift = Values(random, channels, false), mean = Values(random, channels, false), invStd = Values(random, channels, false);
        foreach (int bits in new[] { 512, 256, 128, 0 })
        {
            if (bits > KernelDispatch.HardwareBits)
            {
                continue;
            }

            KernelLevelCollection.AtLevel(bits, () =>
            {
                (float[] du, float[] saved, double[] sums) expected = Passes(relu, dy, u, z, save, n, channels, spatial, scale, shift, mean, invStd);
                (float[] du, float[] saved, double[] sums) actual = Fused(relu, dy, u, z, save, n, channels, spatial, scale, shift, mean, invStd);
                AssertBits(expected.du, actual.du);
                AssertBits(expected.saved, actual.saved);
                Assert.All(expected.sums, v => Assert.True(double.IsFinite(v)));
                Assert.Equal(expected.sums, actual.sums);
            });
        }
    }

    private static (float[], float[], double[]) Fused(bool relu, float[] dy, float[] u, float[] z, float[] save, int n, int c, int spatial, float[] scale,
        float[] shift, float[] mean, float[] invStd)
    {
        float[] du = new float[dy.Length], saved = (float[])save.Clone();
        double[] sums = new double[2 * c];
        if (relu)
        {
            TrainingPasses.AddBackwardReduce(new ReluOperator(), ref dy[0], ref u[0], ref saved[0], ref z[0], ref du[0], n, c, spatial, ref scale[0], ref shift[0],
                ref mean[0], ref invStd[0], ref sums[0], ref sums[c]);
        }
        else
        {
            TrainingPasses.AddBackwardReduce(default(IdentityOperator), ref dy[0], ref u[0], ref saved[0], ref z[0], ref du[0], n, c, spatial, ref scale[0], ref shift[0],
                ref mean[0], ref invStd[0], ref sums[0], ref sums[c]);
        }

        return (du, saved, sums);
    }

    // The passes as they ran before: per sample, the activation's backward, the add, then the reductions on du in place.
    private static (float[], float[], double[]) Passes(bool relu, float[] dy, float[] u, float[] z, float[] save, int n, int c, int spatial, float[] scale,
        float[] shift, float[] mean, float[] invStd)
    {
        float[] du = new float[dy.Length], saved = (float[])save.Clone();
        double[] sums = new double[2 * c];
        int length = c * spatial;
        for (int s = 0; s < n; s++)
        {
            int o = s * length;
            if (relu)
            {
                ActivationPass.Backward(new ReluOperator(), ref dy[o], ref u[o], ref du[o], length);
            }
            else
            {
                ActivationPass.Backward(default(IdentityOperator), ref dy[o], ref u[o], ref du[o], length);
            }

            ConvHelpers.Add(ref du[o], ref saved[o], length);
            ActivationPass.BackwardReduce(default(IdentityOperator), ref du[o], ref z[o], ref du[o], 1, c, spatial, ref scale[0], ref shift[0], ref mean[0], ref invStd[0],
                ref sums[0], ref sums[c]);
        }

        return (du, saved, sums);
    }

    private static float[] Values(Random random, int length, bool nan)
    {
        float[] v = new float[length];
        for (int i = 0; i < length; i++)
        {
            int pick = random.Next(30);
            v[i] = pick == 0 ? (nan ? float.NaN : 1.5f) : pick == 1 ? -0f : pick == 2 ? 0f : (float)((random.NextDouble() * 4) - 2);
        }

        return v;
    }

    private static void AssertBits(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(actual[i]));
        }
    }
}
