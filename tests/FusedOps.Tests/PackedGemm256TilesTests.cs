using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="PackedGemm"/>'s Vector256 tiles for a row-major A (6 × 16 and the 4 × 16 edge, the depth unrolled four times, each
/// row tile prefetching its share of the next panel) at every level: against a product in double; bit for bit against each
/// element summed by fused multiply-adds in depth order, and against the same A read through a column stride (the tiles with a
/// general stride); and bit for bit across degrees of parallelism. Rows that are not a multiple of the 6-row tile (an edge of 1 to
/// 5 rows), depths that are not a multiple of the 4-step unroll (and deeper than a prefetch share), column counts that are not a
/// multiple of 16 or 8.
/// </summary>
[Collection("KernelLevel")]
public sealed class PackedGemm256TilesTests
{
    public static TheoryData<int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (int bits in new[] { 512, 256, 128 })
        {
            foreach ((int rows, int cols, int depth) in new[]
            {
                (64, 40, 787), (65, 17, 785), (67, 33, 130), (11, 10, 99), (10, 24, 7), (5, 16, 5), (4, 9, 6), (1, 3, 1), (7, 48, 2), (13, 256, 784),
            })
            {
                data.Add(bits, rows, cols, depth);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Multiply_RowMajorA_MatchesDoubleAndInOrderFusedSums(int bits, int rows, int cols, int depth) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random((rows * 1_000_003) + (cols * 1_009) + depth);
        float[] a = PackedGemmTests.Random(random, rows * depth), w = PackedGemmTests.Random(random, cols * depth);
        float[] scale = PackedGemmTests.Random(random, cols), shift = PackedGemmTests.Random(random, cols);
        float[] packed = LinearKernels.PackWeights(w, cols, depth);
        int ldc = cols + 3;
        float[] c = PackedGemmTests.Random(random, (rows * ldc) + 2), before = (float[])c.Clone();
        PackedGemm.Multiply(default(ReluOperator), a, rows, depth, depth, 1, packed, cols, c, ldc, scale, shift, accumulate: true);

        // The same product on A transposed (a column stride): the tiles with a general stride, the same sums in the same order.
        float[] at = new float[depth * rows];
        for (int r = 0; r < rows; r++)
        {
            for (int t = 0; t < depth; t++)
            {
                at[(t * rows) + r] = a[(r * depth) + t];
            }
        }

        float[] strided = (float[])before.Clone();
        PackedGemm.Multiply(default(ReluOperator), at, rows, depth, 1, rows, packed, cols, strided, ldc, scale, shift, accumulate: true);
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < ldc; j++)
            {
                int i = (r * ldc) + j;
                if (j >= cols)
                {
                    Assert.Equal(before[i], c[i]); // C's padding untouched
                    continue;
                }

                double sum = 0, magnitude = 0;
                float fused = 0;
                for (int t = 0; t < depth; t++)
                {
                    double term = (double)a[(r * depth) + t] * w[(j * depth) + t];
                    sum += term;
                    magnitude += Math.Abs(term);
                    fused = MathF.FusedMultiplyAdd(a[(r * depth) + t], w[(j * depth) + t], fused);
                }

                double expected = Math.Max(0, (sum * scale[j]) + shift[j] + before[i]);
                double bound = ((depth + 4) * 1.2e-7 * (magnitude + 1)) + 1e-7;
                Assert.True(Math.Abs(expected - c[i]) <= bound, $"{bits} bits, {rows}×{cols}×{depth}: C[{r},{j}] = {c[i]}, expected {expected}");
                if (bits > 0)
                {
                    float inOrder = Math.Max((((fused * scale[j]) + shift[j]) + before[i]), 0f);
                    Assert.True(BitConverter.SingleToInt32Bits(inOrder) == BitConverter.SingleToInt32Bits(c[i]),
                        $"{bits} bits, {rows}×{cols}×{depth}: C[{r},{j}] = {c[i]:R}, in-order fused sum {inOrder:R}");
                }

                Assert.True(BitConverter.SingleToInt32Bits(strided[i]) == BitConverter.SingleToInt32Bits(c[i]),
                    $"{bits} bits, {rows}×{cols}×{depth}: C[{r},{j}] = {c[i]:R} row-major, {strided[i]:R} through a column stride");
            }
        }

        Assert.Equal(before[^2..], c[^2..]); // nothing written past the last row
    });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    [InlineData(128)]
    public void Multiply_CaseMShapes_OneAndTwoThreadsBitwiseIdentical(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        // Case M's first Linear (split over panels, each part prefetching within its own panels), its last (split over rows),
        // and odd sizes of each.
        var random = new Random(11);
        foreach ((int rows, int cols, int depth) in new[] { (64, 256, 784), (64, 10, 256), (61, 200, 787), (301, 10, 787) })
        {
            float[] a = PackedGemmTests.Random(random, rows * depth), w = PackedGemmTests.Random(random, cols * depth);
            float[] scale = PackedGemmTests.Random(random, cols), shift = PackedGemmTests.Random(random, cols);
            float[] packed = LinearKernels.PackWeights(w, cols, depth);
            float[] one = new float[rows * cols], two = new float[rows * cols];
            KernelLevelCollection.AtThreads(1, () => PackedGemm.Multiply(default(ReluOperator), a, rows, depth, depth, 1, packed, cols, one, cols, scale, shift, accumulate: false));
            KernelLevelCollection.AtThreads(2, () => PackedGemm.Multiply(default(ReluOperator), a, rows, depth, depth, 1, packed, cols, two, cols, scale, shift, accumulate: false));
            Assert.True(one.AsSpan().SequenceEqual(two), $"{bits} bits, {rows}×{cols}×{depth}: 2 threads differ from 1");
            Assert.Contains(one, v => v > 0); // the ReLU left something: the comparison is not of zeros
        }
    });
}
