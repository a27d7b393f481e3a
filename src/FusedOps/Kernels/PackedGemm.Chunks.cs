using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// The 512-bit product over a chunk of the depth, the tile's sums carried in memory between chunks, for
/// <see cref="Im2colGemm"/>: a chunk of an im2col block (taps × 32 pixels) is packed into L1 and multiplied at once, where
/// the whole block (576 taps × 32 pixels for a 64-channel 3×3 convolution: 72 KB) would be written to L2 and read back six
/// times. Each sum continues from the float it stopped at, in the same order, so the chunking changes no bit.
/// </summary>
public static partial class PackedGemm
{
    /// <summary>
    /// For rows [0, <paramref name="rows"/>): <c>acc[r, j] (+)= Σ_t A[r, t]·B[t, j]</c> over a chunk of <paramref name="depth"/>
    /// taps, j &lt; 32; A row-major with row stride <paramref name="lda"/>, B two panels (<paramref name="depth"/> rows of 16
    /// floats each, the second right after the first), acc 32 floats a row for the rows rounded up to 6 (the extra rows'
    /// sums are junk). With <paramref name="first"/> the sums start at 0, else at what acc holds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void MultiplyChunk512(float* a, int lda, int rows, float* b, int depth, float* acc, bool first)
    {
        for (int r = 0; r < rows;)
        {
            int tile = PairRows(rows - r);
            float* ar = a + ((nint)r * lda), accr = acc + (r * 2 * PanelWidth);
            if (tile == 2 * TileRows)
            {
                Chunk512x12(ar, lda, b, depth, accr, first);
            }
            else if (tile == 8)
            {
                Chunk512x8(ar, lda, b, depth, accr, first);
            }
            else
            {
                Chunk512x6(ar, lda, Math.Min(TileRows, rows - r), b, depth, accr, first);
            }

            r += tile;
        }
    }

    /// <summary>The epilogue on sums in acc (32 floats a row), as <see cref="MultiplyRows{TAct}"/>'s: C[r, j] = act(scale[r]·acc[r, j] + shift[r]), j &lt; <paramref name="cols"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void FinishChunks<TAct>(TAct act, float* acc, int rows, int cols, float* c, int ldc, float* scale, float* shift)
        where TAct : struct, IActivationOperator
    {
        var g = new GemmCall(null, rows, 0, 0, 0, acc, 0, c, ldc, scale, shift, accumulate: false) { Scratch = acc };
        FinishRows(in g, act, 0, rows, 0, cols, 2 * PanelWidth);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Start512(float* acc, int i, bool first) => first ? default : Vector512.Load(acc + (i * PanelWidth));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Chunk512x12(float* a, nint lda, float* b, int depth, float* acc, bool first)
    {
        nint rs2 = 2 * lda, next = (nint)depth * PanelWidth;
        float* q0 = a, q3 = a + (3 * lda), q6 = a + (6 * lda), q9 = a + (9 * lda);
        Vector512<float> c0_0 = Start512(acc, 0, first), c0_1 = Start512(acc, 1, first), c1_0 = Start512(acc, 2, first), c1_1 = Start512(acc, 3, first);
        Vector512<float> c2_0 = Start512(acc, 4, first), c2_1 = Start512(acc, 5, first), c3_0 = Start512(acc, 6, first), c3_1 = Start512(acc, 7, first);
        Vector512<float> c4_0 = Start512(acc, 8, first), c4_1 = Start512(acc, 9, first), c5_0 = Start512(acc, 10, first), c5_1 = Start512(acc, 11, first);
        Vector512<float> c6_0 = Start512(acc, 12, first), c6_1 = Start512(acc, 13, first), c7_0 = Start512(acc, 14, first), c7_1 = Start512(acc, 15, first);
        Vector512<float> c8_0 = Start512(acc, 16, first), c8_1 = Start512(acc, 17, first), c9_0 = Start512(acc, 18, first), c9_1 = Start512(acc, 19, first);
        Vector512<float> c10_0 = Start512(acc, 20, first), c10_1 = Start512(acc, 21, first), c11_0 = Start512(acc, 22, first), c11_1 = Start512(acc, 23, first);
        for (int t = 0; t < depth; t++, q0++, q3++, q6++, q9++, b += PanelWidth)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + next);
            Vector512<float> x;
            x = Vector512.Create(*q0); c0_0 = Simd.Fma(x, b0, c0_0); c0_1 = Simd.Fma(x, b1, c0_1);
            x = Vector512.Create(q0[lda]); c1_0 = Simd.Fma(x, b0, c1_0); c1_1 = Simd.Fma(x, b1, c1_1);
            x = Vector512.Create(q0[rs2]); c2_0 = Simd.Fma(x, b0, c2_0); c2_1 = Simd.Fma(x, b1, c2_1);
            x = Vector512.Create(*q3); c3_0 = Simd.Fma(x, b0, c3_0); c3_1 = Simd.Fma(x, b1, c3_1);
            x = Vector512.Create(q3[lda]); c4_0 = Simd.Fma(x, b0, c4_0); c4_1 = Simd.Fma(x, b1, c4_1);
            x = Vector512.Create(q3[rs2]); c5_0 = Simd.Fma(x, b0, c5_0); c5_1 = Simd.Fma(x, b1, c5_1);
            x = Vector512.Create(*q6); c6_0 = Simd.Fma(x, b0, c6_0); c6_1 = Simd.Fma(x, b1, c6_1);
            x = Vector512.Create(q6[lda]); c7_0 = Simd.Fma(x, b0, c7_0); c7_1 = Simd.Fma(x, b1, c7_1);
            x = Vector512.Create(q6[rs2]); c8_0 = Simd.Fma(x, b0, c8_0); c8_1 = Simd.Fma(x, b1, c8_1);
            x = Vector512.Create(*q9); c9_0 = Simd.Fma(x, b0, c9_0); c9_1 = Simd.Fma(x, b1, c9_1);
            x = Vector512.Create(q9[lda]); c10_0 = Simd.Fma(x, b0, c10_0); c10_1 = Simd.Fma(x, b1, c10_1);
            x = Vector512.Create(q9[rs2]); c11_0 = Simd.Fma(x, b0, c11_0); c11_1 = Simd.Fma(x, b1, c11_1);
        }

