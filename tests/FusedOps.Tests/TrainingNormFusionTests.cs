using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The runtime side of the training plan's BatchNorm fusions (the generator's TrainingNormFusion) against the unfused passes they
/// replace, bitwise, at every width and at 1, 2 and 3 threads: the normalise + ReLU in the next conv's pad
/// (<see cref="Conv2dTrainer.NormalizeInput"/>), MaxPool2d in the normalise pass (with a residual recomputed from its group's z),
/// the reductions without dU (<see cref="TrainingPasses.BackwardSums"/> + <see cref="Conv2dTrainer.NormBackward"/>), and the saved
/// tensor's gradient stored by its first writer and added to dY by the last reader.
/// </summary>
[Collection("KernelLevel")]
public sealed class TrainingNormFusionTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (int bits in new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits))
        {
            // bits, channels, height, width, batch: the sample's 28-wide planes (an overlapping last vector), 8 wide, and 7 wide (scalar
            // rows); batches that split into parts unevenly.
            yield return new object[] { bits, 16, 28, 28, 13 };
            yield return new object[] { bits, 6, 9, 8, 35 };
            yield return new object[] { bits, 5, 11, 7, 41 };
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvWithNormalizedInput_MatchesConvOnStoredOutput(int bits, int c, int h, int w, int n) => AtEveryThreadCount(bits, () =>
    {
        var random = new Random((c * 31) + w + n);
        int oc = 6, plane = h * w;
        float[] z = Values(random, n * c * plane), scale = Values(random, c), shift = Values(random, c);
        float[] weight = Values(random, oc * c * 9), bias = Values(random, oc), dz = Values(random, n * oc * plane);
        float[] y = new float[z.Length];
        TrainingPasses.AffineForward(new ReluOperator(), ref z[0], ref y[0], n, c, plane, ref scale[0], ref shift[0]);

        var plain = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
        var fused = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
        fused.NormalizeInput(new ReluOperator(), scale, shift);
        float[][] expected = ConvStep(plain, y, weight, bias, dz, n);
        float[][] actual = ConvStep(fused, z, weight, bias, dz, n);
        for (int i = 0; i < expected.Length; i++)
        {
            AssertBitwise(expected[i], actual[i]);
        }

        return actual;
    });

    // ReLU's derivative is formed on the way onto the grid; any other activation's per sample in the conv's scratch first.
    [Theory]
    [MemberData(nameof(Cases))]
    public void ReductionsWithoutDu_MatchStoredDu(int bits, int c, int h, int w, int n)
    {
        ReductionsWithoutDu(new ReluOperator(), bits, c, h, w, n);
        ReductionsWithoutDu(new LeakyReluOperator(0.1f), bits, c, h, w, n);
    }

    private static void ReductionsWithoutDu<TAct>(TAct act, int bits, int c, int h, int w, int n)
        where TAct : struct, IActivationOperator => AtEveryThreadCount(bits, () =>
    {
        var random = new Random((c * 17) + w + n);
        int ic = 3, plane = h * w;
        float[] x = Values(random, n * ic * plane), weight = Values(random, c * ic * 9), bias = Values(random, c);
        float[] dy = Values(random, n * c * plane), scale = Values(random, c), shift = Values(random, c), gamma = Values(random, c);
        float[] mean = Values(random, c), invStd = scale.Select(v => 1f + Math.Abs(v)).ToArray();
        var trainer = new Conv2dTrainer(ic, h, w, c, 3, 1, 1);
        float[] z = new float[n * c * plane];
        trainer.Forward(x, weight, bias, z, n, null, null);

        // Unfused: dU stored, then BatchNorm's input gradient formed from it on the grid.
        float[] du = new float[z.Length], dxA = new float[x.Length], wA = new float[weight.Length], bA = new float[c];
        double[] sumA = new double[c], sumSqA = new double[c];
        TrainingPasses.BackwardReduce(act, ref dy[0], ref z[0], ref du[0], n, c, plane, ref scale[0], ref shift[0], ref mean[0], ref invStd[0],
            ref sumA[0], ref sumSqA[0]);
        trainer.Backward(x, ref du[0], z, gamma, mean, invStd, sumA, sumSqA, (long)n * plane, weight, wA, bA, ref dxA[0], true, n);

        float[] dxB = new float[x.Length], wB = new float[weight.Length], bB = new float[c];
        double[] sumB = new double[c], sumSqB = new double[c];
        TrainingPasses.BackwardSums(act, ref dy[0], ref z[0], n, c, plane, ref scale[0], ref shift[0], ref mean[0], ref invStd[0],
            ref sumB[0], ref sumSqB[0]);
        trainer.NormBackward(act, scale, shift, x, ref dy[0], z, gamma, mean, invStd, sumB, sumSqB, (long)n * plane, weight, wB, bB, ref dxB[0],
            true, n);

        Assert.Equal(sumA, sumB);
        Assert.Equal(sumSqA, sumSqB);
        AssertBitwise(wA, wB);
        AssertBitwise(bA, bB);
        AssertBitwise(dxA, dxB);
        return new[] { wB, bB, dxB, sumB.Select(v => (float)v).ToArray() };
    });

    [Theory]
    [MemberData(nameof(Cases))]
    public void PoolInNormalisePass_MatchesNormaliseThenPool(int bits, int c, int h, int w, int n) => AtEveryThreadCount(bits, () =>
    {
        var random = new Random((c * 7) + w + n);
        int plane = h * w;
        var window = new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0);
        float[] z = Values(random, n * c * plane), scale = Values(random, c), shift = Values(random, c);
        float[] rz = Values(random, z.Length), rScale = Values(random, c), rShift = Values(random, c);
        int pooledLength = n * c * window.OutPlane;

        // Unfused: the residual's normalise pass, the residual group's normalise + add + ReLU, then the pool.
        float[] r = new float[z.Length], uA = new float[z.Length], yA = new float[z.Length], pA = new float[pooledLength];
        int[] aA = new int[pooledLength];
        TrainingPasses.AffineForward(new ReluOperator(), ref rz[0], ref r[0], n, c, plane, ref rScale[0], ref rShift[0]);
        TrainingPasses.AffineAddForward(new ReluOperator(), ref z[0], ref r[0], ref uA[0], ref yA[0], n, c, plane, ref scale[0], ref shift[0]);
        TrainingPasses.MaxForward(ref yA[0], ref pA[0], ref aA[0], n, c, window, true);

        float[] uB = new float[z.Length], pB = new float[pooledLength], yB = new float[z.Length];
        int[] aB = new int[pooledLength];
        TrainingPasses.AffineAddNormPoolForward(new ReluOperator(), ref z[0], new ReluOperator(), ref rz[0], ref rScale[0], ref rShift[0], ref uB[0], ref pB[0],
            ref aB[0], n, c, ref scale[0], ref shift[0], window);
        AssertBitwise(uA, uB);
        AssertBitwise(pA, pB);
        Assert.Equal(aA, aB);

        // The residual stored: the same pass with it read.
        Array.Clear(uB);
        TrainingPasses.AffineAddPoolForward(new ReluOperator(), ref z[0], ref r[0], ref uB[0], ref pB[0], ref aB[0], n, c, ref scale[0], ref shift[0], window);
        AssertBitwise(uA, uB);
        AssertBitwise(pA, pB);

        // No pool: the full-size output written, the residual recomputed.
        TrainingPasses.AffineAddNormForward(new ReluOperator(), ref z[0], new ReluOperator(), ref rz[0], ref rScale[0], ref rShift[0], ref uB[0], ref yB[0], n, c,
            plane, ref scale[0], ref shift[0]);
        AssertBitwise(yA, yB);

        // No residual: normalise + ReLU, then the pool.
        TrainingPasses.AffineForward(new ReluOperator(), ref z[0], ref yA[0], n, c, plane, ref scale[0], ref shift[0]);
        TrainingPasses.MaxForward(ref yA[0], ref pA[0], ref aA[0], n, c, window, true);
        TrainingPasses.AffinePoolForward(new ReluOperator(), ref z[0], ref pB[0], ref aB[0], n, c, ref scale[0], ref shift[0], window);
        AssertBitwise(pA, pB);
        Assert.Equal(aA, aB);
        return new[] { pB, uB };
    });

    [Theory]
    [MemberData(nameof(Cases))]
    public void SavedGradient_StoredFirstAndAddedAsRead_MatchesClearAddAndAddPass(int bits, int c, int h, int w, int n) => AtEveryThreadCount(bits, () =>
    {
        var random = new Random((c * 5) + w + n);
        int plane = h * w, length = n * c * plane;
        float[] dy = Values(random, length), u = Values(random, length), z = Values(random, length), scale = Values(random, c), shift = Values(random, c);
        float[] mean = Values(random, c), invStd = scale.Select(v => 1f + Math.Abs(v)).ToArray();
        dy[3] = -0f; // a −0 gradient: the first writer must still store +0, as adding to a cleared buffer does
        u[3] = 1f;

        // Unfused: the buffer cleared, then added to; later added to the trunk's gradient in a pass of its own, then the reductions.
        float[] saveA = Values(random, length), duA = new float[length];
        double[] sumA = new double[c], sumSqA = new double[c];
        Array.Clear(saveA);
        TrainingPasses.AddBackwardReduce(new ReluOperator(), ref dy[0], ref u[0], ref saveA[0], ref z[0], ref duA[0], n, c, plane, ref scale[0], ref shift[0],
            ref mean[0], ref invStd[0], ref sumA[0], ref sumSqA[0]);
        float[] saveB = Values(random, length), duB = new float[length];
        double[] sumB = new double[c], sumSqB = new double[c];
        TrainingPasses.AddBackwardReduce(new ReluOperator(), ref dy[0], ref u[0], ref saveB[0], true, ref z[0], ref duB[0], n, c, plane, ref scale[0], ref shift[0],
            ref mean[0], ref invStd[0], ref sumB[0], ref sumSqB[0]);
        AssertBitwise(saveA, saveB);
        AssertBitwise(duA, duB);
        Assert.Equal(sumA, sumB);

        float[] trunkA = Values(random, length), trunkB = (float[])trunkA.Clone();
        TrainingPasses.Add(ref saveA[0], ref trunkA[0], n, c * plane);
        Array.Clear(sumA);
        Array.Clear(sumSqA);
        TrainingPasses.BackwardSums(new ReluOperator(), ref trunkA[0], ref z[0], n, c, plane, ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sumA[0],
            ref sumSqA[0]);
        Array.Clear(sumB);
        Array.Clear(sumSqB);
        TrainingPasses.AddBackwardSums(new ReluOperator(), ref saveB[0], ref trunkB[0], ref z[0], n, c, plane, ref scale[0], ref shift[0], ref mean[0], ref invStd[0],
            ref sumB[0], ref sumSqB[0]);
        AssertBitwise(trunkA, trunkB);
        Assert.Equal(sumA, sumB);
        Assert.Equal(sumSqA, sumSqB);
        return new[] { saveB, trunkB, sumB.Select(v => (float)v).ToArray() };
    });

    // The pool's backward (its full-size input gradient stored), then the residual reduction on it; against the one pass that forms
    // each sample's input gradient in its scratch. ReLU runs the one-sweep planes, LeakyReLU the three per-sample passes.
    [Theory]
    [MemberData(nameof(Cases))]
    public void PoolBackwardInResidualReduction_MatchesPoolPassThenReduction(int bits, int c, int h, int w, int n)
    {
        PoolBackwardInResidualReduction(new ReluOperator(), bits, c, h, w, n, new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0));
        PoolBackwardInResidualReduction(new LeakyReluOperator(0.1f), bits, c, h, w, n, new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0));
        // Overlapping windows: the general scatter, which adds where windows share an arg-max.
        PoolBackwardInResidualReduction(new ReluOperator(), bits, c, h, w, n, new Pooling.Window(h, w, ((h - 3) / 2) + 1, ((w - 3) / 2) + 1, 3, 2, 0));
    }

    private static void PoolBackwardInResidualReduction<TAct>(TAct act, int bits, int c, int h, int w, int n, Pooling.Window window)
        where TAct : struct, IActivationOperator => AtEveryThreadCount(bits, () =>
    {
        var random = new Random((c * 11) + w + n);
        int plane = h * w, length = n * c * plane, pooledLength = n * c * window.OutPlane;
        float[] x = Values(random, length), pooled = new float[pooledLength], dyPooled = Values(random, pooledLength);
        int[] argMax = new int[pooledLength];
        TrainingPasses.MaxForward(ref x[0], ref pooled[0], ref argMax[0], n, c, window, true);
        float[] u = Values(random, length), z = Values(random, length), scale = Values(random, c), shift = Values(random, c);
        float[] mean = Values(random, c), invStd = scale.Select(v => 1f + Math.Abs(v)).ToArray();
        dyPooled[1] = -0f; // a −0 gradient: the pool's pass stores 0 + dy

        float[] dy = new float[length], saveA = new float[length], duA = new float[length];
        double[] sumA = new double[c], sumSqA = new double[c];
        TrainingPasses.MaxBackward(ref dyPooled[0], ref argMax[0], ref dy[0], n, c, window);
        TrainingPasses.AddBackwardReduce(act, ref dy[0], ref u[0], ref saveA[0], true, ref z[0], ref duA[0], n, c, plane, ref scale[0], ref shift[0],
            ref mean[0], ref invStd[0], ref sumA[0], ref sumSqA[0]);

        float[] saveB = Values(random, length), duB = Values(random, length);
        double[] sumB = new double[c], sumSqB = new double[c];
        TrainingPasses.PoolAddBackwardReduce(act, ref dyPooled[0], ref argMax[0], window, ref u[0], ref saveB[0], true, ref z[0], ref duB[0], n, c,
            ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sumB[0], ref sumSqB[0]);
        AssertBitwise(saveA, saveB);
        AssertBitwise(duA, duB);
        Assert.Equal(sumA, sumB);
        Assert.Equal(sumSqA, sumSqB);

        // ReLU or the identity, first writer: dU stored once, as the saved gradient (0 + dU is dU: the pooled input gradient has no −0).
        if (typeof(TAct) == typeof(ReluOperator))
        {
            float[] saveE = Values(random, length);
            double[] sumE = new double[c], sumSqE = new double[c];
            TrainingPasses.PoolAddBackwardReduce(act, ref dyPooled[0], ref argMax[0], window, ref u[0], ref saveE[0], true, ref z[0], ref saveE[0], n, c,
                ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sumE[0], ref sumSqE[0]);
            AssertBitwise(saveA, saveE);
            AssertBitwise(duA, saveE);
            Assert.Equal(sumA, sumE);
            Assert.Equal(sumSqA, sumSqE);
        }

        // Not the first writer: added to what the saved gradient holds.
        float[] saveC = (float[])saveA.Clone(), saveD = (float[])saveA.Clone();
        TrainingPasses.AddBackwardReduce(act, ref dy[0], ref u[0], ref saveC[0], false, ref z[0], ref duA[0], n, c, plane, ref scale[0], ref shift[0],
            ref mean[0], ref invStd[0], ref sumA[0], ref sumSqA[0]);
        TrainingPasses.PoolAddBackwardReduce(act, ref dyPooled[0], ref argMax[0], window, ref u[0], ref saveD[0], false, ref z[0], ref duB[0], n, c,
            ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sumB[0], ref sumSqB[0]);
        AssertBitwise(saveC, saveD);
        Assert.Equal(sumA, sumB);
        return new[] { saveB, duB, saveD, sumB.Concat(sumSqB).Select(v => (float)v).ToArray() };
    });

    // Forward (output and channel sums) and backward (dW, dB, dX) of one conv; the input is what its pad reads.
    private static float[][] ConvStep(Conv2dTrainer trainer, float[] input, float[] weight, float[] bias, float[] dz, int n)
    {
        int oc = bias.Length;
        float[] output = new float[dz.Length], weightGrad = new float[weight.Length], biasGrad = new float[oc], dx = new float[input.Length];
        double[] sum = new double[oc], sumSq = new double[oc];
        trainer.Forward(input, weight, bias, output, n, sum, sumSq);
        trainer.Backward(input, ref dz[0], weight, weightGrad, biasGrad, ref dx[0], true, n);
        return new[] { output, sum.Concat(sumSq).Select(v => (float)v).ToArray(), weightGrad, biasGrad, dx };
    }

    // The body's results at 1, 2 and 3 threads, each bitwise the same (the fused and unfused routes compared inside the body).
    internal static void AtEveryThreadCount(int bits, Func<float[][]> body) => KernelLevelCollection.AtLevel(bits, () =>
    {
        float[][]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            float[][] results = [];
            KernelLevelCollection.AtThreads(threads, () => results = body());
            first ??= results;
            for (int i = 0; i < first.Length; i++)
            {
                AssertBitwise(first[i], results[i]);
            }
        }
    });

    internal static void AssertBitwise(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"element {i}: {expected[i]:R} expected, {actual[i]:R} actual");
            }
        }
    }

    internal static float[] Values(Random random, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (random.NextSingle() * 2f) - 1f;
        }

        return values;
    }
}
