using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace FusedOps.Tests;

/// <summary>
/// The Winograd F(2 × 2, 3 × 3) kernel called directly: against a double-precision direct convolution at every kernel width,
/// on odd and even sizes, channel counts that are not multiples of 16, strided and offset input and output planes, every
/// epilogue; tile-row splits give the same bits as one call; the transposed, flipped packing gives the input gradient; bad
/// arguments are named before anything is written; steady calls allocate nothing.
/// </summary>
[Collection("KernelLevel")]
public sealed class WinogradConvTests(ITestOutputHelper output)
{
    // Sentinel of the output gaps and margins: the kernel must leave them alone.
    private const float Gap = 12345f;

    public static IEnumerable<object[]> Cases()
    {
        int[] levels = new[] { 512, 256, 128, 0 }.Where(l => l <= KernelDispatch.HardwareBits).ToArray();
        int[][] shapes = [[3, 5, 7, 9, 1], [16, 32, 8, 8, 2], [5, 64, 6, 11, 3], [64, 64, 14, 13, 1], [17, 70, 1, 1, 2], [2, 3, 35, 34, 1], [16, 40, 9, 34, 2]];
        foreach (int level in levels)
        {
            foreach (int[] s in shapes)
            {
                foreach (Epilogue epilogue in Enum.GetValues<Epilogue>())
                {
                    yield return new object[] { level, s[0], s[1], s[2], s[3], s[4], epilogue };
                }
            }
        }
    }

    public enum Epilogue
    {
        None,
        Bias,
        ScaleShiftRelu,
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Run_MatchesADoubleDirectConvolution(int vectorBits, int cin, int cout, int height, int width, int batch, Epilogue epilogue) =>
        KernelLevelCollection.AtLevel(vectorBits, () =>
        {
            var rng = new Random((cin * 131) + (cout * 17) + height + width);
            float[] x = Values(rng, batch * cin * height * width), w = Values(rng, cout * cin * 9);
            float[] scale = epilogue == Epilogue.ScaleShiftRelu ? Values(rng, cout, 0.5) : [];
            float[] shift = epilogue == Epilogue.None ? [] : Values(rng, cout);
            var planes = new Planes(new WinogradShape(cin, cout, height, width), inMargin: 3, outMargin: 4);
            float[] actual = planes.Run(x, w, scale, shift, batch, epilogue == Epilogue.ScaleShiftRelu);
            double[] expected = Reference(x, w, scale, shift, batch, cin, cout, height, width, epilogue == Epilogue.ScaleShiftRelu, transposeFlip: false);
            double error = Normwise.OutputError(Normwise.ToDouble(actual), expected);
            output.WriteLine($"{vectorBits} bits, {cin}→{cout} {height}×{width}: normwise error {error:E2}");
            Normwise.AssertWithin(error, 1e-4, "Winograd vs double direct convolution");
        });

    /// <summary>
    /// Both Vector512 register blocks (<see cref="WinogradBlock"/>) on 16, 32 and 48 output channels, 16 input channels, odd and
    /// short rows: against the double direct convolution, the same bits as each other, and the same bits split over tile rows.
    /// At 256 bits the blocks are the Vector256 tiles-in-lanes block and the channels-in-lanes products between the scalar transforms.
    /// </summary>
    [Theory]
    [InlineData(16, 16, 28, 28)]
    [InlineData(16, 32, 32, 32)]
    [InlineData(32, 16, 9, 34)]
    [InlineData(7, 48, 13, 31)]
    [InlineData(16, 40, 35, 3)]
    [InlineData(3, 64, 6, 17)]
    public void BothBlocks_MatchADoubleDirectConvolution_WithTheSameBits(int cin, int cout, int height, int width)
    {
        WinogradBlock saved = WinogradConv.Block;
        try
        {
            AssertSettingsAgree(
                cin, cout, height, width, new Random((cin * 7) + cout + height), inMargin: 3, outMargin: 2,
                new[] { WinogradBlock.ChannelsInLanes, WinogradBlock.TilesInLanes }.Select(block => (block.ToString(), (Action)(() => WinogradConv.Block = block))));
        }
        finally
        {
            WinogradConv.Block = saved;
        }
    }

