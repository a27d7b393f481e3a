using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// The Vector512 kernel: tiles of 12 or 8 rows × 32 columns (two panels; 24 or 16 accumulators) and 16 × 16 or 12 × 16 (an odd
/// last panel), 6 × 32 and 6 × 16 at the row edge; unrolled for a row-major A (PackedGemm.Unit512.cs). Each tile parks its accumulators in the call's scratch; <c>FinishColumns512</c>
/// applies the epilogue.
/// </summary>
public static partial class PackedGemm
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Range512<TAct>(in GemmCall g, TAct act, int p0, int p1, int r0, int r1)
        where TAct : struct, IActivationOperator
    {
        // A row-major A (inference, the training forward) takes the unrolled tiles (PackedGemm.Unit512.cs).
        bool unit = g.AColStride == 1;
        for (int p = p0; p < p1; p += 2)
        {
            bool pair = p + 1 < p1;
            int col = p * PanelWidth, width0 = Math.Min(PanelWidth, g.Cols - col), width1 = pair ? Math.Min(PanelWidth, g.Cols - col - PanelWidth) : 0;
            // The next pair (in this range) into L2, a quarter in each of the pair's first four 12-row tiles (Tile512x2x12Unit).
            float* ahead = p + 3 < p1 ? g.B + ((nint)(p + 2) * g.Depth * PanelWidth) : null, last = ahead + (24 * (nint)g.Depth);
            for (int r = r0; r < r1;)
            {
                int rows = pair ? PairRows(r1 - r) : SingleRows(r1 - r, unit);
                if (rows == 2 * TileRows && pair)
                {
                    if (unit)
                    {
                        Tile512x2x12Unit(in g, p, r, ahead);
                        ahead = ahead == null || ahead == last ? null : ahead + (8 * (nint)g.Depth);
                    }
                    else
                    {
                        Tile512x2x12(in g, p, r);
                    }
                }
                else if (rows == 16)
                {
                    Tile512x1x16Unit(in g, p, r);
                }
                else if (rows == 2 * TileRows)
                {
                    Tile512x1x12(in g, p, r);
                }
                else if (rows == 8)
                {
                    if (unit)
                    {
                        Tile512x2x8Unit(in g, p, r);
                    }
                    else
                    {
                        Tile512x2x8(in g, p, r);
                    }
                }
                else if (pair)
                {
                    Tile512x2(in g, p, r, r1);
                }
                else
                {
                    Tile512x1(in g, p, r, r1);
                }

                FinishColumns512(in g, act, g.Scratch, r, Math.Min(rows, r1 - r), col, width0, width1);
                r += rows;
            }
        }
    }

    // Rows of the next two-panel tile with `left` rows to go: 12, or 8 where 12 would leave an edge tile of 6 rows doing the
    // work of 4 or fewer (64 rows: 12, 12, 12, 12, 8, 8 rather than 12 × 5 and a 6-row tile for 4), else the 6-row edge tile.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PairRows(int left) => left is 13 or 14 or 16 ? 8 : left >= 2 * TileRows ? 2 * TileRows : left >= 8 ? 8 : TileRows;

    // Rows of the next one-panel tile with `left` rows to go: 16 (a row-major A), 12, else the 6-row edge tile.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SingleRows(int left, bool unit) => unit && left >= 16 ? 16 : left >= 2 * TileRows ? 2 * TileRows : TileRows;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x2(in GemmCall g, int p, int r, int rEnd)
    {
        TileRows6(in g, r, rEnd, out float* a0, out float* a1, out float* a2, out float* a3, out float* a4, out float* a5);
        nint cs = g.AColStride;
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        nint next = (nint)g.Depth * PanelWidth;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint off = 0;
        for (int t = 0; t < g.Depth; t++, off += cs, b += PanelWidth)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + next);
            Vector512<float> x = Vector512.Create(a0[off]);
            c00 = Simd.Fma(x, b0, c00); c01 = Simd.Fma(x, b1, c01);
            x = Vector512.Create(a1[off]);
            c10 = Simd.Fma(x, b0, c10); c11 = Simd.Fma(x, b1, c11);
            x = Vector512.Create(a2[off]);
            c20 = Simd.Fma(x, b0, c20); c21 = Simd.Fma(x, b1, c21);
            x = Vector512.Create(a3[off]);
            c30 = Simd.Fma(x, b0, c30); c31 = Simd.Fma(x, b1, c31);
            x = Vector512.Create(a4[off]);
            c40 = Simd.Fma(x, b0, c40); c41 = Simd.Fma(x, b1, c41);
            x = Vector512.Create(a5[off]);
            c50 = Simd.Fma(x, b0, c50); c51 = Simd.Fma(x, b1, c51);
        }

        Park512(g.Scratch, 0, c00, c01); Park512(g.Scratch, 1, c10, c11); Park512(g.Scratch, 2, c20, c21);
        Park512(g.Scratch, 3, c30, c31); Park512(g.Scratch, 4, c40, c41); Park512(g.Scratch, 5, c50, c51);
    }

    // 12 rows × 32 columns: 24 accumulators, 2 loads and 12 broadcasts per 24 FMAs (measured about 20 % faster than
    // 6 × 32 on a 64 × 784 × 256 product). All 12 rows exist. Four row pointers and two row offsets address them
    // ([q + rs], [q + 2rs]): twelve pointers did not fit the 16 general registers, and reloading the spilled ones
    // took 9 more loads per 24 FMAs (measured 4 % slower).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x2x12(in GemmCall g, int p, int r)
    {
        nint cs = g.AColStride, rs = g.ARowStride, rs2 = 2 * rs;
        float* q0 = g.A + (r * rs), q3 = q0 + (3 * rs), q6 = q0 + (6 * rs), q9 = q0 + (9 * rs);
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        nint next = (nint)g.Depth * PanelWidth;
        Vector512<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default, c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default, c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default, c8_0 = default, c8_1 = default, c9_0 = default, c9_1 = default, c10_0 = default, c10_1 = default, c11_0 = default, c11_1 = default;
        for (int t = 0; t < g.Depth; t++, q0 += cs, q3 += cs, q6 += cs, q9 += cs, b += PanelWidth)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + next);
            // The next panel pair's line into L2 (a prefetch never faults, past the end included): on a call whose weights
            // are not in cache (another model ran in between) only the first pair then comes from memory. No cost with the
            // weights in cache; case M after an 8 MB sweep, median of 60 calls: 173–219 µs against 180–300 (6 runs each).
            if (Sse.IsSupported)
            {
                Sse.Prefetch1(b + (2 * next));
                Sse.Prefetch1(b + (3 * next));
            }

            Vector512<float> x;
            x = Vector512.Create(*q0); c0_0 = Simd.Fma(x, b0, c0_0); c0_1 = Simd.Fma(x, b1, c0_1);
            x = Vector512.Create(q0[rs]); c1_0 = Simd.Fma(x, b0, c1_0); c1_1 = Simd.Fma(x, b1, c1_1);
            x = Vector512.Create(q0[rs2]); c2_0 = Simd.Fma(x, b0, c2_0); c2_1 = Simd.Fma(x, b1, c2_1);
            x = Vector512.Create(*q3); c3_0 = Simd.Fma(x, b0, c3_0); c3_1 = Simd.Fma(x, b1, c3_1);
            x = Vector512.Create(q3[rs]); c4_0 = Simd.Fma(x, b0, c4_0); c4_1 = Simd.Fma(x, b1, c4_1);
            x = Vector512.Create(q3[rs2]); c5_0 = Simd.Fma(x, b0, c5_0); c5_1 = Simd.Fma(x, b1, c5_1);
            x = Vector512.Create(*q6); c6_0 = Simd.Fma(x, b0, c6_0); c6_1 = Simd.Fma(x, b1, c6_1);
            x = Vector512.Create(q6[rs]); c7_0 = Simd.Fma(x, b0, c7_0); c7_1 = Simd.Fma(x, b1, c7_1);
            x = Vector512.Create(q6[rs2]); c8_0 = Simd.Fma(x, b0, c8_0); c8_1 = Simd.Fma(x, b1, c8_1);
            x = Vector512.Create(*q9); c9_0 = Simd.Fma(x, b0, c9_0); c9_1 = Simd.Fma(x, b1, c9_1);
            x = Vector512.Create(q9[rs]); c10_0 = Simd.Fma(x, b0, c10_0); c10_1 = Simd.Fma(x, b1, c10_1);
            x = Vector512.Create(q9[rs2]); c11_0 = Simd.Fma(x, b0, c11_0); c11_1 = Simd.Fma(x, b1, c11_1);
        }

        Park512(g.Scratch, 0, c0_0, c0_1); Park512(g.Scratch, 1, c1_0, c1_1); Park512(g.Scratch, 2, c2_0, c2_1); Park512(g.Scratch, 3, c3_0, c3_1);
        Park512(g.Scratch, 4, c4_0, c4_1); Park512(g.Scratch, 5, c5_0, c5_1); Park512(g.Scratch, 6, c6_0, c6_1); Park512(g.Scratch, 7, c7_0, c7_1);
        Park512(g.Scratch, 8, c8_0, c8_1); Park512(g.Scratch, 9, c9_0, c9_1); Park512(g.Scratch, 10, c10_0, c10_1); Park512(g.Scratch, 11, c11_0, c11_1);
    }

    // 8 rows × 32 columns (16 accumulators): as fast per FMA as 12 × 32 on a 64 × 784 × 256 product (measured in L1 and
    // from L2), so a row count of 12k + 4 needs no edge tile. All 8 rows exist.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x2x8(in GemmCall g, int p, int r)
    {
        nint cs = g.AColStride, rs = g.ARowStride, rs2 = 2 * rs;
        float* q0 = g.A + (r * rs), q3 = q0 + (3 * rs), q6 = q0 + (6 * rs);
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        nint next = (nint)g.Depth * PanelWidth;
        Vector512<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default, c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default;
        for (int t = 0; t < g.Depth; t++, q0 += cs, q3 += cs, q6 += cs, b += PanelWidth)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = Vector512.Load(b + next);
            Vector512<float> x;
            x = Vector512.Create(*q0); c0_0 = Simd.Fma(x, b0, c0_0); c0_1 = Simd.Fma(x, b1, c0_1);
            x = Vector512.Create(q0[rs]); c1_0 = Simd.Fma(x, b0, c1_0); c1_1 = Simd.Fma(x, b1, c1_1);
            x = Vector512.Create(q0[rs2]); c2_0 = Simd.Fma(x, b0, c2_0); c2_1 = Simd.Fma(x, b1, c2_1);
            x = Vector512.Create(*q3); c3_0 = Simd.Fma(x, b0, c3_0); c3_1 = Simd.Fma(x, b1, c3_1);
            x = Vector512.Create(q3[rs]); c4_0 = Simd.Fma(x, b0, c4_0); c4_1 = Simd.Fma(x, b1, c4_1);
            x = Vector512.Create(q3[rs2]); c5_0 = Simd.Fma(x, b0, c5_0); c5_1 = Simd.Fma(x, b1, c5_1);
            x = Vector512.Create(*q6); c6_0 = Simd.Fma(x, b0, c6_0); c6_1 = Simd.Fma(x, b1, c6_1);
            x = Vector512.Create(q6[rs]); c7_0 = Simd.Fma(x, b0, c7_0); c7_1 = Simd.Fma(x, b1, c7_1);
        }

        Park512(g.Scratch, 0, c0_0, c0_1); Park512(g.Scratch, 1, c1_0, c1_1); Park512(g.Scratch, 2, c2_0, c2_1); Park512(g.Scratch, 3, c3_0, c3_1);
        Park512(g.Scratch, 4, c4_0, c4_1); Park512(g.Scratch, 5, c5_0, c5_1); Park512(g.Scratch, 6, c6_0, c6_1); Park512(g.Scratch, 7, c7_0, c7_1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x1(in GemmCall g, int p, int r, int rEnd)
    {
        TileRows6(in g, r, rEnd, out float* a0, out float* a1, out float* a2, out float* a3, out float* a4, out float* a5);
        nint cs = g.AColStride;
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        nint off = 0;
        for (int t = 0; t < g.Depth; t++, off += cs, b += PanelWidth)
        {
            Vector512<float> b0 = Vector512.Load(b);
            c0 = Simd.Fma(Vector512.Create(a0[off]), b0, c0);
            c1 = Simd.Fma(Vector512.Create(a1[off]), b0, c1);
            c2 = Simd.Fma(Vector512.Create(a2[off]), b0, c2);
            c3 = Simd.Fma(Vector512.Create(a3[off]), b0, c3);
            c4 = Simd.Fma(Vector512.Create(a4[off]), b0, c4);
            c5 = Simd.Fma(Vector512.Create(a5[off]), b0, c5);
        }

        Park512(g.Scratch, 0, c0, default); Park512(g.Scratch, 1, c1, default); Park512(g.Scratch, 2, c2, default);
        Park512(g.Scratch, 3, c3, default); Park512(g.Scratch, 4, c4, default); Park512(g.Scratch, 5, c5, default);
    }

    // 12 rows × 16 columns (the last, odd panel; a layer of up to 16 outputs): 12 accumulators, so the FMAs do not wait
    // on each other's latency as the 6 of Tile512x1 do (measured 6.2 -> 4.8 µs for 64 × 256 -> 10). All 12 rows exist.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x1x12(in GemmCall g, int p, int r)
    {
        nint cs = g.AColStride, rs = g.ARowStride, rs2 = 2 * rs;
        float* q0 = g.A + (r * rs), q3 = q0 + (3 * rs), q6 = q0 + (6 * rs), q9 = q0 + (9 * rs);
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        Vector512<float> c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int t = 0; t < g.Depth; t++, q0 += cs, q3 += cs, q6 += cs, q9 += cs, b += PanelWidth)
        {
            Vector512<float> b0 = Vector512.Load(b);
            c0 = Simd.Fma(Vector512.Create(*q0), b0, c0); c1 = Simd.Fma(Vector512.Create(q0[rs]), b0, c1); c2 = Simd.Fma(Vector512.Create(q0[rs2]), b0, c2);
            c3 = Simd.Fma(Vector512.Create(*q3), b0, c3); c4 = Simd.Fma(Vector512.Create(q3[rs]), b0, c4); c5 = Simd.Fma(Vector512.Create(q3[rs2]), b0, c5);
            c6 = Simd.Fma(Vector512.Create(*q6), b0, c6); c7 = Simd.Fma(Vector512.Create(q6[rs]), b0, c7); c8 = Simd.Fma(Vector512.Create(q6[rs2]), b0, c8);
            c9 = Simd.Fma(Vector512.Create(*q9), b0, c9); c10 = Simd.Fma(Vector512.Create(q9[rs]), b0, c10); c11 = Simd.Fma(Vector512.Create(q9[rs2]), b0, c11);
        }

        Park512(g.Scratch, 0, c0, default); Park512(g.Scratch, 1, c1, default); Park512(g.Scratch, 2, c2, default); Park512(g.Scratch, 3, c3, default);
        Park512(g.Scratch, 4, c4, default); Park512(g.Scratch, 5, c5, default); Park512(g.Scratch, 6, c6, default); Park512(g.Scratch, 7, c7, default);
        Park512(g.Scratch, 8, c8, default); Park512(g.Scratch, 9, c9, default); Park512(g.Scratch, 10, c10, default); Park512(g.Scratch, 11, c11, default);
    }

    // Row i of a tile's raw accumulators in the call's scratch (32 floats a row: both panels).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Park512(float* scratch, int i, Vector512<float> v0, Vector512<float> v1)
    {
        Vector512.Store(v0, scratch + (i * 2 * PanelWidth));
        Vector512.Store(v1, scratch + (i * 2 * PanelWidth) + PanelWidth);
    }

    // The epilogue on a parked tile, out of line (see RunRange): `rows` rows of `width0` columns from `col` and `width1` more
    // from the second panel (none when 0). Fully optimised at once, as the tiles: as tier-0 code it made the first 30 calls
    // of case M 20 % slower than the ones after.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FinishColumns512<TAct>(in GemmCall g, TAct act, float* scratch, int r, int rows, int col, int width0, int width1)
        where TAct : struct, IActivationOperator
    {
        // Without a column operator (the JIT keeps one of the two paths per instantiation): PackedGemm.Finish512.cs.
        if (act is not IColumnEpilogue)
        {
            if (width0 == PanelWidth && width1 is 0 or PanelWidth)
            {
                FinishWhole512(in g, act, scratch, r, rows, col, width1 > 0);
                return;
            }

#if NET9_0_OR_GREATER
            FinishMasked512(in g, act, scratch, r, rows, col, width0, width1);
            return;
#endif
        }

        for (int i = 0; i < rows; i++, scratch += 2 * PanelWidth)
        {
            Store512(in g, act, Vector512.Load(scratch), r + i, col, width0);
            if (width1 > 0)
            {
                Store512(in g, act, Vector512.Load(scratch + PanelWidth), r + i, col + PanelWidth, width1);
            }
        }
    }

    // The epilogue on 16 lanes of row `row` from column `col`; only `count` lanes exist in C (none when count ≤ 0).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store512<TAct>(in GemmCall g, TAct act, Vector512<float> v, int row, int col, int count)
        where TAct : struct, IActivationOperator
    {
        float* c = g.C + ((nint)row * g.Ldc) + col;
        if (count < PanelWidth)
        {
            if (act is IColumnEpilogue && g.Column == ColumnOperator.MaxoutRuns)
            {
                FinishRunsPartial(in g, act, v.GetLower(), v.GetUpper(), count, row, col);
                return;
            }

            if (act is IColumnEpilogue && g.Activated != null)
            {
                KeepPartial(in g, act, v.GetLower(), v.GetUpper(), count, row, col);
                return;
            }

#if NET9_0_OR_GREATER
            if (act is not IColumnEpilogue || g.Column == ColumnOperator.None)
            {
                StorePartial512(in g, act, v, c, col, count);
                return;
            }
#endif

            for (int j = 0; j < count; j++)
            {
                g.Put(act, v.GetElement(j), c + j, col + j);
            }

            return;
        }

        if (g.Scale != null)
        {
            v *= Vector512.Load(g.Scale + col);
        }

        if (g.Shift != null)
        {
            v += Vector512.Load(g.Shift + col);
        }

        if (g.Accumulate)
        {
            v += Vector512.Load(c);
        }

        if (act is IColumnEpilogue && g.Activated != null)
        {
            // Training: z (u = z + residual with a residual add) stays in C for the derivative; the activated value goes to the
            // same place in Activated.
            if (g.Residual != null)
            {
                v += Vector512.Load(g.Residual + (c - g.C));
            }

            Vector512.Store(v, c);
            c = g.Activated + (c - g.C);
        }

        v = act.Invoke(v);
        if (act is IColumnEpilogue && g.Column != ColumnOperator.None)
        {
            StoreColumns512(in g, v, row, col, c);
            return;
        }

        Vector512.Store(v, c);
    }

#if NET9_0_OR_GREATER
    // The epilogue on the first `count` lanes (< 16) of a partial panel, as Store512's on a whole one, through masked loads and a
    // masked store: the scalar loop it replaces (one Put per element) took 1.1 µs of case M's 4.8 µs last Linear (10 outputs).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StorePartial512<TAct>(in GemmCall g, TAct act, Vector512<float> v, float* c, int col, int count)
        where TAct : struct, IActivationOperator
    {
        Vector512<float> mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();
        if (g.Scale != null)
        {
            v *= Avx512F.MaskLoad(g.Scale + col, mask, Vector512<float>.Zero);
        }

        if (g.Shift != null)
        {
            v += Avx512F.MaskLoad(g.Shift + col, mask, Vector512<float>.Zero);
        }

        if (g.Accumulate)
        {
            v += Avx512F.MaskLoad(c, mask, Vector512<float>.Zero);
        }

        Avx512F.MaskStore(c, mask, act.Invoke(v));
    }
#endif
}
