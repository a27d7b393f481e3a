using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="PackedGemm"/>'s tiles for a row-major A (the depth loop unrolled four times; a 16 × 16 tile for a single panel) and
/// the masked epilogue of a partial panel, bit for bit against each element summed by fused multiply-adds in depth order and
/// finished as the kernel documents it: act(scale·s + shift + C). Shapes reach every tile (12 × 32, 8 × 32, 16 × 16, 12 × 16,
/// the 6-row edges), depths with and without a remainder after the unrolled steps, whole and partial last panels, and A read
/// through a column stride (the tiles with a general stride) beside them.
/// </summary>
[Collection("KernelLevel")]
public sealed class PackedGemmUnitTilesTests
{
    public static TheoryData<int, int, int, int> Cases()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (int bits in new[] { 512, 256 }.Where(b => b <= KernelDispatch.HardwareBits))
        {
            // 64 rows: 12, 12, 12, 12, 8, 8 over a panel pair and 16 × 4 over a single panel; 35: 16, 16 and a 3-row edge;
            // 28: 16 + 12 on a single panel, 12 + 8 + 8 on a pair; 7: edge tiles only.
            foreach (int rows in new[] { 64, 35, 28, 7 })
            {
                // 10: one partial panel (case M's last Linear); 16: one whole panel; 32: a pair; 40: a pair and an odd partial
                // panel; 53: two pairs, the last panel of 5 columns.
                foreach (int cols in new[] { 10, 16, 32, 40, 53 })
                {
                    // 13: three unrolled steps and one left; 3: the remainder loop alone; 36: unrolled steps only.
                    foreach (int depth in new[] { 13, 3, 36 })
                    {
                        data.Add(bits, rows, cols, depth);
                    }
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Multiply_EveryTile_EqualsInOrderFusedSumsBitwise(int bits, int rows, int cols, int depth) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random((rows * 10_000) + (cols * 100) + depth);
        float[] w = PackedGemmTests.Random(random, cols * depth), scale = PackedGemmTests.Random(random, cols), shift = PackedGemmTests.Random(random, cols);
        float[] packed = LinearKernels.PackWeights(w, cols, depth);
        foreach (bool transposedA in new[] { false, true })
        {
            // A row-major (the unrolled tiles) or read through dYᵀ strides (the tiles with a general stride).
            float[] a = PackedGemmTests.Random(random, rows * depth);
            (int rs, int cs) = transposedA ? (1, rows) : (depth, 1);
            int ldc = cols + 5;
            float[] c = PackedGemmTests.Random(random, rows * ldc), before = (float[])c.Clone();
            PackedGemm.Multiply(default(ReluOperator), a, rows, depth, rs, cs, packed, cols, c, ldc, scale, shift, accumulate: true);
            for (int r = 0; r < rows; r++)
            {
                for (int j = 0; j < ldc; j++)
                {
                    float expected = before[(r * ldc) + j];
                    if (j < cols)
                    {
                        float s = 0;
                        for (int t = 0; t < depth; t++)
                        {
                            s = MathF.FusedMultiplyAdd(a[(r * rs) + (t * cs)], w[(j * depth) + t], s);
                        }

                        expected = Math.Max((((s * scale[j]) + shift[j]) + expected), 0f);
                    }

                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(c[(r * ldc) + j]),
                        $"{bits} bits, {rows}×{cols}×{depth}, transposedA {transposedA}: C[{r},{j}] = {c[(r * ldc) + j]:R}, expected {expected:R}");
                }
            }
        }
    });

    [Theory]
    [InlineData(512)]
    [InlineData(256)]
    public void Infer_PartialPanelWithoutScale_EqualsInOrderFusedSumsBitwise(int bits) => KernelLevelCollection.AtLevel(Math.Min(bits, KernelDispatch.HardwareBits), () =>
    {
        // Case M's last Linear: 64 × 256 → 10, no activation; the masked epilogue must read no scale past the 10th column.
        const int Rows = 64, Cols = 10, Depth = 256;
        var random = new Random(9);
        float[] x = PackedGemmTests.Random(random, Rows * Depth), w = PackedGemmTests.Random(random, Cols * Depth), shift = PackedGemmTests.Random(random, Cols);
        float[] ones = Enumerable.Repeat(1f, Cols).ToArray(), y = new float[Rows * Cols];
        LinearKernels.Infer(default(IdentityOperator), ref x[0], Rows, w, LinearKernels.PackWeights(w, Cols, Depth), Cols, Depth, ref y[0], ones, shift);
        for (int i = 0; i < y.Length; i++)
        {
            int r = i / Cols, j = i % Cols;
            float s = 0;
            for (int t = 0; t < Depth; t++)
            {
                s = MathF.FusedMultiplyAdd(x[(r * Depth) + t], w[(j * Depth) + t], s);
            }

            Assert.Equal(BitConverter.SingleToInt32Bits(s + shift[j]), BitConverter.SingleToInt32Bits(y[i]));
        }
    });
}