    /// <summary>
    /// The tiles-in-lanes block's two layouts (<see cref="WinogradTileLayout"/>) on planes whose tiles straddle tile rows in the
    /// flat layout: 14 tiles a row (two rows in most vectors), 12 on an odd width, 7 (three), odd widths and heights (the last tile column and row
    /// half used), more than 16 tiles a row (a vector at the end of one row and the start of the next), one tile a row (16 rows
    /// in a vector), one tile: against the double direct convolution, the same bits as each other, and the same bits split over
    /// tile rows (each call's tiles flat on their own). Below 512 bits the block is not used and the test checks the width's path.
    /// </summary>
    [Theory]
    [InlineData(16, 16, 28, 28)]
    [InlineData(16, 16, 24, 23)]
    [InlineData(16, 32, 14, 14)]
    [InlineData(32, 16, 13, 15)]
    [InlineData(16, 16, 7, 9)]
    [InlineData(5, 16, 3, 35)]
    [InlineData(16, 40, 11, 2)]
    [InlineData(3, 16, 1, 1)]
    public void BothLayouts_MatchADoubleDirectConvolution_WithTheSameBits(int cin, int cout, int height, int width)
    {
        (WinogradBlock block, WinogradTileLayout layout) saved = (WinogradConv.Block, WinogradConv.Layout);
        try
        {
            WinogradConv.Block = WinogradBlock.TilesInLanes;
            AssertSettingsAgree(
                cin, cout, height, width, new Random((cin * 5) + cout + width), inMargin: 5, outMargin: 3,
                new[] { WinogradTileLayout.Rows, WinogradTileLayout.Flat, WinogradTileLayout.Auto }.Select(layout => (layout.ToString(), (Action)(() => WinogradConv.Layout = layout))));
        }
        finally
        {
            (WinogradConv.Block, WinogradConv.Layout) = saved;
        }
    }

