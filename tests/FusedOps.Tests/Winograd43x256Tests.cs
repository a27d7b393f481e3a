using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The 256-bit inference route's Winograd F(4 × 4, 3 × 3) (<see cref="WinogradConv.RunUnpadded43x256{TAct}"/>, WinogradConv.F43x256.cs)
/// against a double-precision convolution: padding 1 and 0, heights and widths that leave partial tiles (rows of 1 to 3 outputs
/// in the last tile row, columns of 1 to 3 in the last tile, one to three vectors of 8 tiles; rows of at most 8 tiles run two at a
/// time, so an odd count of tile rows ends in a lone one), channel counts that are not
/// multiples of 8, with and without the residual and the pool, ReLU and none; any split into ranges of tile rows gives the same
/// bits, and nothing outside the output is written (the input at its array's very end: nothing outside it is read).
/// </summary>
[Collection("KernelLevel")]
public sealed class Winograd43x256Tests
{
    private const float Gap = 12345f;

    // Normwise errors measured (max |y − exact| / max |exact|, values in [−0.5, 0.5), scale in [0.5, 1.5)): 2.2e-7 to 3.1e-6 over the cases
    // below, the largest for 16 → 16 (more terms a sum); the Fashion-MNIST shape 3.0e-6 against F(2 × 2, 3 × 3)'s 1.9e-7 on the same data
    // (FashionShape_ErrorIsAboutSixteenTimesFTwo): F(4 × 4, 3 × 3)'s transform constants (up to 8 in Aᵀ, 5 in Bᵀ, 1⁄24 in G) scale the
    // rounding of its intermediate values. 1e-5 is the tolerance every Frozen.Infer is held to against the reference
    // (FusedVsReferenceTests), about 3× the largest measured; a wrong tap or a misplaced tile gives 1e-2 and more.
    private const double Tolerance = 1e-5;

