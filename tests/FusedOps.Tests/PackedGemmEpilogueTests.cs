using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="PackedGemm"/>'s epilogue without a column operator at every vector width (the scalar kernel sums without fusing), bit for bit: each of scale, shift and the add of
/// C present or absent (the once-per-tile epilogue of PackedGemm.Finish512.cs branches on each), on whole panels, a partial single
/// panel (case M's last Linear, 10 columns) and a pair whose second panel is partial, against each element summed by fused
/// multiply-adds in depth order and finished as documented: act(scale·s + shift + C), absent terms left out.
/// </summary>
[Collection("KernelLevel")]
public sealed class PackedGemmEpilogueTests
{
    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        foreach (int bits in new[] { 512, 256, 128 }.Where(b => b <= KernelDispatch.HardwareBits))
        {
            // 10: one partial panel; 32: a whole pair; 53: a whole pair, then a pair of 16 + 5 columns.
            foreach (int cols in new[] { 10, 32, 53 })
            {
                data.Add(bits, cols);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Multiply_EachEpilogueTermPresentOrAbsent_EqualsInOrderFusedSumsBitwise(int bits, int cols) => KernelLevelCollection.AtLevel(bits, () =>
    {
        const int Rows = 28, Depth = 37; // 28 rows: 12 + 8 + 8 on a pair, 16 + 12 on a single panel
        var random = new Random((bits * 100) + cols);
        float[] w = PackedGemmTests.Random(random, cols * Depth), a = PackedGemmTests.Random(random, Rows * Depth);
        float[] packed = LinearKernels.PackWeights(w, cols, Depth);
        for (int terms = 0; terms < 8; terms++)
        {
            bool withScale = (terms & 1) != 0, withShift = (terms & 2) != 0, accumulate = (terms & 4) != 0;
            float[] scale = withScale ? PackedGemmTests.Random(random, cols) : [], shift = withShift ? PackedGemmTests.Random(random, cols) : [];
            int ldc = cols + 3;
            float[] c = PackedGemmTests.Random(random, Rows * ldc), before = (float[])c.Clone();
            PackedGemm.Multiply(default(ReluOperator), a, Rows, Depth, Depth, 1, packed, cols, c, ldc, scale, shift, accumulate);
            for (int r = 0; r < Rows; r++)
            {
                for (int j = 0; j < ldc; j++)
                {
                    float expected = before[(r * ldc) + j];
                    if (j < cols)
                    {
                        float s = 0;
                        for (int t = 0; t < Depth; t++)
                        {
                            s = MathF.FusedMultiplyAdd(a[(r * Depth) + t], w[(j * Depth) + t], s);
                        }

                        s = withScale ? s * scale[j] : s;
                        s = withShift ? s + shift[j] : s;
                        s = accumulate ? s + expected : s;
                        expected = Math.Max(s, 0f);
                    }

                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(c[(r * ldc) + j]),
                        $"{bits} bits, {cols} columns, scale {withScale}, shift {withShift}, accumulate {accumulate}: C[{r},{j}] = {c[(r * ldc) + j]:R}, expected {expected:R}");
                }
            }
        }
    });
}
