using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Winograd F(4 × 4, 3 × 3) at 256 bits on rows of at most 4 tiles with two tile rows a vector (<see cref="WinogradConv.Flat43"/>,
/// WinogradConv.F43Quad256.cs) and the training route that takes it for rows of 4 tiles (<see cref="Conv2dTrainer.Flat43Enabled"/>:
/// the Fashion-MNIST network's 16 → 32 on 14 × 14). The kernel: the same bits as two tile rows a pass (half of each vector idle),
/// for any split into ranges of tile rows, within the route's tolerance of a double-precision convolution, nothing written outside
/// the output. The trainer: z, Σ, Σ², dX, dW and dB bitwise the same at 1, 2 and 3 threads and with either layout, against double
/// loops (WinogradTrainingTests), the routes reported, the switch taking the products back to the grid. A generated pipeline with
/// such layers against the reference at every width and bitwise at any thread count.
/// </summary>
[Collection("KernelLevel")]
public sealed class WinogradFlat43Tests
{
    private static readonly int[] Widths = new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits).ToArray();

    public static IEnumerable<object[]> ReferenceCases() => FusedVsReferenceTests.CasesFor(nameof(WinogradFlat43));

    public static IEnumerable<object[]> WidthCases() => Widths.Select(bits => new object[] { bits });

    /// <summary>
    /// Shapes with 1 to 4 tiles a row (partial last tiles), 1 to 7 tile rows (so a last pass of 1, 2 or 3 rows: one vector, or the
    /// second vector half used), padding 0 (the trainer's padded planes) and 1, channel counts not multiples of 8.
    /// </summary>
    [Theory]
    [InlineData(16, 32, 14, 14, 0)]
    [InlineData(32, 16, 14, 14, 0)]
    [InlineData(16, 32, 14, 14, 1)]
    [InlineData(5, 20, 17, 13, 1)]
    [InlineData(16, 16, 22, 15, 0)]
    [InlineData(3, 8, 26, 16, 1)]
    [InlineData(7, 9, 10, 9, 1)]
    [InlineData(4, 6, 5, 3, 0)]
    [InlineData(2, 3, 1, 1, 1)]
    public void Kernel_GivesThePairedLayoutsBits_AndMatchesADoubleConvolution(int cin, int cout, int height, int width, int padding) =>
        KernelLevelCollection.AtLevel(256, () =>
        {
            if (!WinogradConv.Enabled256)
            {
                return; // no AVX2 + FMA: the route does not run
            }

            var shape = new WinogradShape(cin, cout, height, width);
            var rng = new Random((cin * 31) + (cout * 7) + height + width + padding);
            int ih = height + 2 - (2 * padding), iw = width + 2 - (2 * padding);
            float[] x = Values(rng, cin * ih * iw), w = Values(rng, cout * cin * 9), scale = Values(rng, cout, 0.5), shift = Values(rng, cout);
            float[] packed = WinogradConv.Packed43(shape, w);
            double[] conv = Winograd43x256Tests.Convolution(x, w, cin, cout, ih, iw, height, width, padding);
            int tileRows = WinogradConv.TileRows43(shape);
            foreach (bool relu in new[] { false, true })
            {
                float[] paired;
                bool saved = WinogradConv.Flat43;
                try
                {
                    WinogradConv.Flat43 = false;
                    paired = Run(shape, padding, x, packed, scale, shift, relu, 0, tileRows);
                }
                finally
                {
                    WinogradConv.Flat43 = saved;
                }

                float[] y = Run(shape, padding, x, packed, scale, shift, relu, 0, tileRows);
                Assert.Equal(Bits(paired), Bits(y));
                double[] expected = new double[conv.Length];
                for (int i = 0; i < conv.Length; i++)
                {
                    double v = (scale[i / (height * width)] * conv[i]) + shift[i / (height * width)];
                    expected[i] = relu ? Math.Max(v, 0) : v;
                }

                Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(y), expected), 1e-5, $"flat F(4×4, 3×3) relu {relu}");
                for (int split = 1; split < tileRows; split++)
                {
                    Assert.Equal(Bits(y), Bits(Run(shape, padding, x, packed, scale, shift, relu, split, tileRows)));
                }
            }
        });

    /// <summary>
    /// <see cref="Conv2dTrainer"/> on rows of 4 tiles (14 × 14: Fashion-MNIST's 16 → 32 and its input gradient's 32 → 16; 22 × 14
    /// and 26 × 13 with a last pass of 2 and 3 tile rows; 17 × 15 with a lone last tile row and partial last tiles) at 256 bits: both
    /// products on F(4 × 4, 3 × 3), the weight gradient on the grid; z, Σ, Σ², dX, dW and dB bitwise the same at 1, 2 and 3 threads
    /// (7 samples: parts of unequal size) and with two tile rows a pass (<see cref="WinogradConv.Flat43"/> off); with
    /// <see cref="Conv2dTrainer.InputGradient43Enabled"/> off the same z and dX from the grid (other bits), with
    /// <see cref="Conv2dTrainer.Flat43Enabled"/> off both products on the grid (other z).
    /// </summary>
    [Theory]
    [InlineData(16, 14, 14, 32)]
    [InlineData(32, 14, 14, 16)]
    [InlineData(16, 22, 14, 32)]
    [InlineData(32, 26, 13, 16)]
    [InlineData(16, 17, 15, 32)]
    public void Trainer_OnFlat43_AnyThreadCount_Bitwise(int c, int h, int w, int oc) => KernelLevelCollection.AtLevel(256, () =>
    {
        if (!WinogradConv.Enabled256)
        {
            return;
        }

        const int n = 7;
        var random = new Random(c + h + w + oc);
        float[] x = Values(random, n * c * h * w), weight = Values(random, oc * c * 9), bias = Values(random, oc), dz = Values(random, n * oc * h * w);
        float[]? first = null;
        double[]? firstSums = null;
        foreach ((int threads, bool flat, bool input43, bool route) in new[]
        {
            (1, true, true, true), (2, true, true, true), (3, true, true, true), (2, false, true, true), (2, true, false, true), (1, true, true, false),
        })
        {
            float[] z = new float[dz.Length], dx = new float[x.Length], dw = new float[weight.Length], db = new float[oc];
            double[] sum = new double[oc], sumSq = new double[oc];
            try
            {
                (WinogradConv.Flat43, Conv2dTrainer.InputGradient43Enabled, Conv2dTrainer.Flat43Enabled) = (flat, input43, route);
                KernelLevelCollection.AtThreads(threads, () =>
                {
                    var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
                    trainer.Forward(x, weight, bias, z, n, sum, sumSq);
                    Assert.Equal(route, trainer.ForwardOnWinograd);
                    Assert.Equal(route, trainer.ForwardOnWinograd43);
                    trainer.Backward(x, ref dz[0], weight, dw, db, ref dx[0], true, n);
                    Assert.Equal(route && input43, trainer.InputGradientOnWinograd);
                    Assert.Equal(route && input43, trainer.InputGradientOnWinograd43);
                    Assert.False(trainer.WeightGradientOnWinograd);
                });
            }
            finally
            {
                (WinogradConv.Flat43, Conv2dTrainer.InputGradient43Enabled, Conv2dTrainer.Flat43Enabled) = (true, true, true);
            }

            float[] all = [.. z, .. dx, .. dw, .. db];
            double[] sums = [.. sum, .. sumSq];
            first ??= all;
            firstSums ??= sums;
            bool sameZ = first.Take(z.Length).Select(BitConverter.SingleToInt32Bits).SequenceEqual(z.Select(BitConverter.SingleToInt32Bits));
            bool sameDx = first.Skip(z.Length).Take(dx.Length).Select(BitConverter.SingleToInt32Bits).SequenceEqual(dx.Select(BitConverter.SingleToInt32Bits));
            if (route && input43)
            {
                Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), all.Select(BitConverter.SingleToInt32Bits));
                Assert.Equal(firstSums.Select(BitConverter.DoubleToInt64Bits), sums.Select(BitConverter.DoubleToInt64Bits));
            }
            else if (route)
            {
                Assert.True(sameZ);
                Assert.False(sameDx);
            }
            else
            {
                Assert.False(sameZ);
                Assert.False(sameDx);
            }
        }
    });

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Pipeline_MatchesReference(string pipeline, int bits, int batch) => FusedVsReferenceTests.CompareAt(pipeline, bits, batch);

    /// <summary>
    /// The pipeline's training steps bitwise the same at 1, 2 and 3 threads at every width; switching <see cref="Conv2dTrainer.Flat43Enabled"/>
    /// off changes the bits at 256 bits only (where the route runs).
    /// </summary>
    [Theory]
    [MemberData(nameof(WidthCases))]
    public void TrainingStep_AnyThreadCount_Bitwise_AndTheSwitchActsAt256Only(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        TrainingParallelTests.Step? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            TrainingParallelTests.Step step = default;
            KernelLevelCollection.AtThreads(threads, () => step = TrainingParallelTests.Run(nameof(WinogradFlat43), 13, steps: 2));
            first ??= step;
            TrainingParallelTests.AssertBitwise(first.Value.Values, step.Values, $"{nameof(WinogradFlat43)} at {bits} bits, {threads} threads");
        }

        TrainingParallelTests.Step off;
        try
        {
            Conv2dTrainer.Flat43Enabled = false;
            off = TrainingParallelTests.Run(nameof(WinogradFlat43), 13, steps: 2);
        }
        finally
        {
            Conv2dTrainer.Flat43Enabled = true;
        }

        bool differs = first!.Value.Values.Zip(off.Values)
            .Any(p => !p.First.Data.Select(BitConverter.SingleToInt32Bits).SequenceEqual(p.Second.Data.Select(BitConverter.SingleToInt32Bits)));
        Assert.Equal(bits == 256 && WinogradConv.Enabled256, differs);
    });

    // Winograd43x256Tests.Run without the residual and the pool: tile rows [split, tileRows) then [0, split), the sentinels checked.
    private static float[] Run(WinogradShape shape, int padding, float[] x, float[] packed, float[] scale, float[] shift, bool relu, int split, int tileRows) =>
        Winograd43x256Tests.Run(shape, padding, x, packed, scale, shift, new float[shape.OutChannels * shape.OutHeight * shape.OutWidth], false, false, relu, split, tileRows);

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    private static float[] Values(Random rng, int count, double offset = -0.5) =>
        Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() + offset)).ToArray();
}
