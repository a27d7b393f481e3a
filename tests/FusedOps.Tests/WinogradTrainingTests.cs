using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The training convolutions' Winograd F(2×2, 3×3) route (<c>Conv2dTrainer.Winograd.cs</c>): the forward product and the input
/// gradient's. Generated pipelines that take it against the double-precision reference at every width (forward output, running
/// statistics, every gradient and the input gradient within the normwise tolerances of <see cref="FusedVsReferenceTests"/>),
/// bitwise the same at 1, 2 and 3 threads; <see cref="Conv2dTrainer"/> itself against double loops; and the route taken exactly
/// where it applies (the bits change when it is switched off, and only there).
/// </summary>
[Collection("KernelLevel")]
public sealed class WinogradTrainingTests
{
    private static readonly int[] Widths = new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits).ToArray();

    public static IEnumerable<object[]> ReferenceCases() =>
        FusedVsReferenceTests.CasesFor(nameof(WinogradPair), nameof(WinogradResidual), nameof(WinogradOdd), nameof(WinogradNarrow), nameof(WinogradWide));

    public static IEnumerable<object[]> ThreadCases() =>
        Widths.SelectMany(bits => new[] { nameof(WinogradPair), nameof(WinogradResidual), nameof(WinogradNarrow), nameof(WinogradWide) }.Select(p => new object[] { p, bits }));

    public static IEnumerable<object[]> WidthCases() => Widths.Select(bits => new object[] { bits });

    // The 32 → 40 shape (the channels block both ways), 16 → 32 on an odd plane (the tiles block both ways: 16 → 32 forward,
    // 32 → 16 input gradient) and on 14 × 14 (the tiles block on flat tiles, three tile rows in a vector); rows of 16 and more
    // tiles (the route at 256 bits too): 16 → 32 on 9 × 33 (17 tiles: the second 16-tile block partial) and 32 → 40 on 6 × 40;
    // rows of 14 and 15 tiles (the route at 256 bits since MinTrainingTiles256 is 14): 16 → 16 on 28 × 28 (Fashion-MNIST's
    // layers) and 16 → 20 on 27 × 30 (odd height, 20 output channels); 64 → 64 on 6 × 56 and 64 → 80 on 9 × 58 (case C's kind of
    // layer, whose forward takes F(4 × 4, 3 × 3) at 256 bits: a partial last tile row and tile column) and 16 → 32 on 7 × 32 and
    // 16 → 24 on 7 × 30 (rows of 8 tiles, case B's kind, the same); 16 → 16 on 9 × 27 (rows of 7 tiles, the last with 3 columns,
    // and a lone last tile row of 1 output row) and 32 → 16 on 10 × 31 (8 tiles, the last with 3 columns; its input gradient
    // 16 → 32), whose forwards and input gradients take F(4 × 4, 3 × 3) at 256 bits like the 28 × 28 and 27 × 30 ones (and the
    // input gradients of case C's kind: 64 → 64 on 6 × 56, 80 → 64 on 9 × 58); 16 → 32 on 14 × 14, 22 × 14 and 32 → 16 on
    // 26 × 13 (rows of 4 F(4 × 4, 3 × 3) tiles: both products on it at 256 bits, two tile rows a vector; 6 and 7 tile rows).
    public static IEnumerable<object[]> TrainerCases() =>
        Widths.SelectMany(bits => new[]
        {
            new object[] { bits, 32, 20, 22, 40 }, new object[] { bits, 16, 21, 23, 32 }, new object[] { bits, 16, 14, 14, 32 },
            new object[] { bits, 16, 9, 33, 32 }, new object[] { bits, 32, 6, 40, 40 }, new object[] { bits, 16, 28, 28, 16 },
            new object[] { bits, 16, 27, 30, 20 }, new object[] { bits, 64, 6, 56, 64 }, new object[] { bits, 64, 9, 58, 80 },
            new object[] { bits, 16, 7, 32, 32 }, new object[] { bits, 16, 7, 30, 24 }, new object[] { bits, 16, 9, 27, 16 },
            new object[] { bits, 32, 10, 31, 16 }, new object[] { bits, 16, 22, 14, 32 }, new object[] { bits, 32, 26, 13, 16 },
        });

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Pipeline_MatchesReference(string pipeline, int bits, int batch) => FusedVsReferenceTests.CompareAt(pipeline, bits, batch);

    /// <summary>Batches that are split over threads and not a multiple of the parts: every value bitwise the same.</summary>
    [Theory]
    [MemberData(nameof(ThreadCases))]
    public void TrainingStep_AnyThreadCount_BitwiseIdentical(string pipeline, int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        TrainingParallelTests.Step? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            TrainingParallelTests.Step step = default;
            KernelLevelCollection.AtThreads(threads, () => step = TrainingParallelTests.Run(pipeline, 13, steps: 2));
            first ??= step;
            TrainingParallelTests.AssertBitwise(first.Value.Values, step.Values, $"{pipeline} at {bits} bits, {threads} threads");
        }
    });

    /// <summary>
    /// A generated model's step with the route on and off: different bits where the kernel runs this shape at this width
    /// (<see cref="WinogradConv.TrainingRuns"/> on the model's convolutions: every shape at 512 bits, the rows of 14 tiles and
    /// more at 256, so the 28 × 28 16 → 16 layer's products, not 26 × 26) or its weight gradient (<see cref="WinogradConv.WeightGradientRuns"/>: from 14 tiles a row at 256 bits, so
    /// the 28 × 28 16 → 16 layer), the same bits elsewhere; a model whose convolutions the route does not take gives the same bits.
    /// </summary>
    [Theory]
    [MemberData(nameof(WidthCases))]
    public void GeneratedStep_TakesTheRouteExactlyWhereItApplies(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        Assert.Equal(Takes(32, 32, 20, 20), Differs(nameof(WinogradPair)));
        Assert.Equal(Takes(32, 33, 23, 19), Differs(nameof(WinogradOdd)));
        Assert.Equal(Takes(16, 16, 28, 28), Differs(nameof(WinogradNarrow)));
        Assert.Equal(Takes(16, 32, 10, 34), Differs(nameof(WinogradWide)));
        Assert.Equal(bits >= 256, Runs(16, 32, 10, 34));
        Assert.Equal(bits >= 256 || (bits == 128 && WinogradConv.Enabled128), Runs(16, 16, 28, 28));
        Assert.Equal(bits >= 512 || (bits == 128 && WinogradConv.Enabled128), Runs(16, 16, 26, 26));
        Assert.False(Differs(nameof(ConvBnRelu)));
    });

    /// <summary>
    /// <see cref="Conv2dTrainer"/> on a shape that takes the route: z = conv + bias, the channel sums Σ and Σ² of conv, and dX
    /// against double loops (the elementwise bound of <see cref="Conv2dTrainerTests"/>), and which route each product took.
    /// </summary>
    [Theory]
    [MemberData(nameof(TrainerCases))]
    public void Trainer_MatchesDoubleLoops_AndReportsItsRoute(int bits, int c, int h, int w, int oc)
    {
        const int n = 3;
        var random = new Random(bits + 3);
        float[] x = Values(random, n * c * h * w), weight = Values(random, oc * c * 9), bias = Values(random, oc), dz = Values(random, n * oc * h * w);
        float[] z = new float[dz.Length], dx = new float[x.Length], weightGrad = new float[weight.Length];
        double[] sum = new double[oc], sumSq = new double[oc];
        bool forward = false, input = false, runs = false, forward43 = false, input43 = false;
        KernelLevelCollection.AtLevel(bits, () =>
        {
            runs = Runs(c, oc, h, w);
            var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
            trainer.Forward(x, weight, bias, z, n, sum, sumSq);
            forward = trainer.ForwardOnWinograd;
            forward43 = trainer.ForwardOnWinograd43;
            trainer.Backward(x, ref dz[0], weight, weightGrad, null, ref dx[0], true, n);
            input = trainer.InputGradientOnWinograd;
            input43 = trainer.InputGradientOnWinograd43;
        });
        Assert.Equal(runs, forward);
        Assert.Equal(runs, input);
        Assert.Equal(runs && (bits == 128 || (bits == 256 && ((c >= 64 && w >= 56) || (w + 3) / 4 is 4 or 7 or 8))), forward43);
        Assert.Equal(runs && (bits == 128 || (bits == 256 && ((oc >= 64 && w >= 56) || (w + 3) / 4 is 4 or 7 or 8))), input43);

        double[] conv = new double[z.Length], convScale = new double[z.Length], expectedX = new double[x.Length], scaleX = new double[x.Length];
        for (int s = 0; s < n; s++)
        {
            for (int o = 0; o < oc; o++)
            {
                for (int y = 0; y < h; y++)
                {
                    for (int xx = 0; xx < w; xx++)
                    {
                        int zi = (((s * oc) + o) * h * w) + (y * w) + xx;
                        for (int ci = 0; ci < c; ci++)
                        {
                            for (int t = 0; t < 9; t++)
                            {
                                int iy = y - 1 + (t / 3), ix = xx - 1 + (t % 3);
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                {
                                    continue;
                                }

                                int xi = (((s * c) + ci) * h * w) + (iy * w) + ix, wi = (((o * c) + ci) * 9) + t;
                                conv[zi] += (double)weight[wi] * x[xi];
                                convScale[zi] += Math.Abs((double)weight[wi] * x[xi]);
                                expectedX[xi] += (double)dz[zi] * weight[wi];
                                scaleX[xi] += Math.Abs((double)dz[zi] * weight[wi]);
                            }
                        }
                    }
                }
            }
        }

        for (int i = 0; i < z.Length; i++)
        {
            double e = conv[i] + bias[i / (h * w) % oc];
            Assert.True(Math.Abs(e - z[i]) <= 1e-5 * (1 + convScale[i]), $"z[{i}] = {z[i]}, expected {e}");
        }

        for (int o = 0; o < oc; o++)
        {
            double a = 0, q = 0, scale = 0;
            for (int s = 0; s < n; s++)
            {
                for (int p = 0; p < h * w; p++)
                {
                    int zi = (((s * oc) + o) * h * w) + p;
                    (a, q, scale) = (a + conv[zi], q + (conv[zi] * conv[zi]), scale + convScale[zi]);
                }
            }

            Assert.True(Math.Abs(a - sum[o]) <= 1e-5 * (1 + scale), $"Σ[{o}] = {sum[o]}, expected {a}");
            Assert.True(Math.Abs(q - sumSq[o]) <= 1e-5 * (1 + q), $"Σ²[{o}] = {sumSq[o]}, expected {q}");
        }

        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(expectedX[i] - dx[i]) <= 1e-5 * (1 + scaleX[i]), $"dX[{i}] = {dx[i]}, expected {expectedX[i]}");
        }
    }

    /// <summary>
    /// <see cref="Conv2dTrainer"/> on 14 × 14 planes (7 tiles a row: the tiles-in-lanes block on flat tiles, 16 → 32 forward and
    /// 32 → 16 input gradient) and an odd 17 × 15 (8 tiles a row, the last column and row half used): z, Σ, Σ², dX and dW bitwise the same at 1, 2 and 3 threads (batches not a
    /// multiple of the parts) and with the tiles one row at a time (<see cref="WinogradTileLayout.Rows"/>); and 64 → 80 on 9 × 58 and
    /// 16 → 24 on 7 × 30, whose forwards take F(4 × 4, 3 × 3) at 256 bits (<see cref="Conv2dTrainer.Winograd43Enabled"/>).
    /// </summary>
    [Theory]
    [InlineData(16, 14, 14, 32)]
    [InlineData(16, 17, 15, 32)]
    [InlineData(64, 9, 58, 80)]
    [InlineData(16, 7, 30, 24)]
    public void Trainer_FlatTiles_AnyThreadCount_Bitwise(int c, int h, int w, int oc)
    {
        const int n = 7;
        var random = new Random(c + h + oc);
        float[] x = Values(random, n * c * h * w), weight = Values(random, oc * c * 9), bias = Values(random, oc), dz = Values(random, n * oc * h * w);
        int saved = Conv2dTrainer.MinWinogradPixels;
        WinogradTileLayout layout = WinogradConv.Layout;
        try
        {
            Conv2dTrainer.MinWinogradPixels = 196;
            float[]? first = null;
            double[]? firstSums = null;
            foreach ((int threads, WinogradTileLayout tiles) in new[] { (1, WinogradTileLayout.Auto), (2, WinogradTileLayout.Auto), (3, WinogradTileLayout.Auto), (2, WinogradTileLayout.Rows) })
            {
                WinogradConv.Layout = tiles;
                float[] all = [];
                double[] sums = [];
                KernelLevelCollection.AtThreads(threads, () =>
                {
                    var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
                    float[] z = new float[dz.Length], dx = new float[x.Length], dw = new float[weight.Length];
                    double[] sum = new double[oc], sumSq = new double[oc];
                    trainer.Forward(x, weight, bias, z, n, sum, sumSq);
                    trainer.Backward(x, ref dz[0], weight, dw, null, ref dx[0], true, n);
                    Assert.Equal(Runs(c, oc, h, w), trainer.ForwardOnWinograd);
                    Assert.Equal(Runs(oc, c, h, w), trainer.InputGradientOnWinograd);
                    all = [.. z, .. dx, .. dw];
                    sums = [.. sum, .. sumSq];
                });
                first ??= all;
                firstSums ??= sums;
                Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), all.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(firstSums.Select(BitConverter.DoubleToInt64Bits), sums.Select(BitConverter.DoubleToInt64Bits));
            }
        }
        finally
        {
            (Conv2dTrainer.MinWinogradPixels, WinogradConv.Layout) = (saved, layout);
        }
    }

    /// <summary>
    /// <see cref="Conv2dTrainer"/> where the forward and the input gradient take F(4 × 4, 3 × 3) at 256 bits (rows of 7 and 8 tiles:
    /// the Fashion-MNIST network's 16 → 16 on 28 × 28, 7 tiles with a partial last one and a lone last tile row, and 32 → 16 with
    /// the input gradient 16 → 32): z, Σ, Σ², dX, dW and dB bitwise the same at 1, 2 and 3 threads (7 samples: parts of unequal
    /// size), and the routes reported (<see cref="Conv2dTrainer.ForwardOnWinograd43"/>, <see cref="Conv2dTrainer.InputGradientOnWinograd43"/>);
    /// with <see cref="Conv2dTrainer.InputGradient43Enabled"/> off the input gradient takes F(2 × 2, 3 × 3) (other bits) and the forward
    /// stays on F(4 × 4, 3 × 3) (the same z).
    /// </summary>
    [Theory]
    [InlineData(16, 28, 28, 16)]
    [InlineData(16, 9, 27, 16)]
    [InlineData(32, 10, 31, 16)]
    public void Trainer_OnF43_AnyThreadCount_Bitwise(int c, int h, int w, int oc) => KernelLevelCollection.AtLevel(256, () =>
    {
        const int n = 7;
        var random = new Random(c + h + w + oc);
        float[] x = Values(random, n * c * h * w), weight = Values(random, oc * c * 9), bias = Values(random, oc), dz = Values(random, n * oc * h * w);
        bool f43 = WinogradConv.Enabled256 && Runs(c, oc, h, w), in43 = WinogradConv.Enabled256 && Runs(oc, c, h, w);
        float[]? first = null;
        double[]? firstSums = null;
        foreach ((int threads, bool input43) in new[] { (1, true), (2, true), (3, true), (2, false) })
        {
            float[] z = new float[dz.Length], dx = new float[x.Length], dw = new float[weight.Length], db = new float[oc];
            double[] sum = new double[oc], sumSq = new double[oc];
            try
            {
                Conv2dTrainer.InputGradient43Enabled = input43;
                KernelLevelCollection.AtThreads(threads, () =>
                {
                    var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
                    trainer.Forward(x, weight, bias, z, n, sum, sumSq);
                    Assert.Equal(f43, trainer.ForwardOnWinograd43);
                    trainer.Backward(x, ref dz[0], weight, dw, db, ref dx[0], true, n);
                    Assert.Equal(Runs(oc, c, h, w), trainer.InputGradientOnWinograd);
                    Assert.Equal(in43 && input43, trainer.InputGradientOnWinograd43);
                });
            }
            finally
            {
                Conv2dTrainer.InputGradient43Enabled = true;
            }

            float[] all = [.. z, .. dx, .. dw, .. db];
            double[] sums = [.. sum, .. sumSq];
            first ??= all;
            firstSums ??= sums;
            if (input43)
            {
                Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), all.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(firstSums.Select(BitConverter.DoubleToInt64Bits), sums.Select(BitConverter.DoubleToInt64Bits));
            }
            else
            {
                Assert.Equal(first.Take(z.Length).Select(BitConverter.SingleToInt32Bits), z.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(!in43, first.Skip(z.Length).Take(dx.Length).Select(BitConverter.SingleToInt32Bits).SequenceEqual(dx.Select(BitConverter.SingleToInt32Bits)));
            }
        }
    });

    /// <summary>
    /// Shapes the route does not take: a 1×1 kernel, a dilated 3×3, padding 0, too few input or output channels, small planes
    /// (under 196 pixels, or under 400 where the input channels are not a multiple of 16).
    /// </summary>
    [Theory]
    [InlineData(32, 20, 22, 32, 1, 0, 1)]
    [InlineData(32, 20, 22, 32, 3, 2, 2)]
    [InlineData(32, 20, 22, 32, 3, 0, 1)]
    [InlineData(1, 20, 22, 32, 3, 1, 1)]
    [InlineData(8, 20, 22, 32, 3, 1, 1)]
    [InlineData(32, 20, 22, 8, 3, 1, 1)]
    [InlineData(32, 13, 14, 32, 3, 1, 1)]
    [InlineData(16, 7, 7, 32, 3, 1, 1)]
    [InlineData(24, 14, 14, 24, 3, 1, 1)]
    public void Trainer_OtherShapes_StayOnTheGrid(int c, int h, int w, int oc, int k, int pad, int dil)
    {
        var random = new Random(c + h + w + k);
        int oh = h + (2 * pad) - (dil * (k - 1)), ow = w + (2 * pad) - (dil * (k - 1));
        float[] x = Values(random, 2 * c * h * w), weight = Values(random, oc * c * k * k), dz = Values(random, 2 * oc * oh * ow);
        float[] dx = new float[x.Length];
        var trainer = new Conv2dTrainer(c, h, w, oc, k, pad, dil);
        trainer.Forward(x, weight, null, new float[dz.Length], 2, null, null);
        trainer.Backward(x, ref dz[0], weight, new float[weight.Length], null, ref dx[0], true, 2);
        Assert.False(trainer.ForwardOnWinograd);
        Assert.False(trainer.InputGradientOnWinograd);
    }

    /// <summary>
    /// Each product decides on its own channel counts: 32 or more on both sides, or 16 or more with at most 32 input and 48
    /// output channels (16 → 48 forward takes the route, its 48 → 16 input gradient stays on the grid; 16 → 64 neither), where
    /// the kernel runs this shape at this width (<see cref="WinogradConv.TrainingRuns"/>: at 256 bits rows of 28 output
    /// columns and more take it, rows of 14 do not).
    /// </summary>
    [Theory]
    [InlineData(16, 28, 28, 16, true, true)]
    [InlineData(16, 32, 32, 32, true, true)]
    [InlineData(16, 20, 22, 48, true, false)]
    [InlineData(48, 20, 22, 16, false, true)]
    [InlineData(16, 20, 22, 64, false, false)]
    [InlineData(32, 20, 22, 48, true, true)]
    [InlineData(16, 14, 14, 32, true, true)]
    [InlineData(32, 14, 14, 32, true, true)]
    [InlineData(16, 8, 32, 32, true, true)]
    [InlineData(64, 4, 56, 64, true, true)]
    [InlineData(16, 8, 30, 32, true, true)]
    public void Trainer_TakesTheRoutePerProduct(int c, int h, int w, int oc, bool forward, bool input)
    {
        var random = new Random(c + oc);
        float[] x = Values(random, c * h * w), weight = Values(random, oc * c * 9), dz = Values(random, oc * h * w), dx = new float[x.Length];
        var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
        trainer.Forward(x, weight, null, new float[dz.Length], 1, null, null);
        trainer.Backward(x, ref dz[0], weight, new float[weight.Length], null, ref dx[0], true, 1);
        bool on = Conv2dTrainer.WinogradEnabled;
        Assert.Equal(on && forward && Runs(c, oc, h, w), trainer.ForwardOnWinograd);
        Assert.Equal(on && input && Runs(oc, c, h, w), trainer.InputGradientOnWinograd);
    }

    /// <summary>
    /// <see cref="WinogradConv.PackForTraining"/> gives <see cref="WinogradConv.Pack"/>'s and <see cref="WinogradConv.PackTransposedFlipped"/>'s
    /// bits, on channel counts around the 16-lane blocks, at every width (the Vector512 path where the kernel runs, its loop elsewhere).
    /// </summary>
    [Theory]
    [MemberData(nameof(WidthCases))]
    public void PackForTraining_GivesThePackedWeightsBitwise(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        foreach ((int cin, int cout) in new[] { (1, 1), (3, 17), (32, 40), (64, 64), (17, 33) })
        {
            var random = new Random((cin * 31) + cout);
            float[] w = Values(random, cout * cin * 9);
            foreach (bool flip in new[] { false, true })
            {
                var shape = flip ? new WinogradShape(cout, cin, 6, 5) : new WinogradShape(cin, cout, 6, 5);
                float[] expected = new float[shape.PackedLength], actual = Enumerable.Repeat(float.NaN, shape.PackedLength).ToArray();
                if (flip)
                {
                    WinogradConv.PackTransposedFlipped(shape, w, expected);
                }
                else
                {
                    WinogradConv.Pack(shape, w, expected);
                }

                WinogradConv.PackForTraining(shape, w, actual, flip, new float[9 * shape.OutPad]);
                Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
            }
        }
    });

    // Whether the route's kernel runs a product of this shape (channels in and out, output plane) at the current width: where
    // WinogradConv.TrainingRuns holds, at 256 bits on rows of 4 F(4 × 4, 3 × 3) tiles (Conv2dTrainer.Flat43Enabled), and at 128
    // bits on the shapes F(4 × 4, 3 × 3) takes at 256 (WinogradConv.F43x128.cs): 64 channels or more on rows of 56 or more, rows of
    // 4, 7 or 8 tiles.
    private static bool Runs(int c, int oc, int h, int w) =>
        WinogradConv.TrainingRuns(new WinogradShape(c, oc, h, w)) || (WinogradConv.Enabled256 && (w + 3) / 4 == 4)
        || (WinogradConv.Enabled128 && ((c >= 64 && w >= 56) || (w + 3) / 4 is 4 or 7 or 8));

    // Whether a convolution of this shape (channels in and out, output plane) takes the route for a product or its weight gradient.
    private static bool Takes(int c, int oc, int h, int w) => Runs(c, oc, h, w) || WinogradConv.WeightGradientRuns(new WinogradShape(c, oc, h, w));

    // Whether one training step of the pipeline gives other bits with the Winograd route switched off.
    private static bool Differs(string pipeline)
    {
        TrainingParallelTests.Step on = TrainingParallelTests.Run(pipeline, 3, steps: 1);
        bool saved = Conv2dTrainer.WinogradEnabled;
        TrainingParallelTests.Step off;
        try
        {
            Conv2dTrainer.WinogradEnabled = false;
            off = TrainingParallelTests.Run(pipeline, 3, steps: 1);
        }
        finally
        {
            Conv2dTrainer.WinogradEnabled = saved;
        }

        return on.Values.Zip(off.Values).Any(p => !p.First.Data.Select(BitConverter.SingleToInt32Bits).SequenceEqual(p.Second.Data.Select(BitConverter.SingleToInt32Bits)));
    }

    private static float[] Values(Random random, int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();
}
