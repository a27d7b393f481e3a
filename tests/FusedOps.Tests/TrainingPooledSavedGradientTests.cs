using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;
using static FusedOps.Tests.TrainingNormFusionTests;

namespace FusedOps.Tests;

/// <summary>
/// The residual group's dU stored at the pooled size (the generator's TrainingNormFusion rule 8): <see cref="TrainingPasses.PoolMaskBackwardSums"/>,
/// <see cref="Conv2dTrainer.PooledBackward"/> and <see cref="Conv2dTrainer.ReducePooledInputGradient"/> against the passes that store the
/// full-size dU (<see cref="TrainingPasses.PoolAddNormBackwardReduce"/>, the conv's BatchNorm backward reading it, and the saved gradient
/// added from it), bitwise, at every width and at 1, 2 and 3 threads.
/// </summary>
[Collection("KernelLevel")]
public sealed class TrainingPooledSavedGradientTests
{
    [Theory]
    [MemberData(nameof(TrainingNormFusionTests.Cases), MemberType = typeof(TrainingNormFusionTests))]
    public void PooledSavedGradient_MatchesStoredGradient(int bits, int c, int h, int w, int n) => AtEveryThreadCount(bits, () =>
    {
        var random = new Random((c * 7) + w + n);
        var window = new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0);
        int plane = h * w, length = n * c * plane, pooledLength = n * c * window.OutPlane;
        float[] z = Values(random, length), rz = Values(random, length), scale = Values(random, c), shift = Values(random, c);
        float[] rScale = Values(random, c), rShift = Values(random, c), rMean = Values(random, c), rInvStd = rScale.Select(v => 1f + Math.Abs(v)).ToArray();
        float[] mean = Values(random, c), invStd = scale.Select(v => 1f + Math.Abs(v)).ToArray(), dyPooled = Values(random, pooledLength);
        dyPooled[1] = -0f;
        float[] pooled = new float[pooledLength];
        int[] argMax = new int[pooledLength];
        TrainingPasses.AffineAddNormPoolForward(new ReluOperator(), ref z[0], new ReluOperator(), ref rz[0], ref rScale[0], ref rShift[0], ref pooled[0],
            ref argMax[0], n, c, ref scale[0], ref shift[0], window);

        // Stored: dU at the full size, once, as the saved gradient.
        float[] du = Values(random, length);
        double[] sumA = new double[c], sumSqA = new double[c];
        TrainingPasses.PoolAddNormBackwardReduce(new ReluOperator(), ref dyPooled[0], ref argMax[0], window, new ReluOperator(), ref rz[0], ref rScale[0],
            ref rShift[0], ref du[0], true, ref z[0], ref du[0], n, c, ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sumA[0], ref sumSqA[0]);

        // Pooled: ReLU′ at the pool's output, the sums from the pool's backward per plane.
        float[] masked = Values(random, pooledLength);
        double[] sumB = new double[c], sumSqB = new double[c];
        TrainingPasses.PoolMaskBackwardSums(new ReluOperator(), ref dyPooled[0], ref argMax[0], window, ref pooled[0], ref masked[0], ref z[0], n, c, ref mean[0], ref invStd[0],
            ref sumB[0], ref sumSqB[0]);
        Assert.Equal(sumA, sumB);
        Assert.Equal(sumSqA, sumSqB);
        float[] formed = new float[length];
        Pooling.MaxBackward(ref masked[0], ref argMax[0], ref formed[0], n * c, window);
        AssertBitwise(du, formed);

        // The conv whose output z is (its BatchNorm's dU from the stored or the pooled gradient), and the conv that pads the saved group's
        // z (its input gradient plus the saved gradient, then that group's sums): the same bits either way.
        int ic = 3 + (c % 4);
        float[] x = Values(random, n * ic * plane), weight = Values(random, c * ic * 9), gamma = Values(random, c);
        float[] nextWeight = Values(random, 5 * c * 9), nextDy = Values(random, n * 5 * plane), nextZ = Values(random, n * 5 * plane);
        float[] nextMean = Values(random, 5), nextInvStd = Values(random, 5).Select(v => 1f + Math.Abs(v)).ToArray(), nextGamma = Values(random, 5);
        double[] nextSum = Values(random, 5).Select(v => (double)v).ToArray(), nextSumSq = Values(random, 5).Select(v => (double)v).ToArray();
        var results = new System.Collections.Generic.List<float[]> { masked, Bits(sumB), Bits(sumSqB) };
        float[][] stored = Convs(pooled: false), fromPooled = Convs(pooled: true);
        for (int i = 0; i < stored.Length; i++)
        {
            AssertBitwise(stored[i], fromPooled[i]);
        }

        results.AddRange(fromPooled);
        return results.ToArray();

        float[][] Convs(bool pooled)
        {
            var conv = new Conv2dTrainer(ic, h, w, c, 3, 1, 1);
            float[] wGrad = new float[weight.Length], bGrad = new float[c], dx = new float[x.Length];
            long count = (long)n * plane;
            if (pooled)
            {
                conv.PooledBackward(window, argMax, x, ref masked[0], z, gamma, mean, invStd, sumB, sumSqB, count, weight, wGrad, bGrad, ref dx[0], true, n);
            }
            else
            {
                conv.Backward(x, ref du[0], z, gamma, mean, invStd, sumA, sumSqA, count, weight, wGrad, bGrad, ref dx[0], true, n);
            }

            var next = new Conv2dTrainer(c, h, w, 5, 3, 1, 1);
            next.NormalizeInput(new ReluOperator(), rScale, rShift);
            float[] nGrad = new float[nextWeight.Length], nBias = new float[5], ndx = new float[length];
            double[] perSample = new double[n * 2 * c];
            if (pooled)
            {
                next.ReducePooledInputGradient(new ReluOperator(), rz, rScale, rShift, rMean, rInvStd, window, argMax, masked, perSample);
            }
            else
            {
                next.ReduceInputGradient(new ReluOperator(), rz, rScale, rShift, rMean, rInvStd, du, perSample);
            }

            next.Backward(rz, ref nextDy[0], nextZ, nextGamma, nextMean, nextInvStd, nextSum, nextSumSq, count, nextWeight, nGrad, nBias, ref ndx[0], true, n);
            return [wGrad, bGrad, dx, nGrad, nBias, ndx, Bits(perSample)];
        }
    });

    // A double array's bits as floats, two per value, for AssertBitwise.
    private static float[] Bits(double[] values) =>
        values.SelectMany(v => new[] { BitConverter.Int32BitsToSingle((int)BitConverter.DoubleToInt64Bits(v)), BitConverter.Int32BitsToSingle((int)(BitConverter.DoubleToInt64Bits(v) >> 32)) }).ToArray();

    [Fact]
    public void PooledSavedGradient_AllocatesNothingOnceWarm()
    {
        const int c = 16, h = 28, w = 28, n = 9;
        var random = new Random(5);
        var window = new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0);
        int length = n * c * h * w, pooledLength = n * c * window.OutPlane;
        float[] z = Values(random, length), x = Values(random, length), weight = Values(random, c * c * 9), gamma = Values(random, c);
        float[] scale = Values(random, c), shift = Values(random, c), mean = Values(random, c), invStd = Values(random, c);
        float[] dyPooled = Values(random, pooledLength), pooled = Values(random, pooledLength), masked = new float[pooledLength];
        float[] wGrad = new float[weight.Length], bGrad = new float[c], dx = new float[length];
        int[] argMax = Enumerable.Range(0, pooledLength).Select(i => (i % window.OutPlane / window.OutW * 2 * w) + (i % window.OutW * 2) + (i % 3 == 0 ? 1 : 0)).ToArray();
        double[] sum = new double[c], sumSq = new double[c], perSample = new double[n * 2 * c];
        var conv = new Conv2dTrainer(c, h, w, c, 3, 1, 1);
        conv.NormalizeInput(new ReluOperator(), scale, shift);
        void Step()
        {
            Array.Clear(sum);
            Array.Clear(sumSq);
            TrainingPasses.PoolMaskBackwardSums(new ReluOperator(), ref dyPooled[0], ref argMax[0], window, ref pooled[0], ref masked[0], ref z[0], n, c, ref mean[0], ref invStd[0],
                ref sum[0], ref sumSq[0]);
            conv.ReducePooledInputGradient(new ReluOperator(), x, scale, shift, mean, invStd, window, argMax, masked, perSample);
            conv.PooledBackward(window, argMax, x, ref masked[0], z, gamma, mean, invStd, sum, sumSq, (long)n * h * w, weight, wGrad, bGrad, ref dx[0], true, n);
        }

        KernelLevelCollection.AtLevel(512, () =>
        {
            Step();
            Assert.Equal(0, SteadyAllocations.Cleanest(Step));
        });
    }
}
