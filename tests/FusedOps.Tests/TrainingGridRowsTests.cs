using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using Xunit;
using static FusedOps.Tests.TrainingNormFusionTests;

namespace FusedOps.Tests;

/// <summary>
/// The conv trainer's 512-bit row loops (the output gradient onto the grid with ReLU′ and BatchNorm's coefficients, and the forward's
/// crop with Σ and Σ²) against the 256-bit loops they replace at 512 bits: every value and every sum the same bits, at 1, 2 and 3
/// threads. The 256-bit loops run unchanged at 256 bits, so a run there is the old path. The row widths cover each way a row ends:
/// 16 + 8 + 4 (28), 8 + 4 + 2 (14), 16 + 3 (19), 8 + 4 (12), 4 + 1 (5), and 3 (the scalar loop).
/// </summary>
[Collection("KernelLevel")]
public sealed class TrainingGridRowsTests
{
    public enum Gradient
    {
        Plain,
        Norm,
        NormRelu,
        PooledNormRelu,
    }

    public static IEnumerable<object[]> Cases()
    {
        foreach (Gradient kind in Enum.GetValues<Gradient>())
        {
            foreach ((int h, int w) in new[] { (6, 28), (7, 14), (5, 19), (4, 12), (6, 5), (4, 3) })
            {
                if (kind != Gradient.PooledNormRelu || w % 2 == 0)
                {
                    yield return new object[] { kind, h, w };
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientGrid512_MatchesVector256Rows(Gradient kind, int h, int w) =>
        // dX and dB: the grid's values and their sums; dW's packed layout is the width's own, so it is compared across threads only.
        WideMatchesVector256(() => GradientStep(kind, h, w), compared: 2);

    [Theory]
    [InlineData(6, 28, true)]
    [InlineData(7, 14, false)]
    [InlineData(5, 19, true)]
    [InlineData(3, 33, false)]
    public void Crop512_MatchesVector256Rows(int h, int w, bool normalizedInput) =>
        WideMatchesVector256(() => ForwardStep(h, w, normalizedInput), compared: 3);

    [Fact]
    public void NormBackward512_AllocatesNothingOnceWarm()
    {
        const int c = 4, oc = 16, h = 14, w = 28, n = 9;
        var random = new Random(11);
        int plane = h * w;
        float[] x = Values(random, n * c * plane), weight = Values(random, oc * c * 9), z = new float[n * oc * plane], dy = Values(random, z.Length);
        float[] scale = Values(random, oc), shift = Values(random, oc), mean = Values(random, oc), invStd = Values(random, oc);
        float[] wGrad = new float[weight.Length], bGrad = new float[oc], dx = new float[x.Length];
        double[] sums = new double[oc], sumSq = new double[oc];
        var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
        trainer.Forward(x, weight, null, z, n, sums, sumSq);
        void Step()
        {
            trainer.Forward(x, weight, null, z, n, sums, sumSq);
            trainer.NormBackward(new ReluOperator(), scale, shift, x, ref dy[0], z, scale, mean, invStd, sums, sumSq, (long)n * plane, weight, wGrad, bGrad,
                ref dx[0], true, n);
        }

        KernelLevelCollection.AtLevel(512, () =>
        {
            Step();
            Assert.Equal(0, SteadyAllocations.Cleanest(Step));
        });
    }

    // The step's first `compared` results at 512 bits against its run at 256, bitwise, each width at 1, 2 and 3 threads.
    private static void WideMatchesVector256(Func<float[][]> step, int compared)
    {
        if (KernelDispatch.HardwareBits < 512)
        {
            return;
        }

        float[][] old = [];
        AtEveryThreadCount(256, () => old = step());
        AtEveryThreadCount(512, () =>
        {
            float[][] wide = step();
            for (int i = 0; i < compared; i++)
            {
                AssertBitwise(old[i], wide[i]);
            }

            return wide;
        });
    }

    // One conv backward of the kind on a seeded batch of 7 (parts of uneven size): dX, dB, dW.
    private static float[][] GradientStep(Gradient kind, int h, int w)
    {
        const int c = 3, oc = 6, n = 7;
        var random = new Random((int)kind + (h * 31) + w);
        int plane = h * w;
        float[] x = Values(random, n * c * plane), weight = Values(random, oc * c * 9), bias = Values(random, oc), z = new float[n * oc * plane];
        float[] scale = Values(random, oc), shift = Values(random, oc), gamma = Values(random, oc), mean = Values(random, oc);
        float[] invStd = scale.Select(v => 1f + Math.Abs(v)).ToArray();
        double[] sumDu = Values(random, oc).Select(v => (double)v * plane).ToArray(), sumDuXhat = Values(random, oc).Select(v => (double)v * plane).ToArray();
        var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
        trainer.Forward(x, weight, bias, z, n, null, null);

        float[] dx = new float[x.Length], wGrad = new float[weight.Length], bGrad = new float[oc];
        long count = (long)n * plane;
        switch (kind)
        {
            case Gradient.Plain:
                float[] dz = Values(random, z.Length);
                trainer.Backward(x, ref dz[0], weight, wGrad, bGrad, ref dx[0], true, n);
                break;
            case Gradient.Norm:
                float[] du = Values(random, z.Length);
                trainer.Backward(x, ref du[0], z, gamma, mean, invStd, sumDu, sumDuXhat, count, weight, wGrad, bGrad, ref dx[0], true, n);
                break;
            case Gradient.NormRelu:
                float[] dy = Values(random, z.Length);
                trainer.NormBackward(new ReluOperator(), scale, shift, x, ref dy[0], z, gamma, mean, invStd, sumDu, sumDuXhat, count, weight, wGrad, bGrad,
                    ref dx[0], true, n);
                break;
            default:
                var window = new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0);
                float[] pooledDy = Values(random, n * oc * window.OutPlane), pooled = new float[pooledDy.Length];
                int[] argMax = new int[pooledDy.Length];
                TrainingPasses.AffinePoolForward(new ReluOperator(), ref z[0], ref pooled[0], ref argMax[0], n, oc, ref scale[0], ref shift[0], window);
                trainer.PooledNormBackward(new ReluOperator(), scale, shift, window, argMax, x, ref pooledDy[0], z, gamma, mean, invStd, sumDu, sumDuXhat,
                    count, weight, wGrad, bGrad, ref dx[0], true, n);
                break;
        }

        return [dx, bGrad, wGrad];
    }

    // One conv forward on a seeded batch of 7: z, Σ and Σ² (as floats, bit for bit of the doubles' halves).
    private static float[][] ForwardStep(int h, int w, bool normalizedInput)
    {
        const int c = 3, oc = 6, n = 7;
        var random = new Random((h * 37) + w + (normalizedInput ? 1 : 0));
        int plane = h * w;
        float[] x = Values(random, n * c * plane), weight = Values(random, oc * c * 9), bias = Values(random, oc), z = new float[n * oc * plane];
        var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
        if (normalizedInput)
        {
            trainer.NormalizeInput(new ReluOperator(), Values(random, c), Values(random, c));
        }

        double[] sum = new double[oc], sumSq = new double[oc];
        trainer.Forward(x, weight, bias, z, n, sum, sumSq);
        return [z, Bits(sum), Bits(sumSq)];
    }

    private static float[] Bits(double[] values) =>
        values.SelectMany(v => new[] { BitConverter.Int32BitsToSingle((int)BitConverter.DoubleToInt64Bits(v)), BitConverter.Int32BitsToSingle((int)(BitConverter.DoubleToInt64Bits(v) >> 32)) }).ToArray();
}