    [Theory]
    [InlineData(16, 16, 28, 28, 1)]
    [InlineData(16, 16, 10, 28, 1)]
    [InlineData(3, 5, 7, 9, 1)]
    [InlineData(1, 17, 6, 6, 1)]
    [InlineData(5, 20, 6, 11, 0)]
    [InlineData(2, 3, 35, 34, 1)]
    [InlineData(16, 40, 9, 34, 1)]
    [InlineData(4, 6, 1, 1, 1)]
    [InlineData(7, 9, 2, 2, 0)]
    [InlineData(8, 16, 10, 40, 1)]
    [InlineData(3, 12, 14, 14, 1)]
    [InlineData(6, 30, 8, 70, 1)]
    [InlineData(9, 13, 11, 58, 1)]
    [InlineData(16, 32, 32, 32, 1)]
    [InlineData(16, 32, 13, 32, 1)]
    [InlineData(16, 32, 9, 30, 1)]
    public void MatchesADoubleConvolution_AnySplitTheSameBits(int cin, int cout, int height, int width, int padding) =>
        KernelLevelCollection.AtLevel(256, () =>
        {
            if (!WinogradConv.Enabled256)
            {
                return; // no AVX2 + FMA: the route does not run
            }

            var shape = new WinogradShape(cin, cout, height, width);
            var rng = new Random((cin * 31) + (cout * 7) + height + width + padding);
            int ih = height + 2 - (2 * padding), iw = width + 2 - (2 * padding), plane = height * width;
            float[] x = Values(rng, cin * ih * iw), w = Values(rng, cout * cin * 9), scale = Values(rng, cout, 0.5), shift = Values(rng, cout);
            float[] res = Values(rng, cout * plane), packed = WinogradConv.Packed43(shape, w);
            double[] conv = Convolution(x, w, cin, cout, ih, iw, height, width, padding);
            int tileRows = WinogradConv.TileRows43(shape);
            bool even = height % 2 == 0 && width % 2 == 0;
            foreach (bool relu in new[] { false, true })
            {
                foreach (bool residual in new[] { false, true })
                {
                    foreach (bool pool in even ? new[] { false, true } : new[] { false })
                    {
                        float[] y = Run(shape, padding, x, packed, scale, shift, res, residual, pool, relu, 0, tileRows);
                        double[] expected = Expected(conv, scale, shift, residual ? res : null, pool, relu, cout, height, width);
                        Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(y), expected), Tolerance, $"F(4×4, 3×3) relu {relu} residual {residual} pool {pool}");
                        for (int split = 1; split <= tileRows; split++)
                        {
                            Assert.Equal(Bits(y), Bits(Run(shape, padding, x, packed, scale, shift, res, residual, pool, relu, split, tileRows)));
                        }
                    }
                }
            }
        });

    /// <summary>
    /// The error behind the tolerance above, on the Fashion-MNIST shape with the residual and ReLU: below half of it, and within
    /// 32× F(2 × 2, 3 × 3)'s error on the same data (measured 3.0e-6 against 1.9e-7: about 16×).
    /// </summary>
    [Fact]
    public void FashionShape_ErrorIsAboutSixteenTimesFTwo() =>
        KernelLevelCollection.AtLevel(256, () =>
        {
            if (!WinogradConv.Enabled256)
            {
                return;
            }

            var shape = new WinogradShape(16, 16, 28, 28);
            var rng = new Random(11);
            float[] x = Values(rng, 16 * 28 * 28), w = Values(rng, 16 * 16 * 9), scale = Values(rng, 16, 0.5), shift = Values(rng, 16);
            float[] res = Values(rng, 16 * 28 * 28);
            float[] y = Run(shape, 1, x, WinogradConv.Packed43(shape, w), scale, shift, res, true, false, true, 0, WinogradConv.TileRows43(shape));
            double[] expected = Expected(Convolution(x, w, 16, 16, 28, 28, 28, 28, 1), scale, shift, res, false, true, 16, 28, 28);
            double error = Normwise.OutputError(Normwise.ToDouble(y), expected);

            // F(2 × 2, 3 × 3) on the same data (the route these layers took before).
            float[] y2 = new float[y.Length], scratch = new float[WinogradConv.BandScratchLength(shape)], packed2 = WinogradConv.Packed(shape, w);
            WinogradConv.RunUnpadded256(
                default(ReluOperator), shape, 1, ref x[0], ref packed2[0], ref scale[0], ref shift[0], ref y2[0], ref res[0], true, false, ref scratch[0], 0, shape.TileRows);
            double error2 = Normwise.OutputError(Normwise.ToDouble(y2), expected);
            Assert.True(error < Tolerance / 2 && error < 32 * error2, $"normwise error {error:E2}, F(2×2, 3×3) {error2:E2}");
        });

    /// <summary>
    /// The Fashion-MNIST network (its two 16 → 16 layers on 28 × 28 on F(4 × 4, 3 × 3) at 256 bits, the second with the residual and
    /// the pool in its epilogue): Frozen.Infer matches the unfolded Infer (the generated direct kernels) within the tolerance every
    /// Frozen.Infer is held to against the reference (FusedVsReferenceTests: 1e-5 normwise), at 1 and 2 threads, 1 and 3 samples.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void FashionNet_FrozenInfer_MatchesInfer(int batch) =>
        KernelLevelCollection.AtLevel(256, () =>
        {
            var model = new FusedOps.Samples.FashionMnist.FashionNet(3);
            var rng = new Random(9);
            foreach (Parameter p in model.Parameters.Concat(model.Buffers).Where(p => p.Shape.Length == 1))
            {
                for (int i = 0; i < p.Length; i++)
                {
                    p.Data[i] = p.Name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + rng.NextSingle() : rng.NextSingle() - 0.5f;
                }
            }

            var frozen = model.Freeze();
            float[] x = Values(rng, batch * FusedOps.Samples.FashionMnist.FashionNet.InputLength);
            float[] expected = new float[batch * FusedOps.Samples.FashionMnist.FashionNet.OutputLength];
            model.Infer(x, expected, batch);
            foreach (int threads in new[] { 1, 2 })
            {
                float[] y = Enumerable.Repeat(float.NaN, expected.Length).ToArray();
                KernelLevelCollection.AtThreads(threads, () => frozen.Infer(x, y, batch));
                Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(y), Normwise.ToDouble(expected)), 1e-5, $"Frozen.Infer at {threads} threads");
            }
        });

    /// <summary>
    /// <see cref="WinogradConv.RunStrided43x256{TAct}"/> (the training input gradient's call: planes further apart than their rows ×
    /// columns, here with NaN in the gaps, which must not be read) gives <see cref="WinogradConv.RunUnpadded43x256{TAct}"/>'s bits on
    /// the same planes one after another, for padding 0 and 1, partial tiles, paired and lone tile rows and a split into two ranges.
    /// </summary>
    [Theory]
    [InlineData(16, 16, 28, 28, 0, 37)]
    [InlineData(16, 16, 9, 27, 0, 5)]
    [InlineData(32, 16, 10, 31, 0, 64)]
    [InlineData(5, 20, 6, 11, 1, 3)]
    [InlineData(16, 40, 9, 34, 1, 16)]
    public void Strided_GivesThePackedPlanesBits(int cin, int cout, int height, int width, int padding, int gap) =>
        KernelLevelCollection.AtLevel(256, () =>
        {
            if (!WinogradConv.Enabled256)
            {
                return;
            }

            var shape = new WinogradShape(cin, cout, height, width);
            var rng = new Random(cin + cout + height + width + gap);
            int ih = height + 2 - (2 * padding), iw = width + 2 - (2 * padding), plane = ih * iw, stride = plane + gap;
            float[] x = Values(rng, cin * plane), w = Values(rng, cout * cin * 9), scale = Values(rng, cout, 0.5), shift = Values(rng, cout);
            float[] spread = Enumerable.Repeat(float.NaN, (cin * stride) - gap).ToArray(), packed = WinogradConv.Packed43(shape, w);
            for (int c = 0; c < cin; c++)
            {
                Array.Copy(x, c * plane, spread, c * stride, plane);
            }

            int tileRows = WinogradConv.TileRows43(shape);
            float[] expected = Run(shape, padding, x, packed, scale, shift, new float[1], false, false, false, 0, tileRows);
            foreach (int split in new[] { 0, tileRows / 2 })
            {
                float[] y = new float[cout * height * width], scratch = new float[WinogradConv.ScratchLength43(shape)];
                foreach ((int t0, int t1) in new[] { (split, tileRows), (0, split) })
                {
                    WinogradConv.RunStrided43x256(
                        default(IdentityOperator), shape, padding, ref spread[0], stride, ref packed[0], ref scale[0], ref shift[0], ref y[0], ref y[0], false, false,
                        ref scratch[0], t0, t1);
                }

                Assert.Equal(Bits(expected), Bits(y));
            }

            Assert.Throws<ArgumentOutOfRangeException>(() =>
            {
                float[] y = new float[cout * height * width], scratch = new float[WinogradConv.ScratchLength43(shape)];
                WinogradConv.RunStrided43x256(
                    default(IdentityOperator), shape, padding, ref spread[0], plane - 1, ref packed[0], ref scale[0], ref shift[0], ref y[0], ref y[0], false, false,
                    ref scratch[0], 0, tileRows);
            });
        });

    internal static double[] Convolution(float[] x, float[] w, int cin, int cout, int ih, int iw, int height, int width, int padding)
    {
        var sums = new double[cout * height * width];
        for (int o = 0; o < cout; o++)
        {
            for (int i = 0; i < height; i++)
            {
                for (int j = 0; j < width; j++)
                {
                    double sum = 0;
                    for (int c = 0; c < cin; c++)
                    {
                        for (int ky = 0; ky < 3; ky++)
                        {
                            for (int kx = 0; kx < 3; kx++)
                            {
                                int r = i + ky - padding, q = j + kx - padding;
                                if (r >= 0 && r < ih && q >= 0 && q < iw)
                                {
                                    sum += (double)x[(((c * ih) + r) * iw) + q] * w[(((o * cin) + c) * 9) + (ky * 3) + kx];
                                }
                            }
                        }
                    }

                    sums[(((o * height) + i) * width) + j] = sum;
                }
            }
        }

        return sums;
    }

    private static double[] Expected(double[] conv, float[] scale, float[] shift, float[]? res, bool pool, bool relu, int cout, int height, int width)
    {
        int plane = height * width;
        double[] y = new double[conv.Length];
        for (int at = 0; at < conv.Length; at++)
        {
            double v = (scale[at / plane] * conv[at]) + shift[at / plane] + (res?[at] ?? 0);
            y[at] = relu ? Math.Max(v, 0) : v;
        }

        if (!pool)
        {
            return y;
        }

        int ph = height / 2, pw = width / 2;
        var pooled = new double[cout * ph * pw];
        for (int o = 0; o < cout; o++)
        {
            for (int i = 0; i < ph; i++)
            {
                for (int j = 0; j < pw; j++)
                {
                    int at = (o * plane) + (2 * i * width) + (2 * j);
                    pooled[(((o * ph) + i) * pw) + j] = Math.Max(Math.Max(y[at], y[at + 1]), Math.Max(y[at + width], y[at + width + 1]));
                }
            }
        }

        return pooled;
    }

    // Tile rows [split, tileRows) and then [0, split) into a fresh output (sentinels before and after it, checked); the input at the
    // very end of its array.
    internal static float[] Run(
        WinogradShape shape, int padding, float[] x, float[] packed, float[] scale, float[] shift, float[] res, bool residual, bool pool, bool relu,
        int split, int tileRows)
    {
        int length = pool ? shape.OutChannels * (shape.OutHeight / 2) * (shape.OutWidth / 2) : shape.OutChannels * shape.OutHeight * shape.OutWidth;
        float[] y = Enumerable.Repeat(Gap, length + 64).ToArray();
        float[] scratch = new float[WinogradConv.ScratchLength43(shape)];
        foreach ((int t0, int t1) in new[] { (split, tileRows), (0, split) })
        {
            if (relu)
            {
                WinogradConv.RunUnpadded43x256(
                    default(ReluOperator), shape, padding, ref x[0], ref packed[0], ref scale[0], ref shift[0], ref y[32], ref res[0], residual, pool, ref scratch[0], t0, t1);
            }
            else
            {
                WinogradConv.RunUnpadded43x256(
                    default(IdentityOperator), shape, padding, ref x[0], ref packed[0], ref scale[0], ref shift[0], ref y[32], ref res[0], residual, pool, ref scratch[0], t0, t1);
            }
        }

        Assert.All(y.Take(32).Concat(y.Skip(32 + length)), v => Assert.Equal(Gap, v));
        return y.Skip(32).Take(length).ToArray();
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    private static float[] Values(Random rng, int count, double offset = -0.5) =>
        Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() + offset)).ToArray();
}
