using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;
using static FusedOps.Tests.TrainingNormFusionTests;

namespace FusedOps.Tests;

/// <summary>
/// The backward of a MaxPool2d fused into a plain Conv2d → BatchNorm → ReLU group's normalise pass, run per sample in that group's sums
/// pass and conv backward (the generator's TrainingNormFusion rule 6): <see cref="TrainingPasses.PoolBackwardSums"/> and
/// <see cref="Conv2dTrainer.PooledNormBackward"/> against the pool's own pass (<see cref="TrainingPasses.MaxBackward"/>) followed by
/// <see cref="TrainingPasses.BackwardSums"/> and <see cref="Conv2dTrainer.NormBackward"/>, bitwise, at every width and at 1, 2 and 3 threads.
/// </summary>
[Collection("KernelLevel")]
public sealed class TrainingPoolBackwardTests
{
    [Theory]
    [MemberData(nameof(TrainingNormFusionTests.Cases), MemberType = typeof(TrainingNormFusionTests))]
    public void PoolBackwardInSumsAndConv_MatchesPoolPassThenBoth(int bits, int c, int h, int w, int n)
    {
        PoolBackwardInSumsAndConv(bits, c, h, w, n, new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0));
        // Overlapping windows: the general scatter, which adds where windows share an arg-max.
        PoolBackwardInSumsAndConv(bits, c, h, w, n, new Pooling.Window(h, w, ((h - 3) / 2) + 1, ((w - 3) / 2) + 1, 3, 2, 0));
    }

    // Any activation's sums (the pass is generic; the conv's side takes ReLU).
    [Theory]
    [MemberData(nameof(TrainingNormFusionTests.Cases), MemberType = typeof(TrainingNormFusionTests))]
    public void PoolBackwardSums_Tanh_MatchesPoolPassThenSums(int bits, int c, int h, int w, int n) => AtEveryThreadCount(bits, () =>
    {
        var random = new Random((c * 19) + w + n);
        var window = new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0);
        (float[] z, int[] argMax, float[] dyPooled, float[] scale, float[] shift, float[] mean, float[] invStd) = Inputs(random, c, h, w, n, window);
        float[] dy = new float[z.Length];
        TrainingPasses.MaxBackward(ref dyPooled[0], ref argMax[0], ref dy[0], n, c, window);
        double[] sumA = new double[c], sumSqA = new double[c], sumB = new double[c], sumSqB = new double[c];
        TrainingPasses.BackwardSums(new TanhOperator(), ref dy[0], ref z[0], n, c, h * w, ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sumA[0],
            ref sumSqA[0]);
        TrainingPasses.PoolBackwardSums(new TanhOperator(), ref dyPooled[0], ref argMax[0], window, ref z[0], n, c, ref scale[0], ref shift[0], ref mean[0],
            ref invStd[0], ref sumB[0], ref sumSqB[0]);
        Assert.Equal(sumA, sumB);
        Assert.Equal(sumSqA, sumSqB);
        return new[] { sumB.Concat(sumSqB).Select(v => (float)v).ToArray() };
    });

    [Fact]
    public void PooledNormBackward_WrongPoolOrArgMax_ThrowsBeforeWriting()
    {
        var trainer = new Conv2dTrainer(2, 6, 6, 3, 3, 1, 1);
        float[] x = new float[2 * 36], z = new float[3 * 36], weight = new float[3 * 2 * 9], wGrad = new float[weight.Length], dx = new float[x.Length];
        float[] dy = new float[3 * 9], per = new float[3];
        double[] sums = new double[3];
        trainer.Forward(x, weight, null, z, 1, null, null);
        var wrongPlane = new Pooling.Window(4, 4, 2, 2, 2, 2, 0);
        var error = Assert.Throws<ArgumentException>(() => trainer.PooledNormBackward(new ReluOperator(), per, per, wrongPlane, new int[27], x, ref dy[0], z,
            per, per, per, sums, sums, 36, weight, wGrad, null, ref dx[0], true, 1));
        Assert.Equal("pool", error.ParamName);
        Assert.Contains("36", error.Message);
        Assert.Contains("16", error.Message);
        var window = new Pooling.Window(6, 6, 3, 3, 2, 2, 0);
        error = Assert.Throws<ArgumentException>(() => trainer.PooledNormBackward(new ReluOperator(), per, per, window, new int[26], x, ref dy[0], z,
            per, per, per, sums, sums, 36, weight, wGrad, null, ref dx[0], true, 1));
        Assert.Equal("argMax", error.ParamName);
        Assert.Contains("27", error.Message);
        Assert.All(wGrad, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void PoolBackwardInSumsAndConv_AllocatesNothingOnceWarm()
    {
        const int c = 8, h = 14, w = 14, n = 13, ic = 4;
        var random = new Random(5);
        var window = new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0);
        (float[] z, int[] argMax, float[] dyPooled, float[] scale, float[] shift, float[] mean, float[] invStd) = Inputs(random, c, h, w, n, window);
        float[] x = Values(random, n * ic * h * w), weight = Values(random, c * ic * 9), wGrad = new float[weight.Length], dx = new float[x.Length];
        double[] sum = new double[c], sumSq = new double[c];
        var trainer = new Conv2dTrainer(ic, h, w, c, 3, 1, 1);
        trainer.Forward(x, weight, null, z, n, null, null);
        void Step()
        {
            TrainingPasses.PoolBackwardSums(new ReluOperator(), ref dyPooled[0], ref argMax[0], window, ref z[0], n, c, ref scale[0], ref shift[0], ref mean[0],
                ref invStd[0], ref sum[0], ref sumSq[0]);
            trainer.PooledNormBackward(new ReluOperator(), scale, shift, window, argMax, x, ref dyPooled[0], z, scale, mean, invStd, sum, sumSq, (long)n * h * w,
                weight, wGrad, null, ref dx[0], true, n);
        }

        Step();
        Assert.Equal(0, SteadyAllocations.Cleanest(Step));
    }

    private static void PoolBackwardInSumsAndConv(int bits, int c, int h, int w, int n, Pooling.Window window) => AtEveryThreadCount(bits, () =>
    {
        var random = new Random((c * 23) + w + n + window.Kernel);
        int ic = 3, plane = h * w;
        float[] x = Values(random, n * ic * plane), weight = Values(random, c * ic * 9), bias = Values(random, c), gamma = Values(random, c);
        var trainer = new Conv2dTrainer(ic, h, w, c, 3, 1, 1);
        (float[] z, int[] argMax, float[] dyPooled, float[] scale, float[] shift, float[] mean, float[] invStd) = Inputs(random, c, h, w, n, window);
        trainer.Forward(x, weight, bias, z, n, null, null);
        float[] pooled = new float[argMax.Length];
        TrainingPasses.AffinePoolForward(new ReluOperator(), ref z[0], ref pooled[0], ref argMax[0], n, c, ref scale[0], ref shift[0], window);

        // Unfused: the pool's pass stores its input gradient, the sums and the conv read it.
        float[] dy = Values(random, z.Length), dxA = new float[x.Length], wA = new float[weight.Length], bA = new float[c];
        double[] sumA = new double[c], sumSqA = new double[c];
        TrainingPasses.MaxBackward(ref dyPooled[0], ref argMax[0], ref dy[0], n, c, window);
        TrainingPasses.BackwardSums(new ReluOperator(), ref dy[0], ref z[0], n, c, plane, ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sumA[0],
            ref sumSqA[0]);
        trainer.NormBackward(new ReluOperator(), scale, shift, x, ref dy[0], z, gamma, mean, invStd, sumA, sumSqA, (long)n * plane, weight, wA, bA, ref dxA[0],
            true, n);

        float[] dxB = Values(random, x.Length), wB = new float[weight.Length], bB = new float[c];
        double[] sumB = new double[c], sumSqB = new double[c];
        TrainingPasses.PoolBackwardSums(new ReluOperator(), ref dyPooled[0], ref argMax[0], window, ref z[0], n, c, ref scale[0], ref shift[0], ref mean[0],
            ref invStd[0], ref sumB[0], ref sumSqB[0]);
        trainer.PooledNormBackward(new ReluOperator(), scale, shift, window, argMax, x, ref dyPooled[0], z, gamma, mean, invStd, sumB, sumSqB, (long)n * plane,
            weight, wB, bB, ref dxB[0], true, n);

        Assert.Equal(sumA, sumB);
        Assert.Equal(sumSqA, sumSqB);
        AssertBitwise(wA, wB);
        AssertBitwise(bA, bB);
        AssertBitwise(dxA, dxB);
        return new[] { wB, bB, dxB, sumB.Concat(sumSqB).Select(v => (float)v).ToArray() };
    });

    // z, a valid arg-max of the ReLU'd normalised z (from the pool's forward), the pooled gradient (a −0 in it), and BatchNorm's per-channel values.
    private static (float[] Z, int[] ArgMax, float[] DyPooled, float[] Scale, float[] Shift, float[] Mean, float[] InvStd) Inputs(Random random, int c, int h,
        int w, int n, Pooling.Window window)
    {
        int pooledLength = n * c * window.OutPlane;
        float[] z = Values(random, n * c * h * w), scale = Values(random, c), shift = Values(random, c), mean = Values(random, c);
        float[] invStd = scale.Select(v => 1f + Math.Abs(v)).ToArray(), dyPooled = Values(random, pooledLength);
        int[] argMax = new int[pooledLength];
        float[] pooled = new float[pooledLength];
        TrainingPasses.AffinePoolForward(new ReluOperator(), ref z[0], ref pooled[0], ref argMax[0], n, c, ref scale[0], ref shift[0], window);
        dyPooled[1] = -0f;
        return (z, argMax, dyPooled, scale, shift, mean, invStd);
    }
}