    // Under each setting in turn (at the widest level up to 512 bits): the output of two samples against the double direct
    // convolution, the same bits as under the first setting, and the same bits split over 2 and 3 parts of tile rows.
    private static void AssertSettingsAgree(
        int cin, int cout, int height, int width, Random rng, int inMargin, int outMargin, IEnumerable<(string Name, Action Apply)> settings) =>
        KernelLevelCollection.AtLevel(Math.Min(512, KernelDispatch.HardwareBits), () =>
        {
            float[] x = Values(rng, 2 * cin * height * width), w = Values(rng, cout * cin * 9), scale = Values(rng, cout, 0.5), shift = Values(rng, cout);
            var shape = new WinogradShape(cin, cout, height, width);
            var planes = new Planes(shape, inMargin, outMargin);
            double[] expected = Reference(x, w, scale, shift, 2, cin, cout, height, width, relu: true, transposeFlip: false);
            float[]? first = null;
            foreach ((string name, Action apply) in settings)
            {
                apply();
                float[] actual = planes.Run(x, w, scale, shift, 2, relu: true);
                Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(actual), expected), 1e-4, $"{name} vs double direct convolution");
                first ??= actual;
                Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
                foreach (int parts in new[] { 2, 3 })
                {
                    float[] split = planes.Run(x, w, scale, shift, 2, relu: true, Math.Min(parts, shape.TileRows));
                    Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), split.Select(BitConverter.SingleToInt32Bits));
                }
            }
        });

    /// <summary>
    /// The Vector256 path (tiles in the lanes, 8 a vector, WinogradConv.Narrow256.cs) and its channels-in-lanes block give the
    /// scalar path's bits (and, on an AVX-512 machine, the Vector512 path's): case B's shape, 16 tiles a row and fewer, a last
    /// 16-tile group of 1 to 12 tiles (partial 8-tile halves and masked pixel stores), odd heights, output channels not a multiple
    /// of 6 or 16, more than 16, one tile; one call and split over tile rows.
    /// </summary>
    [Theory]
    [InlineData(16, 32, 32, 32)]
    [InlineData(16, 16, 28, 28)]
    [InlineData(5, 40, 9, 35)]
    [InlineData(64, 64, 14, 13)]
    [InlineData(17, 70, 3, 50)]
    [InlineData(16, 7, 7, 18)]
    [InlineData(3, 16, 1, 1)]
    public void Vector256_GivesTheScalarPathsBits(int cin, int cout, int height, int width)
    {
        var shape = new WinogradShape(cin, cout, height, width);
        var rng = new Random((cin * 3) + cout + (height * 7) + width);
        float[] x = Values(rng, 2 * cin * height * width), w = Values(rng, cout * cin * 9), scale = Values(rng, cout, 0.5), shift = Values(rng, cout);
        var planes = new Planes(shape, inMargin: 3, outMargin: 2);
        float[] scalar = null!;
        KernelLevelCollection.AtLevel(0, () => scalar = planes.Run(x, w, scale, shift, 2, relu: true));
        double[] expected = Reference(x, w, scale, shift, 2, cin, cout, height, width, relu: true, transposeFlip: false);
        Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(scalar), expected), 1e-4, "scalar vs double direct convolution");
        var bits = scalar.Select(BitConverter.SingleToInt32Bits).ToArray();
        WinogradBlock saved = WinogradConv.Block;
        try
        {
            // 128: the Vector128 products (WinogradConv.Vector128.cs), fused where the hardware has FMA as the scalar path's are.
            bool fused128 = System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;
            foreach (int level in new[] { 128, 256, 512 }.Where(l => l <= KernelDispatch.HardwareBits && (l != 128 || fused128)))
            {
                foreach (WinogradBlock block in new[] { WinogradBlock.Auto, WinogradBlock.ChannelsInLanes })
                {
                    WinogradConv.Block = block;
                    KernelLevelCollection.AtLevel(level, () =>
                    {
                        Assert.True(WinogradConv.Enabled);
                        foreach (int parts in new[] { 1, 2, 3 }.Where(p => p <= shape.TileRows))
                        {
                            float[] actual = planes.Run(x, w, scale, shift, 2, relu: true, parts);
                            Assert.Equal(bits, actual.Select(BitConverter.SingleToInt32Bits));
                        }
                    });
                }
            }
        }
        finally
        {
            WinogradConv.Block = saved;
        }
    }

    /// <summary>
    /// The 256-bit route's epilogue (<see cref="WinogradConv.RunUnpadded256{TAct}"/>): the residual added before the activation and
    /// the MaxPool2d(2) give the bits of <see cref="WinogradConv.RunUnpadded{TAct}"/> with those applied after it, whole or split
    /// into two ranges of tile rows; rows of 14 tiles (partial stores), 7 (one vector: the 8-tile products) and 20 (two blocks).
    /// </summary>
    [Theory]
    [InlineData(16, 16, 10, 28)]
    [InlineData(16, 32, 14, 14)]
    [InlineData(16, 16, 4, 40)]
    [InlineData(16, 32, 6, 32)]
    public void RunUnpadded256_ResidualAndPool_GiveTheUnpooledRunsBits(int cin, int cout, int height, int width) =>
        KernelLevelCollection.AtLevel(256, () =>
        {
            if (!WinogradConv.Enabled256)
            {
                return; // no AVX2 + FMA: the generated code keeps its direct kernels
            }

            var shape = new WinogradShape(cin, cout, height, width);
            var rng = new Random((cin * 7) + cout + height + width);
            int plane = height * width, pooled = plane / 4;
            float[] x = Values(rng, cin * plane), w = Values(rng, cout * cin * 9), scale = Values(rng, cout, 0.5), shift = Values(rng, cout);
            float[] res = Values(rng, cout * plane), packed = WinogradConv.Packed(shape, w), scratch = new float[WinogradConv.BandScratchLength(shape)];
            float[] conv = new float[cout * plane];
            WinogradConv.RunUnpadded(default(IdentityOperator), shape, 1, ref x[0], ref packed[0], ref scale[0], ref shift[0], ref conv[0], ref scratch[0], 0, shape.TileRows);
            float[] expected = conv.Select((v, i) => MathF.Max(v + res[i], 0f)).ToArray();
            float[] expectedPooled = new float[cout * pooled];
            for (int o = 0; o < cout; o++)
            {
                for (int i = 0; i < height / 2; i++)
                {
                    for (int j = 0; j < width / 2; j++)
                    {
                        int at = (o * plane) + (2 * i * width) + (2 * j);
                        expectedPooled[(o * pooled) + (i * (width / 2)) + j] =
                            MathF.Max(MathF.Max(expected[at], expected[at + 1]), MathF.Max(expected[at + width], expected[at + width + 1]));
                    }
                }
            }

            foreach (bool pool in new[] { false, true })
            {
                foreach (int split in new[] { 0, shape.TileRows / 2 })
                {
                    float[] y = Enumerable.Repeat(Gap, pool ? cout * pooled : cout * plane).ToArray();
                    foreach ((int t0, int t1) in new[] { (0, split), (split, shape.TileRows) })
                    {
                        WinogradConv.RunUnpadded256(
                            default(ReluOperator), shape, 1, ref x[0], ref packed[0], ref scale[0], ref shift[0], ref y[0], ref res[0], residual: true, pool,
                            ref scratch[0], t0, t1);
                    }

                    Assert.Equal((pool ? expectedPooled : expected).Select(BitConverter.SingleToInt32Bits), y.Select(BitConverter.SingleToInt32Bits));
                }
            }
        });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(0)]
    public void PackTransposedFlipped_GivesTheInputGradient(int vectorBits) =>
        KernelLevelCollection.AtLevel(vectorBits, () =>
        {
            // Forward 6 → 19 channels, 9 × 10; the gradient runs 19 → 6 over dY padded by 1 (a full correlation of the pad-1
            // forward's output gradient).
            int cin = 6, cout = 19, height = 9, width = 10;
            var rng = new Random(11);
            float[] dy = Values(rng, cout * height * width), w = Values(rng, cout * cin * 9);
            var shape = new WinogradShape(cout, cin, height, width);
            float[] packed = new float[shape.PackedLength];
            WinogradConv.PackTransposedFlipped(shape, w, packed);
            var planes = new Planes(shape, 0, 0);
            float[] dx = planes.RunPacked(dy, packed, [], [], 1, relu: false);
            double[] expected = Reference(dy, w, [], [], 1, cout, cin, height, width, relu: false, transposeFlip: true);
            Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(dx), expected), 1e-4, "input gradient");
        });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(0)]
    public void EveryTileRowSplit_GivesTheSameBitsAsOneCall(int vectorBits) =>
        KernelLevelCollection.AtLevel(vectorBits, () =>
        {
            var shape = new WinogradShape(7, 33, 11, 15);
            var rng = new Random(5);
            float[] x = Values(rng, 7 * 11 * 15), w = Values(rng, 33 * 7 * 9), scale = Values(rng, 33, 0.5), shift = Values(rng, 33);
            var planes = new Planes(shape, 1, 2);
            float[] whole = planes.Run(x, w, scale, shift, 1, relu: true);
            for (int parts = 2; parts <= shape.TileRows; parts++)
            {
                float[] split = planes.Run(x, w, scale, shift, 1, relu: true, parts);
                Assert.Equal(whole.Select(BitConverter.SingleToInt32Bits), split.Select(BitConverter.SingleToInt32Bits));
            }
        });

    [Fact]
    public void BadArguments_AreNamed_AndNothingIsWritten()
    {
        var shape = new WinogradShape(4, 8, 5, 6);
        float[] packed = new float[shape.PackedLength], scratch = new float[shape.ScratchLength];
        float[] input = new float[4 * 7 * 8], y = Enumerable.Repeat(Gap, 8 * 30).ToArray();
        void Call(float[] i, float[] p, float[] s, float[] o, int inRow = 8, int outRow = 6, int t0 = 0, int t1 = 3, float[]? sc = null) =>
            WinogradConv.Run(default(IdentityOperator), shape, i, 56, inRow, p, sc ?? [], [], o, 30, outRow, t0, t1, s);

        AssertBad("input", "224", "223", () => Call(input[..^1], packed, scratch, y));
        AssertBad("input", "8", "7", () => Call(input, packed, scratch, y, inRow: 7));
        AssertBad("output", "6", "5", () => Call(input, packed, scratch, y, outRow: 5));
        AssertBad("output", "240", "239", () => Call(input, packed, scratch, y[..^1]));
        AssertBad("packed", $"{shape.PackedLength}", $"{shape.PackedLength - 1}", () => Call(input, packed[..^1], scratch, y));
        AssertBad("scratch", $"{shape.ScratchLength}", $"{shape.ScratchLength - 1}", () => Call(input, packed, scratch[..^1], y));
        AssertBad("scale", "8", "7", () => Call(input, packed, scratch, y, sc: new float[7]));
        AssertBad("tileRow1", "3", "[0, 4)", () => Call(input, packed, scratch, y, t1: 4));
        AssertBad("w", "288", "287", () => WinogradConv.Pack(shape, new float[287], packed));
        AssertBad("packed", $"{shape.PackedLength}", $"{shape.PackedLength - 1}", () => WinogradConv.Pack(shape, new float[288], packed[..^1]));
        Assert.Throws<ArgumentOutOfRangeException>("shape", () => WinogradConv.Pack(new WinogradShape(0, 8, 5, 6), new float[0], packed));
        Assert.All(y, v => Assert.Equal(Gap, v));

        void AssertBad(string name, string expected, string actual, Action call)
        {
            var e = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(name, e.ParamName);
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
            Assert.Contains(actual, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SteadyCalls_AllocateNothing()
    {
        var shape = new WinogradShape(16, 32, 10, 10);
        float[] packed = new float[shape.PackedLength], scratch = new float[shape.ScratchLength];
        float[] input = new float[16 * 12 * 12], y = new float[32 * 100], scale = new float[32], shift = new float[32];
        void Step() => WinogradConv.Run(default(ReluOperator), shape, input, 144, 12, packed, scale, shift, y, 100, 10, 0, shape.TileRows, scratch);
        Step();
        Assert.Equal(0, SteadyAllocations.Cleanest(Step));
    }

    private static float[] Values(Random rng, int count, double offset = -0.5) =>
        Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() + offset)).ToArray();

    // y[n][o][i][j] = act(scale·Σ_c Σ_ky,kx x[n][c][i + ky − 1][j + kx − 1]·w[o][c][ky][kx] + shift) in double; with
    // transposeFlip the weights are the forward's [c][o] rotated by 180° (the input gradient of a pad-1 convolution).
    private static double[] Reference(float[] x, float[] w, float[] scale, float[] shift, int batch, int cin, int cout, int h, int wd, bool relu, bool transposeFlip)
    {
        var y = new double[batch * cout * h * wd];
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < cout; o++)
            {
                for (int i = 0; i < h; i++)
                {
                    for (int j = 0; j < wd; j++)
                    {
                        double sum = 0;
                        for (int c = 0; c < cin; c++)
                        {
                            for (int ky = 0; ky < 3; ky++)
                            {
                                for (int kx = 0; kx < 3; kx++)
                                {
                                    int iy = i + ky - 1, ix = j + kx - 1;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < wd)
                                    {
                                        double weight = transposeFlip ? w[(((c * cout) + o) * 9) + 8 - ((ky * 3) + kx)] : w[(((o * cin) + c) * 9) + (ky * 3) + kx];
                                        sum += x[(((n * cin) + c) * h * wd) + (iy * wd) + ix] * weight;
                                    }
                                }
                            }
                        }

                        double v = (sum * (scale.Length > 0 ? scale[o] : 1.0)) + (shift.Length > 0 ? shift[o] : 0.0);
                        y[(((n * cout) + o) * h * wd) + (i * wd) + j] = relu ? Math.Max(v, 0) : v;
                    }
                }
            }
        }

        return y;
    }

    // Padded input planes and output planes with margins and gaps between rows and planes, one sample at a time.
    private sealed class Planes(WinogradShape shape, int inMargin, int outMargin)
    {
        private readonly int _inRow = shape.InWidth + inMargin, _outRow = shape.OutWidth + outMargin;

        private int InPlane => (shape.InHeight * _inRow) + inMargin;

        private int OutPlane => (shape.OutHeight * _outRow) + outMargin;

        public float[] Run(float[] x, float[] w, float[] scale, float[] shift, int batch, bool relu, int parts = 1)
        {
            float[] packed = new float[shape.PackedLength];
            WinogradConv.Pack(shape, w, packed);
            return RunPacked(x, packed, scale, shift, batch, relu, parts);
        }

        public float[] RunPacked(float[] x, float[] packed, float[] scale, float[] shift, int batch, bool relu, int parts = 1)
        {
            int cin = shape.Channels, cout = shape.OutChannels, h = shape.OutHeight, wd = shape.OutWidth;
            float[] scratch = new float[shape.ScratchLength + 5];
            float[] y = new float[batch * cout * h * wd];
            for (int n = 0; n < batch; n++)
            {
                // Offsets at the start of both buffers, zero padding around the input planes and NaN in the gaps between their rows
                // and after them (a kernel that read past a padded row into the outputs it keeps would give NaN).
                float[] input = Enumerable.Repeat(float.NaN, inMargin + (cin * InPlane)).ToArray();
                for (int c = 0; c < cin; c++)
                {
                    for (int i = 0; i < shape.InHeight; i++)
                    {
                        Array.Clear(input, inMargin + (c * InPlane) + (i * _inRow), shape.InWidth);
                    }
                }

                float[] output = Enumerable.Repeat(Gap, outMargin + (cout * OutPlane)).ToArray();
                for (int c = 0; c < cin; c++)
                {
                    for (int i = 0; i < h; i++)
                    {
                        Array.Copy(x, (((n * cin) + c) * h * wd) + (i * wd), input, inMargin + (c * InPlane) + ((i + 1) * _inRow) + 1, wd);
                    }
                }

                for (int p = 0; p < parts; p++)
                {
                    int t0 = p * shape.TileRows / parts, t1 = (p + 1) * shape.TileRows / parts;
                    Span<float> span = output.AsSpan(outMargin);
                    if (relu)
                    {
                        WinogradConv.Run(default(ReluOperator), shape, input.AsSpan(inMargin), InPlane, _inRow, packed, scale, shift, span, OutPlane, _outRow, t0, t1, scratch.AsSpan(5));
                    }
                    else
                    {
                        WinogradConv.Run(default(IdentityOperator), shape, input.AsSpan(inMargin), InPlane, _inRow, packed, scale, shift, span, OutPlane, _outRow, t0, t1, scratch.AsSpan(5));
                    }
                }

                for (int o = 0; o < cout; o++)
                {
                    for (int i = 0; i < h; i++)
                    {
                        int row = outMargin + (o * OutPlane) + (i * _outRow);
                        Array.Copy(output, row, y, (((n * cout) + o) * h * wd) + (i * wd), wd);
                        Assert.All(output.AsSpan(row + wd, outMargin).ToArray(), v => Assert.Equal(Gap, v));
                    }
                }
            }

            return y;
        }
    }
}
