using System;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The 256-bit inference route's direct input transform (<see cref="WinogradConv.DirectInput256"/>, WinogradConv.Direct256.cs):
/// the unpadded input read in place, the padding masked in registers, the tiles in shufps order, rows of one vector of tiles on
/// blocks of 12, 8 and 4 output channels. It gives the bits of the padded
/// bands (the switch off) for padding 1 and 0, odd and even sizes, rows of 1 to 40 pixels (one, two and three vectors of tiles),
/// channel counts that are not multiples of 16, with and without the residual and the pool, whole or split into any range of
/// tile rows; it matches a double-precision convolution; it reads nothing outside the input (the sample at an array's end) and
/// writes nothing outside the output; Frozen.Infer of the routed pipelines gives the same bits with the switch on and off at 1
/// and 2 threads.
/// </summary>
[Collection("KernelLevel")]
public sealed class WinogradDirect256Tests
{
    private const float Gap = 12345f;

    [Theory]
    [InlineData(16, 16, 28, 28, 1)]
    [InlineData(16, 32, 14, 14, 1)]
    [InlineData(3, 5, 7, 9, 1)]
    [InlineData(1, 17, 6, 6, 1)]
    [InlineData(5, 20, 6, 11, 0)]
    [InlineData(2, 3, 35, 34, 1)]
    [InlineData(16, 40, 9, 34, 1)]
    [InlineData(4, 6, 1, 1, 1)]
    [InlineData(7, 9, 2, 2, 0)]
    [InlineData(8, 16, 10, 40, 1)]
    [InlineData(3, 48, 5, 10, 1)]
    [InlineData(16, 16, 14, 14, 1)]
    [InlineData(6, 30, 8, 16, 1)]
    public void DirectInput_GivesThePaddedBandsBits_AnySplit(int cin, int cout, int height, int width, int padding) =>
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
            float[] res = Values(rng, cout * plane), packed = WinogradConv.Packed(shape, w);
            bool even = height % 2 == 0 && width % 2 == 0;
            foreach (bool residual in new[] { false, true })
            {
                foreach (bool pool in even ? new[] { false, true } : new[] { false })
                {
                    float[] expected = Run(shape, padding, x, packed, scale, shift, res, residual, pool, direct: false, 0, shape.TileRows);
                    for (int split = 0; split <= shape.TileRows; split++)
                    {
                        float[] y = Run(shape, padding, x, packed, scale, shift, res, residual, pool, direct: true, split, shape.TileRows);
                        Assert.Equal(Bits(expected), Bits(y));
                    }
                }
            }
        });

    [Theory]
    [InlineData(16, 16, 28, 28, 1)]
    [InlineData(3, 5, 7, 9, 1)]
    [InlineData(5, 20, 6, 11, 0)]
    [InlineData(2, 3, 35, 34, 1)]
    public void DirectInput_MatchesADoubleConvolution(int cin, int cout, int height, int width, int padding) =>
        KernelLevelCollection.AtLevel(256, () =>
        {
            if (!WinogradConv.Enabled256)
            {
                return;
            }

            var shape = new WinogradShape(cin, cout, height, width);
            var rng = new Random(3 + cin + cout + height + width);
            int ih = height + 2 - (2 * padding), iw = width + 2 - (2 * padding), plane = height * width;
            float[] x = Values(rng, cin * ih * iw), w = Values(rng, cout * cin * 9), scale = Values(rng, cout, 0.5), shift = Values(rng, cout);
            float[] res = Values(rng, cout * plane), packed = WinogradConv.Packed(shape, w);
            float[] y = Run(shape, padding, x, packed, scale, shift, res, residual: true, pool: false, direct: true, 0, shape.TileRows);
            var expected = new double[cout * plane];
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

                        int at = (o * plane) + (i * width) + j;
                        expected[at] = Math.Max((scale[o] * sum) + shift[o] + res[at], 0);
                    }
                }
            }

            Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(y), expected), 1e-4, "direct input transform");
        });

    [Theory]
    [InlineData(typeof(WinogradResidualPool256), 1)]
    [InlineData(typeof(WinogradResidualPool256), 3)]
    [InlineData(typeof(WinogradPool256Small), 1)]
    [InlineData(typeof(WinogradPool256Small), 3)]
    public void FrozenInfer_GivesTheSameBits_DirectOrPadded_AtOneAndTwoThreads(Type type, int batch) =>
        KernelLevelCollection.AtLevel(256, () =>
        {
            var model = (IFusedModel)Activator.CreateInstance(type, 1)!;
            var rng = new Random(9);
            foreach (Parameter p in model.Parameters.Concat(model.Buffers).Where(p => p.Shape.Length == 1))
            {
                for (int i = 0; i < p.Length; i++)
                {
                    p.Data[i] = p.Name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + rng.NextSingle() : rng.NextSingle() - 0.5f;
                }
            }

            var frozen = (IInferenceModel)type.GetMethod("Freeze")!.Invoke(model, null)!;
            float[] x = Values(rng, batch * model.InputLength);
            int[]? expected = null;
            bool saved = WinogradConv.DirectInput256;
            try
            {
                foreach (bool direct in new[] { false, true })
                {
                    foreach (int threads in new[] { 1, 2 })
                    {
                        WinogradConv.DirectInput256 = direct;
                        float[] y = new float[batch * model.OutputLength];
                        KernelLevelCollection.AtThreads(threads, () => frozen.Infer(x, y, batch));
                        expected ??= Bits(y);
                        Assert.Equal(expected, Bits(y));
                    }
                }
            }
            finally
            {
                WinogradConv.DirectInput256 = saved;
            }
        });

    // Tile rows [t0, t1) of the route into a fresh output (sentinels before and after it, checked), the rows before t0 by a second
    // call; the input at the very end of its array.
    private static float[] Run(
        WinogradShape shape, int padding, float[] x, float[] packed, float[] scale, float[] shift, float[] res, bool residual, bool pool, bool direct,
        int split, int tileRows)
    {
        int length = pool ? shape.OutChannels * (shape.OutHeight / 2) * (shape.OutWidth / 2) : shape.OutChannels * shape.OutHeight * shape.OutWidth;
        float[] y = Enumerable.Repeat(Gap, length + 64).ToArray();
        float[] scratch = new float[WinogradConv.BandScratchLength(shape)];
        bool saved = WinogradConv.DirectInput256;
        try
        {
            WinogradConv.DirectInput256 = direct;
            foreach ((int t0, int t1) in new[] { (split, tileRows), (0, split) })
            {
                WinogradConv.RunUnpadded256(
                    default(ReluOperator), shape, padding, ref x[0], ref packed[0], ref scale[0], ref shift[0], ref y[32], ref res[0], residual, pool, ref scratch[0], t0, t1);
            }
        }
        finally
        {
            WinogradConv.DirectInput256 = saved;
        }

        Assert.All(y.Take(32).Concat(y.Skip(32 + length)), v => Assert.Equal(Gap, v));
        return y.Skip(32).Take(length).ToArray();
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    private static float[] Values(Random rng, int count, double offset = -0.5) =>
        Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() + offset)).ToArray();
}
