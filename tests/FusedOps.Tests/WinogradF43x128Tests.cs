using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Winograd F(4 × 4, 3 × 3) at 128 bits (<see cref="WinogradConv.RunStrided43x128"/>, the training products'
/// route at <see cref="KernelDispatch.RuntimeBits"/> 128): the kernel against double loops on shapes that reach every branch
/// (a partial last tile column and tile row, rows whose tile count is not a multiple of 4, a row end staged, short bands, bands of
/// one row wider than 32 tiles, output channels not a multiple of 4, planes further apart than rows × columns), and
/// <see cref="Conv2dTrainer"/> on it bitwise the same at 1, 2 and 3 threads, other bits with the route switched off.
/// </summary>
[Collection("KernelLevel")]
public sealed class WinogradF43x128Tests
{
    [Theory]
    [InlineData(16, 16, 28, 28, 0)]
    [InlineData(16, 32, 32, 32, 5)]
    [InlineData(3, 18, 9, 27, 0)]
    [InlineData(5, 6, 14, 14, 3)]
    [InlineData(4, 5, 5, 130, 0)]
    [InlineData(2, 3, 1, 1, 7)]
    [InlineData(7, 17, 10, 31, 1)]
    [InlineData(1, 4, 22, 45, 0)]
    public void Kernel_MatchesDoubleLoops(int cin, int cout, int oh, int ow, int gap) => KernelLevelCollection.AtLevel(128, () =>
    {
        if (!WinogradConv.Enabled128)
        {
            return;
        }

        var shape = new WinogradShape(cin, cout, oh, ow);
        int ih = shape.InHeight, iw = shape.InWidth, plane = (ih * iw) + gap;
        var random = new Random((cin * 7) + (cout * 13) + oh + ow);
        float[] x = Values(random, cin * plane), w = Values(random, cout * cin * 9), packed = new float[WinogradConv.PackedLength43(in shape)];
        float[] y = Enumerable.Repeat(float.NaN, (cout * oh * ow) + 5).ToArray();
        float[] scratch = Enumerable.Repeat(float.NaN, WinogradConv.ScratchLength43x128(in shape)).ToArray();
        WinogradConv.Pack43(in shape, w, packed);
        WinogradConv.RunStrided43x128(in shape, ref x[0], plane, ref packed[0], ref y[0], ref scratch[0]);
        for (int o = 0; o < cout; o++)
        {
            for (int r = 0; r < oh; r++)
            {
                for (int q = 0; q < ow; q++)
                {
                    double e = 0, scale = 0;
                    for (int c = 0; c < cin; c++)
                    {
                        for (int k = 0; k < 9; k++)
                        {
                            double p = (double)w[(((o * cin) + c) * 9) + k] * x[(c * plane) + ((r + (k / 3)) * iw) + q + (k % 3)];
                            (e, scale) = (e + p, scale + Math.Abs(p));
                        }
                    }

                    float actual = y[(((o * oh) + r) * ow) + q];
                    Assert.True(Math.Abs(e - actual) <= 1e-5 * (1 + scale), $"y[{o}][{r}][{q}] = {actual}, expected {e}");
                }
            }
        }

        Assert.All(y.Skip(cout * oh * ow), v => Assert.True(float.IsNaN(v)));
    });

    /// <summary>
    /// <see cref="Conv2dTrainer"/> at 128 bits on shapes whose products take the kernel (16 → 16 on 28 × 28: the Fashion-MNIST
    /// network's; 16 → 32 on 32 × 32: case B's; 32 → 18 on 13 × 30 and 20 → 16 on 14 × 14: partial tiles and channel blocks):
    /// z, Σ, Σ², dX, dW and dB bitwise the same at 1, 2 and 3 threads (7 samples), the route reported, and z and dX other bits
    /// with <see cref="Conv2dTrainer.Winograd128Enabled"/> off (the grid), dW the same (its own switch,
    /// <see cref="Conv2dTrainer.WinogradWeightGradientEnabled"/>).
    /// </summary>
    [Theory]
    [InlineData(16, 28, 28, 16)]
    [InlineData(16, 32, 32, 32)]
    [InlineData(32, 13, 30, 18)]
    [InlineData(32, 14, 14, 16)]
    public void Trainer_AnyThreadCount_Bitwise(int c, int h, int w, int oc) => KernelLevelCollection.AtLevel(128, () =>
    {
        if (!WinogradConv.Enabled128)
        {
            return;
        }

        const int n = 7;
        var random = new Random(c + h + w + oc);
        float[] x = Values(random, n * c * h * w), weight = Values(random, oc * c * 9), bias = Values(random, oc), dz = Values(random, n * oc * h * w);
        float[]? first = null;
        foreach ((int threads, bool route) in new[] { (1, true), (2, true), (3, true), (2, false) })
        {
            float[] z = new float[dz.Length], dx = new float[x.Length], dw = new float[weight.Length], db = new float[oc];
            double[] sum = new double[oc], sumSq = new double[oc];
            try
            {
                Conv2dTrainer.Winograd128Enabled = route;
                KernelLevelCollection.AtThreads(threads, () =>
                {
                    var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
                    trainer.Forward(x, weight, bias, z, n, sum, sumSq);
                    Assert.Equal(route, trainer.ForwardOnWinograd43);
                    trainer.Backward(x, ref dz[0], weight, dw, db, ref dx[0], true, n);
                    Assert.Equal(route, trainer.InputGradientOnWinograd43);
                    Assert.Equal(c % 4 == 0, trainer.WeightGradientOnWinograd);
                });
            }
            finally
            {
                Conv2dTrainer.Winograd128Enabled = true;
            }

            float[] all = [.. z, .. dx, .. dw, .. db, .. sum.Select(v => (float)v), .. sumSq.Select(v => (float)v)];
            first ??= all;
            if (route)
            {
                Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), all.Select(BitConverter.SingleToInt32Bits));
            }
            else
            {
                Assert.False(first.Take(z.Length).Select(BitConverter.SingleToInt32Bits).SequenceEqual(z.Select(BitConverter.SingleToInt32Bits)));
                Assert.False(first.Skip(z.Length).Take(dx.Length).Select(BitConverter.SingleToInt32Bits).SequenceEqual(dx.Select(BitConverter.SingleToInt32Bits)));
            }
        }
    });

    /// <summary>
    /// The 128-bit weight gradient (<see cref="WinogradConv.WeightGradientSample"/>, closed by <see cref="WinogradConv.CloseWeightGradient"/>)
    /// against double loops: two samples added into the same sums, planes and rows further apart than the plane (the grid's
    /// layout), odd planes (a partial last tile column and row), rows whose tile count is not a multiple of 4, bands of many
    /// rows and a short last band, an odd output channel count.
    /// </summary>
    [Theory]
    [InlineData(4, 3, 5, 7)]
    [InlineData(16, 32, 32, 32)]
    [InlineData(8, 17, 21, 19)]
    [InlineData(4, 2, 1, 1)]
    [InlineData(12, 6, 6, 130)]
    [InlineData(64, 64, 6, 56)]
    public void WeightGradient_MatchesDoubleLoops(int cin, int cout, int oh, int ow) => KernelLevelCollection.AtLevel(128, () =>
    {
        if (!WinogradConv.Enabled128)
        {
            return;
        }

        var shape = new WinogradShape(cin, cout, oh, ow);
        Assert.True(WinogradConv.WeightGradientRuns(in shape));
        int ih = shape.InHeight, iw = shape.InWidth, inRow = iw + 3, inPlane = (ih * inRow) + 5, dzRow = ow + 2, dzPlane = (oh * dzRow) + 7;
        var random = new Random(cin + cout + oh + ow);
        float[] sums = new float[WinogradConv.WeightGradientSumsLength(in shape)];
        float[] scratch = Enumerable.Repeat(float.NaN, WinogradConv.WeightGradientScratchLength(in shape)).ToArray();
        double[] expected = new double[cout * cin * 9], scale = new double[expected.Length];
        for (int s = 0; s < 2; s++)
        {
            float[] x = Values(random, cin * inPlane), dz = Values(random, cout * dzPlane);
            for (int o = 0; o < cout; o++)
            {
                for (int c = 0; c < cin; c++)
                {
                    for (int k = 0; k < 9; k++)
                    {
                        for (int r = 0; r < oh; r++)
                        {
                            for (int q = 0; q < ow; q++)
                            {
                                double p = (double)dz[(o * dzPlane) + (r * dzRow) + q] * x[(c * inPlane) + ((r + (k / 3)) * inRow) + q + (k % 3)];
                                expected[(((o * cin) + c) * 9) + k] += p;
                                scale[(((o * cin) + c) * 9) + k] += Math.Abs(p);
                            }
                        }
                    }
                }
            }

            WinogradConv.WeightGradientSample(in shape, x, inPlane, inRow, dz, dzPlane, dzRow, sums, scratch);
        }

        float[] dw = new float[expected.Length];
        WinogradConv.CloseWeightGradient(in shape, sums, dw, cin * 9);
        for (int i = 0; i < dw.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - dw[i]) <= 1e-5 * (1 + scale[i]), $"dW[{i}] = {dw[i]}, expected {expected[i]}");
        }
    });

    private static float[] Values(Random random, int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();
}
