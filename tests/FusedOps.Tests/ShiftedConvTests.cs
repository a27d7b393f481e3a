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

    private static float[] Values(Random random, int count) => Enumerable.Range(0, count).Select(_ => random.NextSingle() - 0.5f).ToArray();

    [Theory]
    [MemberData(nameof(Widths))]
    public void Product_MatchesDoubleLoops(int bits)
    {
        const int rows = 13, depth = 29, cols = 64, lda = depth + 3, ldc = cols + 7;
        var random = new Random(bits + 2);
        float[] a = Enumerable.Range(0, rows * lda).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] b = Enumerable.Range(0, 500 + cols).Select(_ => random.NextSingle() - 0.5f).ToArray();
        int[] offsets = Enumerable.Range(0, depth).Select(_ => random.Next(500)).ToArray();
        float[] c = new float[rows * ldc];
        KernelLevelCollection.AtLevel(bits, () => ShiftedConv.Product(ref a[0], lda, rows, depth, ref b[0], ref offsets[0], cols, ref c[0], ldc));
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < ldc; j++)
            {
                double expected = 0;
                for (int k = 0; k < depth && j < cols; k++)
                {
                    expected += (double)a[(r * lda) + k] * b[offsets[k] + j];
                }

                Assert.True(Math.Abs(expected - c[(r * ldc) + j]) <= 1e-5, $"c[{r}, {j}] = {c[(r * ldc) + j]}, expected {expected}");
            }
        }
    }
}
