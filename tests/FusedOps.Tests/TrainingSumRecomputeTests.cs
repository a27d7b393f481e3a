using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;
using static FusedOps.Tests.TrainingNormFusionTests;

namespace FusedOps.Tests;

/// <summary>
/// The residual sum u not stored by the forward and recomputed by the backward's one-sweep reduction (the generator's
/// TrainingNormFusion rule 5): <see cref="TrainingPasses.AffineAddNormPoolForward{TAct, TRes}(TAct, ref float, TRes, ref float, ref float, ref float, ref float, ref float, ref int, int, int, ref float, ref float, Pooling.Window)"/>
/// without u and <see cref="TrainingPasses.PoolAddNormBackwardReduce"/> against the passes that store u and read it back, bitwise, at every
/// width and at 1, 2 and 3 threads.
/// </summary>
[Collection("KernelLevel")]
public sealed class TrainingSumRecomputeTests
{
    [Theory]
    [MemberData(nameof(TrainingNormFusionTests.Cases), MemberType = typeof(TrainingNormFusionTests))]
    public void SumRecomputedInResidualReduction_MatchesStoredSum(int bits, int c, int h, int w, int n)
    {
        var window = new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0);
        // ReLU runs the one-sweep planes, LeakyReLU the per-sample passes; overlapping windows the general scatter.
        SumRecomputed(new ReluOperator(), new ReluOperator(), bits, c, h, w, n, window);
        SumRecomputed(new LeakyReluOperator(0.1f), new ReluOperator(), bits, c, h, w, n, window);
        SumRecomputed(new ReluOperator(), new TanhOperator(), bits, c, h, w, n, new Pooling.Window(h, w, ((h - 3) / 2) + 1, ((w - 3) / 2) + 1, 3, 2, 0));
    }

    [Fact]
    public void SumRecomputedInResidualReduction_AllocatesNothingOnceWarm()
    {
        const int c = 16, h = 28, w = 28, n = 13;
        var random = new Random(3);
        var window = new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0);
        int length = n * c * h * w, pooledLength = n * c * window.OutPlane;
        float[] z = Values(random, length), rz = Values(random, length), scale = Values(random, c), shift = Values(random, c);
        float[] rScale = Values(random, c), rShift = Values(random, c), mean = Values(random, c), invStd = Values(random, c);
        float[] pooled = new float[pooledLength], dyPooled = Values(random, pooledLength), save = new float[length];
        int[] argMax = new int[pooledLength];
        double[] sum = new double[c], sumSq = new double[c];
        void Step()
        {
            TrainingPasses.AffineAddNormPoolForward(new ReluOperator(), ref z[0], new ReluOperator(), ref rz[0], ref rScale[0], ref rShift[0], ref pooled[0],
                ref argMax[0], n, c, ref scale[0], ref shift[0], window);
            TrainingPasses.PoolAddNormBackwardReduce(new ReluOperator(), ref dyPooled[0], ref argMax[0], window, new ReluOperator(), ref rz[0], ref rScale[0],
                ref rShift[0], ref save[0], true, ref z[0], ref save[0], n, c, ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sum[0], ref sumSq[0]);
        }

        Step();
        Assert.Equal(0, SteadyAllocations.Cleanest(Step));
    }

    private static void SumRecomputed<TAct, TRes>(TAct act, TRes residualAct, int bits, int c, int h, int w, int n, Pooling.Window window)
        where TAct : struct, IActivationOperator
        where TRes : struct, IActivationOperator => AtEveryThreadCount(bits, () =>
    {
        var random = new Random((c * 13) + w + n);
        int length = n * c * h * w, pooledLength = n * c * window.OutPlane;
        float[] z = Values(random, length), rz = Values(random, length), scale = Values(random, c), shift = Values(random, c);
        float[] rScale = Values(random, c), rShift = Values(random, c);
        float[] mean = Values(random, c), invStd = scale.Select(v => 1f + Math.Abs(v)).ToArray(), dyPooled = Values(random, pooledLength);
        dyPooled[1] = -0f;

        // Stored: the forward keeps u, the backward reads it.
        float[] u = Values(random, length), pooledA = new float[pooledLength];
        int[] argMaxA = new int[pooledLength];
        TrainingPasses.AffineAddNormPoolForward(act, ref z[0], residualAct, ref rz[0], ref rScale[0], ref rShift[0], ref u[0], ref pooledA[0], ref argMaxA[0],
            n, c, ref scale[0], ref shift[0], window);

        // Recomputed: the forward stores only the pooled output and arg-max.
        float[] pooledB = Values(random, pooledLength);
        int[] argMaxB = new int[pooledLength];
        TrainingPasses.AffineAddNormPoolForward(act, ref z[0], residualAct, ref rz[0], ref rScale[0], ref rShift[0], ref pooledB[0], ref argMaxB[0], n, c,
            ref scale[0], ref shift[0], window);
        AssertBitwise(pooledA, pooledB);
        Assert.Equal(argMaxA, argMaxB);

        var results = new System.Collections.Generic.List<float[]> { pooledB };
        foreach (bool first in new[] { true, false })
        {
            float[] saveA = Values(random, length), duA = new float[length], saveB = (float[])saveA.Clone(), duB = Values(random, length);
            double[] sumA = new double[c], sumSqA = new double[c], sumB = new double[c], sumSqB = new double[c];
            TrainingPasses.PoolAddBackwardReduce(act, ref dyPooled[0], ref argMaxA[0], window, ref u[0], ref saveA[0], first, ref z[0], ref duA[0], n, c,
                ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sumA[0], ref sumSqA[0]);
            TrainingPasses.PoolAddNormBackwardReduce(act, ref dyPooled[0], ref argMaxB[0], window, residualAct, ref rz[0], ref rScale[0], ref rShift[0],
                ref saveB[0], first, ref z[0], ref duB[0], n, c, ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sumB[0], ref sumSqB[0]);
            AssertBitwise(saveA, saveB);
            AssertBitwise(duA, duB);
            Assert.Equal(sumA, sumB);
            Assert.Equal(sumSqA, sumSqB);
            results.Add(saveB);
            results.Add(duB);
            results.Add(sumB.Concat(sumSqB).Select(v => (float)v).ToArray());
        }

        // dU stored once, as the saved gradient (the sample's call: the same buffer for both).
        if (typeof(TAct) == typeof(ReluOperator))
        {
            float[] saveE = Values(random, length);
            double[] sumE = new double[c], sumSqE = new double[c];
            TrainingPasses.PoolAddNormBackwardReduce(act, ref dyPooled[0], ref argMaxB[0], window, residualAct, ref rz[0], ref rScale[0], ref rShift[0],
                ref saveE[0], true, ref z[0], ref saveE[0], n, c, ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sumE[0], ref sumSqE[0]);
            AssertBitwise(results[1], saveE);
            Assert.Equal(results[3], sumE.Concat(sumSqE).Select(v => (float)v).ToArray());
        }

        return results.ToArray();
    });
}