        Park512(acc, 0, c0_0, c0_1); Park512(acc, 1, c1_0, c1_1); Park512(acc, 2, c2_0, c2_1); Park512(acc, 3, c3_0, c3_1);
        Park512(acc, 4, c4_0, c4_1); Park512(acc, 5, c5_0, c5_1); Park512(acc, 6, c6_0, c6_1); Park512(acc, 7, c7_0, c7_1);
        Park512(acc, 8, c8_0, c8_1); Park512(acc, 9, c9_0, c9_1); Park512(acc, 10, c10_0, c10_1); Park512(acc, 11, c11_0, c11_1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Chunk512x8(float* a, nint lda, float* b, int depth, float* acc, bool first)
    {
        nint rs2 = 2 * lda, next = (nint)depth * PanelWidth;
        float* q0 = a, q3 = a + (3 * lda), q6 = a + (6 * lda);
        Vector512<float> c0_0 = Start512(acc, 0, first), c0_1 = Start512(acc, 1, first), c1_0 = Start512(acc, 2, first), c1_1 = Start512(acc, 3, first);
        Vector512<float> c2_0 = Start512(acc, 4, first), c2_1 = Start512(acc, 5, first), c3_0 = Start512(acc, 6, first), c3_1 = Start512(acc, 7, first);
        Vector512<float> c4_0 = Start512(acc, 8, first), c4_1 = Start512(acc, 9, first), c5_0 = Start512(acc, 10, first), c5_1 = Start512(acc, 11, first);
        Vector512<float> c6_0 = Start512(acc, 12, first), c6_1 = Start512(acc, 13, first), c7_0 = Start512(acc, 14, first), c7_1 = Start512(acc, 15, first);
        for (int t = 0; t < depth; t++, q0++, q3++, q6++, b += PanelWidth)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + next);
            Vector512<float> x;
            x = Vector512.Create(*q0); c0_0 = Simd.Fma(x, b0, c0_0); c0_1 = Simd.Fma(x, b1, c0_1);
            x = Vector512.Create(q0[lda]); c1_0 = Simd.Fma(x, b0, c1_0); c1_1 = Simd.Fma(x, b1, c1_1);
            x = Vector512.Create(q0[rs2]); c2_0 = Simd.Fma(x, b0, c2_0); c2_1 = Simd.Fma(x, b1, c2_1);
            x = Vector512.Create(*q3); c3_0 = Simd.Fma(x, b0, c3_0); c3_1 = Simd.Fma(x, b1, c3_1);
            x = Vector512.Create(q3[lda]); c4_0 = Simd.Fma(x, b0, c4_0); c4_1 = Simd.Fma(x, b1, c4_1);
            x = Vector512.Create(q3[rs2]); c5_0 = Simd.Fma(x, b0, c5_0); c5_1 = Simd.Fma(x, b1, c5_1);
            x = Vector512.Create(*q6); c6_0 = Simd.Fma(x, b0, c6_0); c6_1 = Simd.Fma(x, b1, c6_1);
            x = Vector512.Create(q6[lda]); c7_0 = Simd.Fma(x, b0, c7_0); c7_1 = Simd.Fma(x, b1, c7_1);
        }

