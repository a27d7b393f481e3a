using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The weight gradient on Winograd F(3×3, 2×2) (<c>WinogradConv.WeightGradient.cs</c>, taken by <see cref="Conv2dTrainer"/> where
/// its forward takes the Winograd route): the kernel against the direct sum in double (dW[o][c][ky][kx] = Σ_n Σ_y Σ_x
/// dZ[n][o][y][x]·Xpad[n][c][y + ky][x + kx]) on even, odd and tile-unaligned planes, and the trainer's dW bitwise the same at
/// 1, 2 and 3 threads, near the direct sum, and other bits than the grid's when the switch is off.
/// </summary>
[Collection("KernelLevel")]
public sealed class WinogradWeightGradientTests
{
    [Fact]
    public void Kernel_RejectsInputChannelsNotInSixteens_NamingTheCount()
    {
        // 24 input channels (not a multiple of 16): refused before anything is written, the message naming the count.
        var shape = new WinogradShape(24, 16, 8, 8);
        Assert.False(WinogradConv.WeightGradientRuns(in shape));
        float[] sums = new float[WinogradConv.WeightGradientSumsLength(in shape)];
        sums.AsSpan().Fill(3f);
        var error = Assert.Throws<NotSupportedException>(() => WinogradConv.WeightGradientSample(
            in shape, new float[24 * 10 * 10], 100, 10, new float[16 * 64], 64, 8, sums, new float[1 << 16]));
        Assert.Contains("multiples of 16", error.Message);
        Assert.Contains("24 input channels", error.Message);
        Assert.All(sums, v => Assert.Equal(3f, v));
    }

    [Theory]
    [InlineData(16, 16, 28, 28, 3)]
    [InlineData(16, 16, 14, 14, 2)]
    [InlineData(16, 32, 32, 32, 2)]
    [InlineData(32, 16, 13, 15, 2)]
    [InlineData(32, 32, 21, 23, 1)]
    [InlineData(16, 20, 7, 9, 3)]
    [InlineData(16, 16, 40, 37, 1)]
    [InlineData(32, 20, 9, 33, 2)]
    [InlineData(64, 64, 6, 56, 1)]
    [InlineData(48, 16, 4, 32, 2)]
    public void Kernel_MatchesTheDirectSum(int c, int oc, int oh, int ow, int n)
    {
        var shape = new WinogradShape(c, oc, oh, ow);
        if (!WinogradConv.WeightGradientRuns(in shape))
        {
            return;
        }

        var random = new Random((c * 7) + oc + oh + ow);

        // Padded planes with a row stride and a plane stride past their size (the margin zero), and dZ likewise, with junk between.
        int inRow = ow + 5, inPlane = ((oh + 2) * inRow) + 3, dzRow = ow + 3, dzPlane = (oh * dzRow) + 7;
        float[][] x = new float[n][], dz = new float[n][];
        for (int s = 0; s < n; s++)
        {
            x[s] = Enumerable.Range(0, c * inPlane).Select(_ => 1e6f).ToArray();
            dz[s] = Enumerable.Range(0, oc * dzPlane).Select(_ => 1e6f).ToArray();
            for (int ci = 0; ci < c; ci++)
            {
                for (int y = 0; y < oh + 2; y++)
                {
                    for (int xx = 0; xx < ow + 2; xx++)
                    {
                        bool margin = y == 0 || xx == 0 || y == oh + 1 || xx == ow + 1;
                        x[s][(ci * inPlane) + (y * inRow) + xx] = margin ? 0f : random.NextSingle() - 0.5f;
                    }
                }
            }

            for (int o = 0; o < oc; o++)
            {
                for (int y = 0; y < oh; y++)
                {
                    for (int xx = 0; xx < ow; xx++)
                    {
                        dz[s][(o * dzPlane) + (y * dzRow) + xx] = random.NextSingle() - 0.5f;
                    }
                }
            }
        }

        float[] sums = new float[WinogradConv.WeightGradientSumsLength(in shape)], scratch = new float[WinogradConv.WeightGradientScratchLength(in shape)];
        Array.Fill(scratch, float.NaN);
        for (int s = 0; s < n; s++)
        {
            WinogradConv.WeightGradientSample(in shape, x[s], inPlane, inRow, dz[s], dzPlane, dzRow, sums, scratch);
        }

        int row = (c * 9) + 2;
        float[] dw = Enumerable.Repeat(float.NaN, (oc * row) - 2).ToArray();
        WinogradConv.CloseWeightGradient(in shape, sums, dw, row);

        double[] expected = Direct(n, c, oc, oh, ow, (s, o, y, xx) => dz[s][(o * dzPlane) + (y * dzRow) + xx], (s, ci, y, xx) => x[s][(ci * inPlane) + (y * inRow) + xx]);
        double largest = expected.Max(Math.Abs);
        for (int o = 0; o < oc; o++)
        {
            for (int i = 0; i < c * 9; i++)
            {
                double e = expected[(o * c * 9) + i], actual = dw[(o * row) + i];
                Assert.True(Math.Abs(e - actual) <= 1e-5 * largest, $"dW[{o}][{i / 9}][{i % 9}] = {actual}, expected {e} (largest {largest})");
            }
        }
    }

    /// <summary>
    /// <see cref="WinogradConv.CloseWeightGradient"/> gives Gᵀ M G in double, rounded once, bit for bit as the scalar formula below
    /// (4 output channels in the lanes of a vector of doubles on AVX): output channel counts that leave 1 to 3 lanes of the last
    /// vector past the channels, sums over a wide range of magnitudes (so a changed rounding shows), and the floats between dW's
    /// rows never written.
    /// </summary>
    [Theory]
    [InlineData(16, 1)]
    [InlineData(16, 19)]
    [InlineData(3, 6)]
    [InlineData(32, 64)]
    [InlineData(17, 33)]
    public void Close_GivesTheScalarFormulaBitwise(int c, int oc)
    {
        var shape = new WinogradShape(c, oc, 6, 6);
        var random = new Random((c * 13) + oc);
        float[] sums = Enumerable.Range(0, WinogradConv.WeightGradientSumsLength(in shape))
            .Select(_ => (random.NextSingle() - 0.5f) * MathF.Pow(10f, random.Next(-6, 7))).ToArray();
        int row = (c * 9) + 3;
        float[] dw = Enumerable.Repeat(float.NaN, (oc * row) - 3).ToArray();
        WinogradConv.CloseWeightGradient(in shape, sums, dw, row);
        for (int o = 0; o < oc; o++)
        {
            for (int ci = 0; ci < c; ci++)
            {
                double[] m = Enumerable.Range(0, 16).Select(xi => (double)sums[(((xi * c) + ci) * shape.OutPad) + o]).ToArray();
                double[] t = new double[12];
                for (int j = 0; j < 4; j++)
                {
                    t[j] = m[j] + (0.5 * (m[4 + j] + m[8 + j]));
                    t[4 + j] = 0.5 * (m[4 + j] - m[8 + j]);
                    t[8 + j] = (0.5 * (m[4 + j] + m[8 + j])) + m[12 + j];
                }

                for (int k = 0; k < 3; k++)
                {
                    double a0 = t[4 * k], a1 = t[(4 * k) + 1], a2 = t[(4 * k) + 2], a3 = t[(4 * k) + 3];
                    float[] expected = [(float)(a0 + (0.5 * (a1 + a2))), (float)(0.5 * (a1 - a2)), (float)((0.5 * (a1 + a2)) + a3)];
                    for (int i = 0; i < 3; i++)
                    {
                        float actual = dw[(o * row) + (ci * 9) + (3 * k) + i];
                        Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual), $"dW[{o}][{ci}][{(3 * k) + i}] = {actual}, expected {expected[i]}");
                    }
                }
            }

            for (int i = c * 9; i < row && (o * row) + i < dw.Length; i++)
            {
                Assert.True(float.IsNaN(dw[(o * row) + i]), $"dW's gap after row {o} written at {i}");
            }
        }
    }

    /// <summary>
    /// <see cref="Conv2dTrainer"/> on shapes whose forward takes the Winograd route (Fashion-MNIST's 16 → 16 at 28 × 28, case B's
    /// 16 → 32, an odd plane): dW near the direct sum, bitwise the same at 1, 2 and 3 threads, reported on the route, and other
    /// bits with <see cref="Conv2dTrainer.WinogradWeightGradientEnabled"/> off (then on the grid).
    /// </summary>
    [Theory]
    [InlineData(16, 28, 28, 16, 13)]
    [InlineData(16, 32, 32, 32, 5)]
    [InlineData(32, 21, 23, 32, 4)]
    [InlineData(16, 14, 14, 32, 7)]
    [InlineData(32, 9, 33, 20, 3)]
    public void Trainer_WeightGradient_AnyThreadCount_Bitwise(int c, int h, int w, int oc, int n)
    {
        var random = new Random(c + h + w + oc);
        float[] x = Values(random, n * c * h * w), weight = Values(random, oc * c * 9), dz = Values(random, n * oc * h * w);
        bool runs = WinogradConv.WeightGradientRuns(new WinogradShape(c, oc, h, w));
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            float[] dw = Run(threads, out bool onWinograd);
            Assert.Equal(runs, onWinograd);
            first ??= dw;
            Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), dw.Select(BitConverter.SingleToInt32Bits));
        }

        // The padded input: zero in the margin.
        double[] expected = Direct(n, c, oc, h, w, (s, o, y, xx) => dz[(((s * oc) + o) * h * w) + (y * w) + xx], (s, ci, y, xx) =>
            y >= 1 && y <= h && xx >= 1 && xx <= w ? x[(((s * c) + ci) * h * w) + ((y - 1) * w) + xx - 1] : 0f);
        double largest = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - first![i]) <= 1e-5 * largest, $"dW[{i}] = {first[i]}, expected {expected[i]}");
        }

        bool saved = Conv2dTrainer.WinogradWeightGradientEnabled;
        try
        {
            Conv2dTrainer.WinogradWeightGradientEnabled = false;
            float[] grid = Run(1, out bool off);
            Assert.False(off);
            Assert.Equal(runs, !first!.Select(BitConverter.SingleToInt32Bits).SequenceEqual(grid.Select(BitConverter.SingleToInt32Bits)));
        }
        finally
        {
            Conv2dTrainer.WinogradWeightGradientEnabled = saved;
        }

        float[] Run(int threads, out bool onWinograd)
        {
            float[] dw = new float[weight.Length], dx = new float[x.Length];
            bool on = false;
            KernelLevelCollection.AtThreads(threads, () =>
            {
                var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
                trainer.Forward(x, weight, null, new float[dz.Length], n, null, null);
                trainer.Backward(x, ref dz[0], weight, dw, null, ref dx[0], true, n);
                on = trainer.WeightGradientOnWinograd;
            });
            onWinograd = on;
            return dw;
        }
    }

    // dW[o][c][ky][kx] = Σ_n Σ_y Σ_x dZ[n][o][y][x]·Xpad[n][c][y + ky][x + kx] in double, as [o][c][9].
    private static double[] Direct(int n, int c, int oc, int oh, int ow, Func<int, int, int, int, float> dz, Func<int, int, int, int, float> xpad)
    {
        double[] expected = new double[oc * c * 9];
        for (int s = 0; s < n; s++)
        {
            for (int o = 0; o < oc; o++)
            {
                for (int ci = 0; ci < c; ci++)
                {
                    for (int k = 0; k < 9; k++)
                    {
                        double a = 0;
                        for (int y = 0; y < oh; y++)
                        {
                            for (int xx = 0; xx < ow; xx++)
                            {
                                a += (double)dz(s, o, y, xx) * xpad(s, ci, y + (k / 3), xx + (k % 3));
                            }
                        }

                        expected[(((o * c) + ci) * 9) + k] += a;
                    }
                }
            }
        }

        return expected;
    }

    private static float[] Values(Random random, int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();
}
