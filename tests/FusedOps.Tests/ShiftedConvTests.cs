using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The register blocks of <see cref="ShiftedConv"/> against double-precision loops, at every width, with row and
/// tap counts that leave partial blocks and (for the weight gradient) rows long enough to be cut into chunks.
/// </summary>
[Collection("KernelLevel")]
public sealed class ShiftedConvTests
{
    public static TheoryData<int> Widths() => new() { 512, 256, 128, 0 };

    public static TheoryData<int, int, int, int, int> WeightGradientShapes()
    {
        var data = new TheoryData<int, int, int, int, int>();
        foreach (int bits in new[] { 512, 256, 128, 0 })
        {
            // rows (channels), height, width, taps: one channel, channel counts around every block width (columns / group, group 1 to 8),
            // widths not a multiple of any group, one-column rows, tap counts that leave partial tap blocks, long planes (chunks).
            data.Add(bits, 1, 3, 5, 1);
            data.Add(bits, 5, 4, 7, 13);
            data.Add(bits, 16, 6, 14, 9);
            data.Add(bits, 17, 3, 1, 7);
            data.Add(bits, 24, 5, 3, 11);
            data.Add(bits, 32, 4, 29, 6);
            data.Add(bits, 70, 2, 10, 4);
            data.Add(bits, 16, 60, 58, 5);
            data.Add(bits, 8, 3, 19, 5);
            data.Add(bits, 3, 2, 16, 9);

            // Channel counts that leave channels past the packing's 8 × 8 and 4 × 4-pair transposes (12, 13, 45, 68), and
            // widths that leave positions past them.
            data.Add(bits, 12, 3, 19, 5);
            data.Add(bits, 13, 2, 21, 4);
            data.Add(bits, 45, 3, 17, 7);
            data.Add(bits, 68, 2, 11, 3);
        }

        return data;
    }

    /// <summary>
    /// Two samples packed, summed into the partial sums and closed into weights that already hold values, against double
    /// loops over the valid positions only (whatever the grid holds past a row's width must not count).
    /// </summary>
    [Theory]
    [MemberData(nameof(WeightGradientShapes))]
    public void WeightGradient_MatchesDoubleLoops(int bits, int rows, int height, int width, int taps)
    {
        int rowStride = width + 3, ldd = (height * rowStride) + 5, lddw = taps + 2, xLength = (height * rowStride) + 64 + 8;
        var random = new Random((bits * 7) + (rows * 31) + width);
        float[][] d = [Values(random, rows * ldd), Values(random, rows * ldd)];
        float[][] x = [Values(random, xLength), Values(random, xLength)];
        int[] offsets = Enumerable.Range(0, taps).Select(_ => random.Next(64)).ToArray();
        float[] dw = Values(random, rows * lddw);
        float[] before = (float[])dw.Clone();
        KernelLevelCollection.AtLevel(bits, () =>
        {
            WeightGradientLayout layout = ShiftedConv.WeightGradientLayoutFor(rows, height, width);
            int[] positions = new int[layout.Groups];
            ShiftedConv.GradientPositions(in layout, rowStride, positions);
            float[] packed = new float[layout.PackedLength], sums = new float[layout.SumsLength(taps)];
            for (int s = 0; s < 2; s++)
            {
                ShiftedConv.PackGradient(in layout, ref d[s][0], ldd, rowStride, ref packed[0]);
                ShiftedConv.WeightGradient(in layout, ref packed[0], ref positions[0], ref x[s][0], ref offsets[0], taps, ref sums[0]);
            }

            ShiftedConv.CloseWeightGradient(in layout, ref sums[0], taps, ref dw[0], lddw);
        });
        for (int r = 0; r < rows; r++)
        {
            for (int t = 0; t < lddw; t++)
            {
                double expected = before[(r * lddw) + t], scale = 1;
                for (int s = 0; s < 2 && t < taps; s++)
                {
                    for (int y = 0; y < height; y++)
                    {
                        for (int c = 0; c < width; c++)
                        {
                            int q = (y * rowStride) + c;
                            double p = (double)d[s][(r * ldd) + q] * x[s][offsets[t] + q];
                            expected += p;
                            scale += Math.Abs(p);
                        }
                    }
                }

                Assert.True(Math.Abs(expected - dw[(r * lddw) + t]) <= 1e-5 * scale, $"dw[{r}, {t}] = {dw[(r * lddw) + t]}, expected {expected}");
            }
        }
    }

