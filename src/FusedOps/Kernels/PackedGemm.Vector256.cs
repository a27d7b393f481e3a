using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// The Vector256 kernel (tiles of 6 rows × 16 columns) and the Vector128 kernel (3 rows × 16 columns); 12 accumulators each,
/// parked in the call's scratch for <c>FinishColumns256</c>'s epilogue (see <c>RunRange</c>).
/// </summary>
public static partial class PackedGemm
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Range256<TAct>(in GemmCall g, TAct act, int p0, int p1, int r0, int r1)
        where TAct : struct, IActivationOperator
    {
        // A row-major A (inference, the training forward) takes the unrolled tiles with the next panel's prefetch (PackedGemm.Unit256.cs).
        if (g.AColStride == 1)
        {
            Range256Unit(in g, act, p0, p1, r0, r1);
            return;
        }

        for (int p = p0; p < p1; p++)
        {
            int col = p * PanelWidth, width = Math.Min(PanelWidth, g.Cols - col);
            for (int r = r0; r < r1; r += TileRows)
            {
                Tile256(in g, p, r, r1);
                FinishColumns256(in g, act, g.Scratch, r, Math.Min(TileRows, r1 - r), col, width);
            }
        }
    }

    // The 6 × 16 tile at row r, or, with 4 or fewer rows left before rEnd, a 4 × 16 one: 64 rows take 10 tiles of 6 and one of 4,
    // not 11 of 6 with 2 rows computed twice (3 % of the product). Only the rows computed differ: each sum is the same.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile256(in GemmCall g, int p, int r, int rEnd)
    {
        if (rEnd - r <= 4)
        {
            Tile256<FourRows>(in g, p, r, rEnd);
        }
        else
        {
            Tile256<SixRows>(in g, p, r, rEnd);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile256<TRows>(in GemmCall g, int p, int r, int rEnd)
        where TRows : struct, ITileRows
    {
        TileRows6(in g, r, rEnd, out float* a0, out float* a1, out float* a2, out float* a3, out float* a4, out float* a5);
        nint cs = g.AColStride;
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint off = 0;
        for (int t = 0; t < g.Depth; t++, off += cs, b += PanelWidth)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
            Vector256<float> x = Vector256.Create(a0[off]);
            c00 = Simd.Fma(x, b0, c00); c01 = Simd.Fma(x, b1, c01);
            x = Vector256.Create(a1[off]);
            c10 = Simd.Fma(x, b0, c10); c11 = Simd.Fma(x, b1, c11);
            x = Vector256.Create(a2[off]);
            c20 = Simd.Fma(x, b0, c20); c21 = Simd.Fma(x, b1, c21);
            x = Vector256.Create(a3[off]);
            c30 = Simd.Fma(x, b0, c30); c31 = Simd.Fma(x, b1, c31);
            if (default(TRows).Count > 4)
            {
                x = Vector256.Create(a4[off]);
                c40 = Simd.Fma(x, b0, c40); c41 = Simd.Fma(x, b1, c41);
                x = Vector256.Create(a5[off]);
                c50 = Simd.Fma(x, b0, c50); c51 = Simd.Fma(x, b1, c51);
            }
        }

        Park256(g.Scratch, 0, c00, c01); Park256(g.Scratch, 1, c10, c11); Park256(g.Scratch, 2, c20, c21); Park256(g.Scratch, 3, c30, c31);
        if (default(TRows).Count > 4)
        {
            Park256(g.Scratch, 4, c40, c41); Park256(g.Scratch, 5, c50, c51);
        }
    }

    /// <summary>Rows of a 256-bit tile: a constant of each instantiation, so the unused rows fold away.</summary>
    private interface ITileRows
    {
        int Count { get; }
    }

    private readonly struct SixRows : ITileRows
    {
        public int Count => TileRows;
    }

    private readonly struct FourRows : ITileRows
    {
        public int Count => 4;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Range128<TAct>(in GemmCall g, TAct act, int p0, int p1, int r0, int r1)
        where TAct : struct, IActivationOperator
    {
        for (int p = p0; p < p1; p++)
        {
            int col = p * PanelWidth, width = Math.Min(PanelWidth, g.Cols - col);
            for (int r = r0; r < r1; r += 3)
            {
                Tile128(in g, p, r, r1);
                FinishColumns256(in g, act, g.Scratch, r, Math.Min(3, r1 - r), col, width);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile128(in GemmCall g, int p, int r, int rEnd)
    {
        int last = rEnd - 1;
        nint rs = g.ARowStride, cs = g.AColStride;
        float* a0 = g.A + (r * rs), a1 = g.A + (Math.Min(r + 1, last) * rs), a2 = g.A + (Math.Min(r + 2, last) * rs);
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        Vector128<float> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default;
        Vector128<float> c12 = default, c13 = default, c20 = default, c21 = default, c22 = default, c23 = default;
        nint off = 0;
        for (int t = 0; t < g.Depth; t++, off += cs, b += PanelWidth)
        {
            Vector128<float> b0 = Vector128.Load(b), b1 = Vector128.Load(b + 4), b2 = Vector128.Load(b + 8), b3 = Vector128.Load(b + 12);
            Vector128<float> x = Vector128.Create(a0[off]);
            c00 = Fma128(x, b0, c00); c01 = Fma128(x, b1, c01); c02 = Fma128(x, b2, c02); c03 = Fma128(x, b3, c03);
            x = Vector128.Create(a1[off]);
            c10 = Fma128(x, b0, c10); c11 = Fma128(x, b1, c11); c12 = Fma128(x, b2, c12); c13 = Fma128(x, b3, c13);
            x = Vector128.Create(a2[off]);
            c20 = Fma128(x, b0, c20); c21 = Fma128(x, b1, c21); c22 = Fma128(x, b2, c22); c23 = Fma128(x, b3, c23);
        }

        // As four Vector128 stores each: no Vector256 instruction on a machine that may lack it.
        Park128(g.Scratch, 0, c00, c01, c02, c03); Park128(g.Scratch, 1, c10, c11, c12, c13); Park128(g.Scratch, 2, c20, c21, c22, c23);
    }

    /// <summary>a·b + c on four lanes, fused where the hardware has it (FMA on x64, AdvSimd on ARM64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Fma128(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c)
        : AdvSimd.IsSupported ? AdvSimd.FusedMultiplyAdd(c, a, b)
        : (a * b) + c;

    // Row i of a tile's raw accumulators in the call's scratch (16 floats a row).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Park256(float* scratch, int i, Vector256<float> lo, Vector256<float> hi)
    {
        Vector256.Store(lo, scratch + (i * PanelWidth));
        Vector256.Store(hi, scratch + (i * PanelWidth) + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Park128(float* scratch, int i, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3)
    {
        float* row = scratch + (i * PanelWidth);
        Vector128.Store(v0, row);
        Vector128.Store(v1, row + 4);
        Vector128.Store(v2, row + 8);
        Vector128.Store(v3, row + 12);
    }

    // As FinishColumns512: the epilogue on a parked tile, out of line, so no accumulator is live across a call.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FinishColumns256<TAct>(in GemmCall g, TAct act, float* scratch, int r, int rows, int col, int width)
        where TAct : struct, IActivationOperator
    {
        for (int i = 0; i < rows; i++, scratch += PanelWidth)
        {
            Store256(in g, act, Vector256.Load(scratch), Vector256.Load(scratch + 8), r + i, col, width);
        }
    }

    // The epilogue on one row's 16 columns held as two halves; only `count` columns exist in C.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Store256<TAct>(in GemmCall g, TAct act, Vector256<float> lo, Vector256<float> hi, int row, int col, int count)
        where TAct : struct, IActivationOperator
    {
        if (count < PanelWidth)
        {
            StorePartial256(in g, act, lo, hi, row, col, count);
            return;
        }

        float* c = g.C + ((nint)row * g.Ldc) + col;

        if (g.Scale != null)
        {
            lo *= Vector256.Load(g.Scale + col);
            hi *= Vector256.Load(g.Scale + col + 8);
        }

        if (g.Shift != null)
        {
            lo += Vector256.Load(g.Shift + col);
            hi += Vector256.Load(g.Shift + col + 8);
        }

        if (g.Accumulate)
        {
            lo += Vector256.Load(c);
            hi += Vector256.Load(c + 8);
        }

        if (act is IColumnEpilogue && g.Activated != null)
        {
            // Training: z (u = z + residual with a residual add) stays in C for the derivative; the activated value goes to the
            // same place in Activated.
            if (g.Residual != null)
            {
                lo += Vector256.Load(g.Residual + (c - g.C));
                hi += Vector256.Load(g.Residual + (c - g.C) + 8);
            }

            Vector256.Store(lo, c);
            Vector256.Store(hi, c + 8);
            c = g.Activated + (c - g.C);
        }

        if (KernelDispatch.RuntimeBits < 256)
        {
            // Out of line with the rest of the row: Invoke128 returns through memory, and with its calls here the JIT kept lo and
            // hi in stack slots through the whole epilogue (a store and a reload around every operation of every row).
            Finish128(in g, act, lo, hi, row, col, c);
            return;
        }

        lo = act.Invoke(lo);
        hi = act.Invoke(hi);
        StoreActivated256(in g, act, lo, hi, row, col, c);
    }

    // The activated row to C, through the column operator if there is one.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreActivated256<TAct>(in GemmCall g, TAct act, Vector256<float> lo, Vector256<float> hi, int row, int col, float* c)
        where TAct : struct, IActivationOperator
    {
        if (act is IColumnEpilogue && g.Column != ColumnOperator.None)
        {
            StoreColumns256(in g, lo, hi, row, col, c);
            return;
        }

        Vector256.Store(lo, c);
        Vector256.Store(hi, c + 8);
    }

    // Store256's end at 128 bits: the activation on Vector128, as the caller asked, then the same stores.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void Finish128<TAct>(in GemmCall g, TAct act, Vector256<float> lo, Vector256<float> hi, int row, int col, float* c)
        where TAct : struct, IActivationOperator
    {
        lo = Invoke128(act, lo);
        hi = Invoke128(act, hi);
        StoreActivated256(in g, act, lo, hi, row, col, c);
    }

    // Store256's two cold paths, out of line: with a scalar GELU (the partial panel's) and four Vector128 ones (the 128-bit
    // path's) inlined beside the Vector256 GELU, FinishColumns256 ran out of the JIT's inlining budget and called NormalCdf and
    // ExpReduce on the hot path, spilling every live vector around the calls.
    // The epilogue on a partial panel's row: only `count` < 16 columns exist in C.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void StorePartial256<TAct>(in GemmCall g, TAct act, Vector256<float> lo, Vector256<float> hi, int row, int col, int count)
        where TAct : struct, IActivationOperator
    {
        if (act is IColumnEpilogue && g.Column == ColumnOperator.MaxoutRuns)
        {
            FinishRunsPartial(in g, act, lo, hi, count, row, col);
            return;
        }

        if (act is IColumnEpilogue && g.Activated != null)
        {
            KeepPartial(in g, act, lo, hi, count, row, col);
            return;
        }

        float* c = g.C + ((nint)row * g.Ldc) + col;
        for (int j = 0; j < count; j++)
        {
            g.Put(act, j < 8 ? lo.GetElement(j) : hi.GetElement(j - 8), c + j, col + j);
        }
    }

    // At 128 bits the activation runs on Vector128, as the caller asked.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector256<float> Invoke128<TAct>(TAct act, Vector256<float> v)
        where TAct : struct, IActivationOperator =>
        Vector256.Create(act.Invoke(v.GetLower()), act.Invoke(v.GetUpper()));
}