        Park512(acc, 0, c0_0, c0_1); Park512(acc, 1, c1_0, c1_1); Park512(acc, 2, c2_0, c2_1); Park512(acc, 3, c3_0, c3_1);
        Park512(acc, 4, c4_0, c4_1); Park512(acc, 5, c5_0, c5_1); Park512(acc, 6, c6_0, c6_1); Park512(acc, 7, c7_0, c7_1);
    }

    // 6 rows, `rows` of them real: the others re-read the last real row (in bounds) and their sums are junk.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Chunk512x6(float* a, nint lda, int rows, float* b, int depth, float* acc, bool first)
    {
        nint next = (nint)depth * PanelWidth;
        float* a0 = a, a1 = a + (Math.Min(1, rows - 1) * lda), a2 = a + (Math.Min(2, rows - 1) * lda);
        float* a3 = a + (Math.Min(3, rows - 1) * lda), a4 = a + (Math.Min(4, rows - 1) * lda), a5 = a + (Math.Min(5, rows - 1) * lda);
        Vector512<float> c0_0 = Start512(acc, 0, first), c0_1 = Start512(acc, 1, first), c1_0 = Start512(acc, 2, first), c1_1 = Start512(acc, 3, first);
        Vector512<float> c2_0 = Start512(acc, 4, first), c2_1 = Start512(acc, 5, first), c3_0 = Start512(acc, 6, first), c3_1 = Start512(acc, 7, first);
        Vector512<float> c4_0 = Start512(acc, 8, first), c4_1 = Start512(acc, 9, first), c5_0 = Start512(acc, 10, first), c5_1 = Start512(acc, 11, first);
        for (int t = 0; t < depth; t++, b += PanelWidth)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + next);
            Vector512<float> x;
            x = Vector512.Create(a0[t]); c0_0 = Simd.Fma(x, b0, c0_0); c0_1 = Simd.Fma(x, b1, c0_1);
            x = Vector512.Create(a1[t]); c1_0 = Simd.Fma(x, b0, c1_0); c1_1 = Simd.Fma(x, b1, c1_1);
            x = Vector512.Create(a2[t]); c2_0 = Simd.Fma(x, b0, c2_0); c2_1 = Simd.Fma(x, b1, c2_1);
            x = Vector512.Create(a3[t]); c3_0 = Simd.Fma(x, b0, c3_0); c3_1 = Simd.Fma(x, b1, c3_1);
            x = Vector512.Create(a4[t]); c4_0 = Simd.Fma(x, b0, c4_0); c4_1 = Simd.Fma(x, b1, c4_1);
            x = Vector512.Create(a5[t]); c5_0 = Simd.Fma(x, b0, c5_0); c5_1 = Simd.Fma(x, b1, c5_1);
        }

        Park512(acc, 0, c0_0, c0_1); Park512(acc, 1, c1_0, c1_1); Park512(acc, 2, c2_0, c2_1);
        Park512(acc, 3, c3_0, c3_1); Park512(acc, 4, c4_0, c4_1); Park512(acc, 5, c5_0, c5_1);
    }
}
