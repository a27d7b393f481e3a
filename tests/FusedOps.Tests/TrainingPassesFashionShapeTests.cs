using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;
using static FusedOps.Tests.TrainingNormFusionTests;

namespace FusedOps.Tests;

/// <summary>
/// The normalise-and-pool pass and the pooled sums pass on the Fashion-MNIST sample's shapes (batch 64: 16 × 28 × 28 pooled to 14 × 14,
/// 32 × 14 × 14 pooled to 7 × 7), whose 256-bit loops ask for z's lines ahead and whose sums are taken one channel plane at a time:
/// against double-precision references, and bitwise the same at 1, 2 and 3 threads at every width.
/// </summary>
[Collection("KernelLevel")]
public sealed class TrainingPassesFashionShapeTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (int bits in new[] { 512, 256, 0 }.Where(b => b <= KernelDispatch.HardwareBits))
        {
            data.Add(bits, 16, 28);
            data.Add(bits, 32, 14);
        }

        return data;
    }

    private const int Batch = 64;

    // A batch of z with its scale and shift, through the normalise-and-pool pass (ReLU, 2 × 2).
    private static (Pooling.Window Window, float[] Z, float[] Scale, float[] Shift, float[] Pooled, int[] ArgMax) Pooled(Random random, int c, int side)
    {
        var window = new Pooling.Window(side, side, side / 2, side / 2, 2, 2, 0);
        float[] z = Values(random, Batch * c * side * side), scale = Values(random, c), shift = Values(random, c), pooled = new float[Batch * c * window.OutPlane];
        int[] argMax = new int[pooled.Length];
        TrainingPasses.AffinePoolForward(new ReluOperator(), ref z[0], ref pooled[0], ref argMax[0], Batch, c, ref scale[0], ref shift[0], window);
        return (window, z, scale, shift, pooled, argMax);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void AffinePoolForward_MatchesDoubleReference(int bits, int c, int side) => AtEveryThreadCount(bits, () =>
    {
        (Pooling.Window window, float[] z, float[] scale, float[] shift, float[] pooled, int[] argMax) = Pooled(new Random((c * 31) + side), c, side);
        int plane = side * side, op = window.OutPlane;

        for (int p = 0; p < Batch * c; p++)
        {
            int ch = p % c;
            for (int oy = 0; oy < side / 2; oy++)
            {
                for (int ox = 0; ox < side / 2; ox++)
                {
                    double best = double.NegativeInfinity;
                    foreach (int i in new[] { (2 * oy * side) + (2 * ox), (2 * oy * side) + (2 * ox) + 1, (((2 * oy) + 1) * side) + (2 * ox), (((2 * oy) + 1) * side) + (2 * ox) + 1 })
                    {
                        best = Math.Max(best, Math.Max(0.0, ((double)z[(p * plane) + i] * scale[ch]) + shift[ch]));
                    }

                    int o = (p * op) + (oy * (side / 2)) + ox;
                    Assert.True(Math.Abs(pooled[o] - best) <= 1e-6 * (1 + Math.Abs(best)), $"pooled {o}: {pooled[o]:R}, reference {best:R}");
                    double atArgMax = Math.Max(0.0, ((double)z[(p * plane) + argMax[o]] * scale[ch]) + shift[ch]);
                    Assert.True(Math.Abs(atArgMax - best) <= 1e-6 * (1 + Math.Abs(best)), $"arg-max {o}: {argMax[o]}");
                }
            }
        }

        return new[] { pooled, argMax.Select(v => (float)v).ToArray() };
    });

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PoolBackwardSums_MatchesDoubleReference(int bits, int c, int side) => AtEveryThreadCount(bits, () =>
    {
        var random = new Random((c * 37) + side);
        (Pooling.Window window, float[] z, float[] scale, float[] shift, float[] pooled, int[] argMax) = Pooled(random, c, side);
        int plane = side * side, op = window.OutPlane;
        float[] mean = Values(random, c), invStd = scale.Select(v => 1f + Math.Abs(v)).ToArray(), dyPooled = Values(random, pooled.Length);
        double[] sum = new double[c], sumXhat = new double[c];
        TrainingPasses.PoolBackwardSums(new ReluOperator(), ref dyPooled[0], ref argMax[0], window, ref z[0], Batch, c, ref scale[0], ref shift[0], ref mean[0],
            ref invStd[0], ref sum[0], ref sumXhat[0]);

        double[] refSum = new double[c], refXhat = new double[c];
        for (int p = 0; p < Batch * c; p++)
        {
            int ch = p % c;
            for (int o = 0; o < op; o++)
            {
                // ReLU′ decided on the float u the pass forms (a double u could differ in sign within an ulp of 0).
                float zf = z[(p * plane) + argMax[(p * op) + o]];
                double zv = zf;
                if ((zf * scale[ch]) + shift[ch] > 0f)
                {
                    double du = dyPooled[(p * op) + o];
                    refSum[ch] += du;
                    refXhat[ch] += du * (zv - mean[ch]) * invStd[ch];
                }
            }
        }

        for (int ch = 0; ch < c; ch++)
        {
            Assert.True(Math.Abs(sum[ch] - refSum[ch]) <= 1e-4 * (1 + Math.Abs(refSum[ch])), $"Σ du {ch}: {sum[ch]:R}, reference {refSum[ch]:R}");
            Assert.True(Math.Abs(sumXhat[ch] - refXhat[ch]) <= 1e-4 * (1 + Math.Abs(refXhat[ch])), $"Σ du·x̂ {ch}: {sumXhat[ch]:R}, reference {refXhat[ch]:R}");
        }

        return new[] { sum.Concat(sumXhat).Select(v => (float)v).ToArray() };
    });
}
