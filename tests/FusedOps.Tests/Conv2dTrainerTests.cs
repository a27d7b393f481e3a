using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="Conv2dTrainer.Backward(float[], ref float, float[], float[], float[], ref float, bool, int)"/> against
/// double-precision loops at every width: weight and bias gradients added to what the buffers held, and the input
/// gradient, for channel counts around every packed block, planes whose width is not a multiple of any group, 1×1 and
/// dilated kernels and batch sizes around the part boundaries; and the gradients bitwise identical at 1, 2 and 3 threads.
/// </summary>
[Collection("KernelLevel")]
public sealed class Conv2dTrainerTests
{
    public static TheoryData<int, int, int, int, int, int, int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int, int, int, int, int, int, int>();
        foreach (int bits in new[] { 512, 256, 128, 0 })
        {
            // bits, channels, height, width, out channels, kernel, padding, dilation, batch
            data.Add(bits, 1, 28, 28, 16, 3, 1, 1, 9);
            data.Add(bits, 16, 14, 14, 32, 3, 1, 1, 8);
            data.Add(bits, 3, 5, 7, 5, 3, 1, 1, 7);
            data.Add(bits, 2, 6, 5, 17, 3, 0, 1, 17);
            data.Add(bits, 4, 9, 9, 70, 1, 0, 1, 3);
            data.Add(bits, 3, 8, 11, 6, 3, 2, 2, 16);
            data.Add(bits, 5, 4, 3, 33, 2, 1, 1, 1);
            data.Add(bits, 8, 16, 16, 8, 3, 1, 1, 2);
            data.Add(bits, 2, 6, 9, 4, 3, 1, 1, 5);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Backward_MatchesDoubleLoops(int bits, int c, int h, int w, int oc, int k, int pad, int dil, int n)
    {
        var random = new Random((bits * 13) + (c * 7) + oc + n);
        int oh = h + (2 * pad) - (dil * (k - 1)), ow = w + (2 * pad) - (dil * (k - 1));
        float[] x = Values(random, n * c * h * w), weight = Values(random, oc * c * k * k), dz = Values(random, n * oc * oh * ow);
        float[] weightGrad = Values(random, weight.Length), biasGrad = Values(random, oc), dx = new float[x.Length];
        float[] weightBefore = (float[])weightGrad.Clone(), biasBefore = (float[])biasGrad.Clone();
        KernelLevelCollection.AtLevel(bits, () =>
        {
            var trainer = new Conv2dTrainer(c, h, w, oc, k, pad, dil);
            trainer.Forward(x, weight, null, new float[dz.Length], n, null, null);
            trainer.Backward(x, ref dz[0], weight, weightGrad, biasGrad, ref dx[0], true, n);
        });

        var expectedW = new double[weight.Length];
        var scaleW = new double[weight.Length];
        var expectedX = new double[x.Length];
        var scaleX = new double[x.Length];
        var expectedB = new double[oc];
        for (int s = 0; s < n; s++)
        {
            for (int o = 0; o < oc; o++)
            {
                for (int oy = 0; oy < oh; oy++)
                {
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double g = dz[(((s * oc) + o) * oh * ow) + (oy * ow) + ox];
                        expectedB[o] += g;
                        for (int ci = 0; ci < c; ci++)
                        {
                            for (int t = 0; t < k * k; t++)
                            {
                                int y = oy - pad + (dil * (t / k)), xx = ox - pad + (dil * (t % k));
                                if (y < 0 || y >= h || xx < 0 || xx >= w)
                                {
                                    continue;
                                }

                                int xi = (((s * c) + ci) * h * w) + (y * w) + xx, wi = (((o * c) + ci) * k * k) + t;
                                expectedW[wi] += g * x[xi];
                                scaleW[wi] += Math.Abs(g * x[xi]);
                                expectedX[xi] += g * weight[wi];
                                scaleX[xi] += Math.Abs(g * weight[wi]);
                            }
                        }
                    }
                }
            }
        }

        for (int i = 0; i < weight.Length; i++)
        {
            double e = weightBefore[i] + expectedW[i];
            Assert.True(Math.Abs(e - weightGrad[i]) <= 1e-5 * (1 + scaleW[i]), $"dW[{i}] = {weightGrad[i]}, expected {e}");
        }

        for (int o = 0; o < oc; o++)
        {
            double e = biasBefore[o] + expectedB[o];
            Assert.True(Math.Abs(e - biasGrad[o]) <= 1e-5 * (1 + n * oh * ow), $"dB[{o}] = {biasGrad[o]}, expected {e}");
        }

        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(expectedX[i] - dx[i]) <= 1e-5 * (1 + scaleX[i]), $"dX[{i}] = {dx[i]}, expected {expectedX[i]}");
        }
    }

    /// <summary>A batch large enough to be split over threads and not a multiple of the parts: every gradient bitwise the same.</summary>
    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    [InlineData(0)]
    public void Backward_AnyThreadCount_BitwiseIdentical(int bits)
    {
        const int c = 16, h = 14, w = 14, oc = 32, n = 13;
        var random = new Random(bits + 5);
        float[] x = Values(random, n * c * h * w), weight = Values(random, oc * c * 9), dz = Values(random, n * oc * h * w);
        int[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            float[] weightGrad = new float[weight.Length], biasGrad = new float[oc], dx = new float[x.Length];
            KernelLevelCollection.AtLevel(bits, () => KernelLevelCollection.AtThreads(threads, () =>
            {
                var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
                trainer.Forward(x, weight, null, new float[dz.Length], n, null, null);
                trainer.Backward(x, ref dz[0], weight, weightGrad, biasGrad, ref dx[0], true, n);
            }));
            int[] all = [.. weightGrad.Concat(biasGrad).Concat(dx).Select(BitConverter.SingleToInt32Bits)];
            first ??= all;
            Assert.True(first.SequenceEqual(all), $"{threads} threads at {bits} bits differ from 1 thread");
        }
    }

    /// <summary>
    /// The forward on any number of threads: the output and Σ, Σ² bitwise the same as on one thread, for a batch that is not a
    /// multiple of the parts (parts of 3 and 2 samples), on the grid and on Winograd's tiles, and at more threads than parts.
    /// </summary>
    [Theory]
    [InlineData(512, 16, 14)]
    [InlineData(256, 16, 14)]
    [InlineData(256, 16, 28)]
    [InlineData(0, 3, 20)]
    public void Forward_UnevenParts_AnyThreadCount_BitwiseIdentical(int bits, int c, int side)
    {
        const int oc = 16, n = 21;
        var random = new Random(bits + c + side);
        float[] x = Values(random, n * c * side * side), weight = Values(random, oc * c * 9), bias = Values(random, oc);
        int[]? first = null;
        foreach (int threads in new[] { 1, 2, 3, 12 })
        {
            float[] z = new float[n * oc * side * side];
            double[] sum = new double[oc], sumSq = new double[oc];
            KernelLevelCollection.AtLevel(bits, () => KernelLevelCollection.AtThreads(threads, () =>
            {
                var trainer = new Conv2dTrainer(c, side, side, oc, 3, 1, 1);
                for (int repeat = 0; repeat < 2; repeat++)
                {
                    trainer.Forward(x, weight, bias, z, n, sum, sumSq);
                }
            }));
            int[] all = [.. z.Select(BitConverter.SingleToInt32Bits),
                .. sum.Concat(sumSq).Select(v => (int)BitConverter.DoubleToInt64Bits(v)),
                .. sum.Concat(sumSq).Select(v => (int)(BitConverter.DoubleToInt64Bits(v) >> 32))];
            first ??= all;
            Assert.True(first.SequenceEqual(all), $"{threads} threads at {bits} bits differ from 1 thread");
        }
    }

    /// <summary>
    /// The forward keeps its padded input for the backward when the batch's is small; a backward on another input array must pad
    /// that one: the same bits as a trainer whose forward ran on it.
    /// </summary>
    [Theory]
    [InlineData(512)]
    [InlineData(0)]
    public void Backward_OnAnotherInputThanTheForward_UsesThatInput(int bits)
    {
        const int c = 8, h = 10, w = 12, oc = 16, n = 3;
        var random = new Random(bits + 11);
        float[] a = Values(random, n * c * h * w), b = Values(random, a.Length), weight = Values(random, oc * c * 9), dz = Values(random, n * oc * h * w);
        float[] stale = new float[weight.Length], fresh = new float[weight.Length], dx = new float[a.Length];
        KernelLevelCollection.AtLevel(bits, () =>
        {
            var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
            trainer.Forward(a, weight, null, new float[dz.Length], n, null, null);
            trainer.Backward(b, ref dz[0], weight, stale, null, ref dx[0], false, n);
            var other = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
            other.Forward(b, weight, null, new float[dz.Length], n, null, null);
            other.Backward(b, ref dz[0], weight, fresh, null, ref dx[0], false, n);
        });
        Assert.Equal(fresh.Select(BitConverter.SingleToInt32Bits), stale.Select(BitConverter.SingleToInt32Bits));
    }

    private static float[] Values(Random random, int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();
}
