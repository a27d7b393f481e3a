using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>The Vector512 kernel: tiles of 12 rows × 32 columns (two panels, 24 accumulators) and 12 × 16 (an odd last panel), 6 × 32 and 6 × 16 at the row edge.</summary>
public static partial class PackedGemm
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Range512<TAct>(in GemmCall g, TAct act, int p0, int p1, int r0, int r1)
        where TAct : struct, IActivationOperator
    {
        for (int p = p0; p < p1; p += 2)
        {
            for (int r = r0; r < r1; r += TileRows)
            {
                if (p + 1 < p1 && r + (2 * TileRows) <= r1)
                {
                    Tile512x2x12(in g, act, p, r);
                    r += TileRows;
                }
                else if (p + 1 < p1)
                {
                    Tile512x2(in g, act, p, r, r1);
                }
                else if (r + (2 * TileRows) <= r1)
                {
                    Tile512x1x12(in g, act, p, r);
                    r += TileRows;
                }
                else
                {
                    Tile512x1(in g, act, p, r, r1);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x2<TAct>(in GemmCall g, TAct act, int p, int r, int rEnd)
        where TAct : struct, IActivationOperator
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

        int col = p * PanelWidth, width = Math.Min(PanelWidth, g.Cols - col - PanelWidth);
        if (act is IColumnEpilogue)
        {
            Park512(g.Scratch, 0, c00, c01); Park512(g.Scratch, 1, c10, c11); Park512(g.Scratch, 2, c20, c21);
            Park512(g.Scratch, 3, c30, c31); Park512(g.Scratch, 4, c40, c41); Park512(g.Scratch, 5, c50, c51);
            FinishColumns512(in g, act, g.Scratch, r, Math.Min(TileRows, rEnd - r), col, PanelWidth, width);
            return;
        }

        Store512(in g, act, c00, r, col, PanelWidth); Store512(in g, act, c01, r, col + PanelWidth, width);
        if (r + 1 < rEnd) { Store512(in g, act, c10, r + 1, col, PanelWidth); Store512(in g, act, c11, r + 1, col + PanelWidth, width); }
        if (r + 2 < rEnd) { Store512(in g, act, c20, r + 2, col, PanelWidth); Store512(in g, act, c21, r + 2, col + PanelWidth, width); }
        if (r + 3 < rEnd) { Store512(in g, act, c30, r + 3, col, PanelWidth); Store512(in g, act, c31, r + 3, col + PanelWidth, width); }
        if (r + 4 < rEnd) { Store512(in g, act, c40, r + 4, col, PanelWidth); Store512(in g, act, c41, r + 4, col + PanelWidth, width); }
        if (r + 5 < rEnd) { Store512(in g, act, c50, r + 5, col, PanelWidth); Store512(in g, act, c51, r + 5, col + PanelWidth, width); }
    }

    // 12 rows × 32 columns: 24 accumulators, 2 loads and 12 broadcasts per 24 FMAs (measured about 20 % faster than
    // 6 × 32 on a 64 × 784 × 256 product). All 12 rows exist. Four row pointers and two row offsets address them
    // ([q + rs], [q + 2rs]): twelve pointers did not fit the 16 general registers, and reloading the spilled ones
    // took 9 more loads per 24 FMAs (measured 4 % slower).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x2x12<TAct>(in GemmCall g, TAct act, int p, int r)
        where TAct : struct, IActivationOperator
    {
        nint cs = g.AColStride, rs = g.ARowStride, rs2 = 2 * rs;
        float* q0 = g.A + (r * rs), q3 = q0 + (3 * rs), q6 = q0 + (6 * rs), q9 = q0 + (9 * rs);
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        nint next = (nint)g.Depth * PanelWidth;
        Vector512<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default, c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default, c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default, c8_0 = default, c8_1 = default, c9_0 = default, c9_1 = default, c10_0 = default, c10_1 = default, c11_0 = default, c11_1 = default;
        for (int t = 0; t < g.Depth; t++, q0 += cs, q3 += cs, q6 += cs, q9 += cs, b += PanelWidth)
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
            x = Vector512.Create(q6[rs2]); c8_0 = Simd.Fma(x, b0, c8_0); c8_1 = Simd.Fma(x, b1, c8_1);
            x = Vector512.Create(*q9); c9_0 = Simd.Fma(x, b0, c9_0); c9_1 = Simd.Fma(x, b1, c9_1);
            x = Vector512.Create(q9[rs]); c10_0 = Simd.Fma(x, b0, c10_0); c10_1 = Simd.Fma(x, b1, c10_1);
            x = Vector512.Create(q9[rs2]); c11_0 = Simd.Fma(x, b0, c11_0); c11_1 = Simd.Fma(x, b1, c11_1);
        }

        int col = p * PanelWidth, width = Math.Min(PanelWidth, g.Cols - col - PanelWidth);
        if (act is IColumnEpilogue)
        {
            Park512(g.Scratch, 0, c0_0, c0_1); Park512(g.Scratch, 1, c1_0, c1_1); Park512(g.Scratch, 2, c2_0, c2_1); Park512(g.Scratch, 3, c3_0, c3_1);
            Park512(g.Scratch, 4, c4_0, c4_1); Park512(g.Scratch, 5, c5_0, c5_1); Park512(g.Scratch, 6, c6_0, c6_1); Park512(g.Scratch, 7, c7_0, c7_1);
            Park512(g.Scratch, 8, c8_0, c8_1); Park512(g.Scratch, 9, c9_0, c9_1); Park512(g.Scratch, 10, c10_0, c10_1); Park512(g.Scratch, 11, c11_0, c11_1);
            FinishColumns512(in g, act, g.Scratch, r, 2 * TileRows, col, PanelWidth, width);
            return;
        }

        Store512(in g, act, c0_0, r + 0, col, PanelWidth); Store512(in g, act, c0_1, r + 0, col + PanelWidth, width);
        Store512(in g, act, c1_0, r + 1, col, PanelWidth); Store512(in g, act, c1_1, r + 1, col + PanelWidth, width);
        Store512(in g, act, c2_0, r + 2, col, PanelWidth); Store512(in g, act, c2_1, r + 2, col + PanelWidth, width);
        Store512(in g, act, c3_0, r + 3, col, PanelWidth); Store512(in g, act, c3_1, r + 3, col + PanelWidth, width);
        Store512(in g, act, c4_0, r + 4, col, PanelWidth); Store512(in g, act, c4_1, r + 4, col + PanelWidth, width);
        Store512(in g, act, c5_0, r + 5, col, PanelWidth); Store512(in g, act, c5_1, r + 5, col + PanelWidth, width);
        Store512(in g, act, c6_0, r + 6, col, PanelWidth); Store512(in g, act, c6_1, r + 6, col + PanelWidth, width);
        Store512(in g, act, c7_0, r + 7, col, PanelWidth); Store512(in g, act, c7_1, r + 7, col + PanelWidth, width);
        Store512(in g, act, c8_0, r + 8, col, PanelWidth); Store512(in g, act, c8_1, r + 8, col + PanelWidth, width);
        Store512(in g, act, c9_0, r + 9, col, PanelWidth); Store512(in g, act, c9_1, r + 9, col + PanelWidth, width);
        Store512(in g, act, c10_0, r + 10, col, PanelWidth); Store512(in g, act, c10_1, r + 10, col + PanelWidth, width);
        Store512(in g, act, c11_0, r + 11, col, PanelWidth); Store512(in g, act, c11_1, r + 11, col + PanelWidth, width);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x1<TAct>(in GemmCall g, TAct act, int p, int r, int rEnd)
        where TAct : struct, IActivationOperator
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

        int col = p * PanelWidth, width = Math.Min(PanelWidth, g.Cols - col);
        if (act is IColumnEpilogue)
        {
            Park512(g.Scratch, 0, c0, default); Park512(g.Scratch, 1, c1, default); Park512(g.Scratch, 2, c2, default);
            Park512(g.Scratch, 3, c3, default); Park512(g.Scratch, 4, c4, default); Park512(g.Scratch, 5, c5, default);
            FinishColumns512(in g, act, g.Scratch, r, Math.Min(TileRows, rEnd - r), col, width, 0);
            return;
        }

        Store512(in g, act, c0, r, col, width);
        if (r + 1 < rEnd) { Store512(in g, act, c1, r + 1, col, width); }
        if (r + 2 < rEnd) { Store512(in g, act, c2, r + 2, col, width); }
        if (r + 3 < rEnd) { Store512(in g, act, c3, r + 3, col, width); }
        if (r + 4 < rEnd) { Store512(in g, act, c4, r + 4, col, width); }
        if (r + 5 < rEnd) { Store512(in g, act, c5, r + 5, col, width); }
    }

    // 12 rows × 16 columns (the last, odd panel; a layer of up to 16 outputs): 12 accumulators, so the FMAs do not wait
    // on each other's latency as the 6 of Tile512x1 do (measured 6.2 -> 4.8 µs for 64 × 256 -> 10). All 12 rows exist.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x1x12<TAct>(in GemmCall g, TAct act, int p, int r)
        where TAct : struct, IActivationOperator
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

        int col = p * PanelWidth, width = Math.Min(PanelWidth, g.Cols - col);
        if (act is IColumnEpilogue)
        {
            Park512(g.Scratch, 0, c0, default); Park512(g.Scratch, 1, c1, default); Park512(g.Scratch, 2, c2, default); Park512(g.Scratch, 3, c3, default);
            Park512(g.Scratch, 4, c4, default); Park512(g.Scratch, 5, c5, default); Park512(g.Scratch, 6, c6, default); Park512(g.Scratch, 7, c7, default);
            Park512(g.Scratch, 8, c8, default); Park512(g.Scratch, 9, c9, default); Park512(g.Scratch, 10, c10, default); Park512(g.Scratch, 11, c11, default);
            FinishColumns512(in g, act, g.Scratch, r, 2 * TileRows, col, width, 0);
            return;
        }

        Store512(in g, act, c0, r, col, width); Store512(in g, act, c1, r + 1, col, width); Store512(in g, act, c2, r + 2, col, width);
        Store512(in g, act, c3, r + 3, col, width); Store512(in g, act, c4, r + 4, col, width); Store512(in g, act, c5, r + 5, col, width);
        Store512(in g, act, c6, r + 6, col, width); Store512(in g, act, c7, r + 7, col, width); Store512(in g, act, c8, r + 8, col, width);
        Store512(in g, act, c9, r + 9, col, width); Store512(in g, act, c10, r + 10, col, width); Store512(in g, act, c11, r + 11, col, width);
    }

    // Row i of a tile's raw accumulators in the column instantiation's scratch (32 floats a row: both panels).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Park512(float* scratch, int i, Vector512<float> v0, Vector512<float> v1)
    {
        Vector512.Store(v0, scratch + (i * 2 * PanelWidth));
        Vector512.Store(v1, scratch + (i * 2 * PanelWidth) + PanelWidth);
    }

    // The column instantiation's epilogue, out of line: the tile parks its accumulators and calls this once, with none of
    // them live across the call. Calling the column operator from the tile itself (or Store512 not inlined there) made the
    // JIT spill all 24 accumulators on every depth step.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void FinishColumns512<TAct>(in GemmCall g, TAct act, float* scratch, int r, int rows, int col, int width0, int width1)
        where TAct : struct, IActivationOperator
    {
        for (int i = 0; i < rows; i++, scratch += 2 * PanelWidth)
        {
            Store512(in g, act, Vector512.Load(scratch), r + i, col, width0);
            Store512(in g, act, Vector512.Load(scratch + PanelWidth), r + i, col + PanelWidth, width1);
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
}
