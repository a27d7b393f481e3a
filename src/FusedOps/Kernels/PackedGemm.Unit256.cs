using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// The Vector256 tiles for a row-major A (<c>aColStride == 1</c>: inference, the training forward), the depth loop unrolled
/// four times: 6 × 16 (12 accumulators, 2 B loads and 6 broadcasts per 12 FMAs: 15 of the 16 ymm registers) and 4 × 16 at the
/// row edge. Each step is the one of <c>Tile256</c>, in the same order, so the sums are bitwise those of the tiles with a
/// general stride.
/// </summary>
/// <remarks>
/// Unrolled, A's next values are constant displacements from the row pointers (<c>[a + off + 4u]</c>) and the loop's
/// increments, counter and branch come once per 48 FMAs instead of once per 12.
/// </remarks>
public static partial class PackedGemm
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile256Unit<TRows>(in GemmCall g, int p, int r, int rEnd, float* prefetch, int lines)
        where TRows : struct, ITileRows
    {
        TileRows6(in g, r, rEnd, out float* a0, out float* a1, out float* a2, out float* a3, out float* a4, out float* a5);
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        int depth = g.Depth;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint off = 0;
        int t = 0;
        if (Sse.IsSupported)
        {
            // This tile's share of the next panel's lines into L2, one per unrolled step (see Range256Unit).
            int stop = Math.Min(depth, lines * Unroll) - Unroll;
            for (; t <= stop; t += Unroll, off += Unroll, b += Unroll * PanelWidth, prefetch += PanelWidth)
            {
                Sse.Prefetch1(prefetch);
                Step256<TRows>(a0, a1, a2, a3, a4, a5, off, b, 0, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
                Step256<TRows>(a0, a1, a2, a3, a4, a5, off, b, 1, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
                Step256<TRows>(a0, a1, a2, a3, a4, a5, off, b, 2, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
                Step256<TRows>(a0, a1, a2, a3, a4, a5, off, b, 3, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            }
        }

        for (; t + Unroll <= depth; t += Unroll, off += Unroll, b += Unroll * PanelWidth)
        {
            Step256<TRows>(a0, a1, a2, a3, a4, a5, off, b, 0, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step256<TRows>(a0, a1, a2, a3, a4, a5, off, b, 1, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step256<TRows>(a0, a1, a2, a3, a4, a5, off, b, 2, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
            Step256<TRows>(a0, a1, a2, a3, a4, a5, off, b, 3, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
        }

        for (; t < depth; t++, off++, b += PanelWidth)
        {
            Step256<TRows>(a0, a1, a2, a3, a4, a5, off, b, 0, ref c00, ref c01, ref c10, ref c11, ref c20, ref c21, ref c30, ref c31, ref c40, ref c41, ref c50, ref c51);
        }

        Park256(g.Scratch, 0, c00, c01); Park256(g.Scratch, 1, c10, c11); Park256(g.Scratch, 2, c20, c21); Park256(g.Scratch, 3, c30, c31);
        if (default(TRows).Count > 4)
        {
            Park256(g.Scratch, 4, c40, c41); Park256(g.Scratch, 5, c50, c51);
        }
    }

    // The 256-bit range on a row-major A. While a panel's row tiles run, each one prefetches its share of the next panel's lines
    // (a panel of a 784-deep B is 50 KB, 784 lines): weights that another process has pushed out of L3 then arrive while the
    // current panel is computed, not while the next one waits for them. A hint only: the sums are the same bits without it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Range256Unit<TAct>(in GemmCall g, TAct act, int p0, int p1, int r0, int r1)
        where TAct : struct, IActivationOperator
    {
        int depth = g.Depth;
        int tiles = (r1 - r0 + TileRows - 1) / TileRows;
        int share = (depth + tiles - 1) / tiles;
        for (int p = p0; p < p1; p++)
        {
            int col = p * PanelWidth, width = Math.Min(PanelWidth, g.Cols - col);
            float* next = g.B + ((nint)(p + 1) * depth * PanelWidth);
            int i = 0;
            for (int r = r0; r < r1; r += TileRows, i++)
            {
                // Lines [i·share, (i + 1)·share) of the next panel, none past the last panel of the range.
                int lines = p + 1 < p1 ? Math.Clamp(depth - (i * share), 0, share) : 0;
                float* prefetch = next + ((nint)i * share * PanelWidth);
                if (r1 - r <= 4)
                {
                    Tile256Unit<FourRows>(in g, p, r, r1, prefetch, lines);
                }
                else
                {
                    Tile256Unit<SixRows>(in g, p, r, r1, prefetch, lines);
                }

                FinishColumns256(in g, act, g.Scratch, r, Math.Min(TileRows, r1 - r), col, width);
            }
        }
    }

    // One depth step of a 6 × 16 (or 4 × 16) tile, u steps on from `off`: A's rows at a0 … a5, B's row at b + 16u.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Step256<TRows>(float* a0, float* a1, float* a2, float* a3, float* a4, float* a5, nint off, float* b, int u,
        ref Vector256<float> c00, ref Vector256<float> c01, ref Vector256<float> c10, ref Vector256<float> c11, ref Vector256<float> c20, ref Vector256<float> c21,
        ref Vector256<float> c30, ref Vector256<float> c31, ref Vector256<float> c40, ref Vector256<float> c41, ref Vector256<float> c50, ref Vector256<float> c51)
        where TRows : struct, ITileRows
    {
        Vector256<float> b0 = Vector256.Load(b + (u * PanelWidth)), b1 = Vector256.Load(b + (u * PanelWidth) + 8);
        Vector256<float> x = Vector256.Create(a0[off + u]);
        c00 = Simd.Fma(x, b0, c00); c01 = Simd.Fma(x, b1, c01);
        x = Vector256.Create(a1[off + u]);
        c10 = Simd.Fma(x, b0, c10); c11 = Simd.Fma(x, b1, c11);
        x = Vector256.Create(a2[off + u]);
        c20 = Simd.Fma(x, b0, c20); c21 = Simd.Fma(x, b1, c21);
        x = Vector256.Create(a3[off + u]);
        c30 = Simd.Fma(x, b0, c30); c31 = Simd.Fma(x, b1, c31);
        if (default(TRows).Count > 4)
        {
            x = Vector256.Create(a4[off + u]);
            c40 = Simd.Fma(x, b0, c40); c41 = Simd.Fma(x, b1, c41);
            x = Vector256.Create(a5[off + u]);
            c50 = Simd.Fma(x, b0, c50); c51 = Simd.Fma(x, b1, c51);
        }
    }
}