    /// <summary>
    /// The close of the lane sums (8 × 8 transposes where they fit) adds each weight's lanes in lane order, then the sum to the
    /// weight: the same bits as that order a value at a time, for every group size, partial tap blocks and partial channel blocks.
    /// </summary>
    [Theory]
    [MemberData(nameof(WeightGradientShapes))]
    public void CloseWeightGradient_SameBitsAsLaneOrder(int bits, int rows, int height, int width, int taps)
    {
        _ = height;
        KernelLevelCollection.AtLevel(bits, () =>
        {
            foreach (int t in new[] { taps, taps + 8, 24 })
            {
                WeightGradientLayout layout = ShiftedConv.WeightGradientLayoutFor(rows, 2, width);
                int lddw = t + 3;
                var random = new Random(rows + (31 * t) + bits);
                float[] sums = Values(random, layout.SumsLength(t)), dw = Values(random, rows * lddw), expected = (float[])dw.Clone();
                for (int r = 0; r < rows; r++)
                {
                    int b = r / layout.Channels, i = r % layout.Channels;
                    for (int k = 0; k < t; k++)
                    {
                        int at = (((b * t) + k) * layout.Columns) + (i * layout.Group);
                        float a = sums[at];
                        for (int g = 1; g < layout.Group; g++)
                        {
                            a += sums[at + g];
                        }

                        expected[(r * lddw) + k] += a;
                    }
                }

                ShiftedConv.CloseWeightGradient(in layout, ref sums[0], t, ref dw[0], lddw);
                Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), dw.Select(BitConverter.SingleToInt32Bits));
            }
        });
    }

    private static float[] Values(Random random, int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();

    /// <summary>
    /// Every width (128 included), row counts that leave a partial panel or half-panel, and column counts whose last block
    /// is 48, 32 or 16 wide (16 · {1, 2, 3, 4, 5, 7, 10}); a sentinel past <c>cols</c> and past the last row must stay.
    /// </summary>
    [Theory]
    [MemberData(nameof(ProductShapes))]
    public void Product_MatchesDoubleLoops(int bits, int rows, int depth, int cols)
    {
        int lda = depth + 3, ldc = cols + 7;
        var random = new Random((bits * 31) + (rows * 7) + cols);
        float[] a = Enumerable.Range(0, rows * lda).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, 500 + cols + ShiftedConv.Columns).Select(_ => random.NextSingle() - 0.5f).ToArray();
        int[] offsets = Enumerable.Range(0, depth).Select(_ => random.Next(500)).ToArray();
        float[] packed = new float[ShiftedConv.PackedLength(rows, depth)];
        float[] c = Enumerable.Repeat(float.NaN, (rows + 1) * ldc).ToArray();
        KernelLevelCollection.AtLevel(bits, () =>
        {
            ShiftedConv.Pack(ref a[0], lda, rows, depth, ref packed[0]);
            ShiftedConv.Product(ref packed[0], rows, depth, ref b[0], ref offsets[0], cols, ref c[0], ldc);
        });
        for (int r = 0; r <= rows; r++)
        {
            for (int j = 0; j < ldc; j++)
            {
                float actual = c[(r * ldc) + j];
                if (r == rows || j >= cols)
                {
                    Assert.True(float.IsNaN(actual), $"c[{r}, {j}] = {actual} was written past the product");
                    continue;
                }

                double expected = 0;
                for (int k = 0; k < depth; k++)
                {
                    expected += (double)a[(r * lda) + k] * b[offsets[k] + j];
                }

                Assert.True(Math.Abs(expected - actual) <= 1e-5 * (1 + Math.Sqrt(depth)), $"c[{r}, {j}] = {actual}, expected {expected}");
            }
        }
    }

    /// <summary>Every width gives the same bits: each sum runs over the taps in order with one fused multiply-add per term.</summary>
    [Fact]
    public void Product_EveryWidth_SameBits()
    {
        const int rows = 19, depth = 37, cols = 176;
        var random = new Random(5);
        float[] a = Enumerable.Range(0, rows * depth).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, 700 + cols).Select(_ => random.NextSingle() - 0.5f).ToArray();
        int[] offsets = Enumerable.Range(0, depth).Select(_ => random.Next(700)).ToArray();
        float[] packed = new float[ShiftedConv.PackedLength(rows, depth)];
        ShiftedConv.Pack(ref a[0], depth, rows, depth, ref packed[0]);
        float[] Run(int bits)
        {
            float[] c = new float[rows * cols];
            KernelLevelCollection.AtLevel(bits, () => ShiftedConv.Product(ref packed[0], rows, depth, ref b[0], ref offsets[0], cols, ref c[0], cols));
            return c;
        }

        float[] scalar = Run(0);
        foreach (int bits in new[] { 128, 256, 512 }.Where(w => w <= KernelDispatch.HardwareBits))
        {
            Assert.Equal(scalar, Run(bits));
        }
    }

    /// <summary>
    /// The cropped product stores exactly the valid lanes of <see cref="ShiftedConv.Product"/>'s grid, with the same bits, and
    /// nothing else (a NaN sentinel around and between the planes stays): rows narrower and wider than a 16-lane group, a
    /// start column (the input gradient's), grids whose last rows are dropped, and row counts that leave a partial panel.
    /// </summary>
    [Theory]
    [InlineData(5, 3, 3, 1, 5, 0)]
    [InlineData(16, 28, 28, 1, 30, 0)]
    [InlineData(13, 14, 14, 1, 16, 1)]
    [InlineData(9, 40, 37, 2, 41, 0)]
    [InlineData(3, 6, 20, 0, 20, 2)]
    public void ProductCropped_StoresTheValidLanesOfTheGrid(int rows, int height, int width, int start, int gridWidth, int droppedRows) => KernelLevelCollection.AtLevel(512, () =>
    {
        if (!ShiftedConv.CanCrop)
        {
            return;
        }

        int validRows = height - droppedRows, depth = 11, cols = ((height * gridWidth) + 15) / 16 * 16, plane = validRows * width, gap = 5;
        var random = new Random(rows + width);
        float[] a = Enumerable.Range(0, rows * depth).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, 300 + cols).Select(_ => random.NextSingle() - 0.5f).ToArray();
        int[] offsets = Enumerable.Range(0, depth).Select(_ => random.Next(300)).ToArray();
        float[] packed = new float[ShiftedConv.PackedLength(rows, depth)];
        ShiftedConv.Pack(ref a[0], depth, rows, depth, ref packed[0]);
        float[] grid = new float[rows * cols];
        ShiftedConv.Product(ref packed[0], rows, depth, ref b[0], ref offsets[0], cols, ref grid[0], cols);
        float[] cropped = Enumerable.Repeat(float.NaN, gap + (rows * (plane + gap))).ToArray();
        var crop = new GridCrop(validRows, width, start, gridWidth, cols);
        ShiftedConv.ProductCropped(ref packed[0], rows, depth, ref b[0], ref offsets[0], crop, ref cropped[gap], plane + gap);
        for (int r = 0; r < rows; r++)
        {
            for (int i = 0; i < plane; i++)
            {
                int y = i / width, x = i % width;
                Assert.Equal(grid[(r * cols) + (y * gridWidth) + start + x], cropped[gap + (r * (plane + gap)) + i]);
            }

            for (int i = 0; i < gap; i++)
            {
                Assert.True(float.IsNaN(cropped[(r * (plane + gap)) + i]), $"row {r}: lane {i} before the plane was written");
            }
        }

        Assert.True(cropped.Skip(gap + (rows * (plane + gap)) - gap).All(float.IsNaN), "a lane past the last plane was written");
    });

    [Fact]
    public void GridCrop_ColumnsNotAMultipleOfColumns_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new GridCrop(2, 3, 0, 5, 24));
        Assert.Equal("columns", e.ParamName);
        Assert.Contains("24", e.Message);
    }

    public static TheoryData<int, int, int, int> ProductShapes()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (int bits in new[] { 512, 256, 128, 0 })
        {
            foreach ((int rows, int depth) in new[] { (1, 9), (5, 1), (13, 29), (16, 144) })
            {
                foreach (int blocks in new[] { 1, 2, 3, 4, 5, 7, 10 })
                {
                    data.Add(bits, rows, depth, 16 * blocks);
                }
            }
        }

        return data;
    }
}
