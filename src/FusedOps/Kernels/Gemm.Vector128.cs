using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// The 128-bit kernels (SSE, AdvSimd; <see cref="KernelDispatch.RuntimeBits"/> 128) of <see cref="AxpyRows"/>,
/// <see cref="PanelGemm"/> and <see cref="ColumnSums"/>. Each element takes the 256-bit path's operations in its order (AxpyRows:
/// the same depth blocks, one FMA a step from zero, then stored or added to C; the same columns go to the scalar tail; ColumnSums:
/// even and odd rows in two double sums, added to C's value as (even + odd)), so the results are the 256-bit path's bits. The tile
/// is 3 rows × 16 columns: 12 accumulators, 3 broadcasts and one B vector fill x64's 16 xmm registers.
/// </content>
public static partial class Gemm
{
    /// <summary><see cref="AxpyRowsVector"/> at 128 bits: tiles of 3 × 16, then 3 × 4, up to the 256-bit path's scalar tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyRows128(ref float a, nint rs, nint cs, ref float b, nint ldb, int rows, int depth, int length, ref float c, nint ldc, bool accumulate)
    {
        if (depth == 0)
        {
            AxpyRowsScalar(ref a, rs, cs, rows, 0, ref b, ldb, length, ref c, ldc, accumulate);
            return;
        }

        const int TileRows = 3, TileCols = 16;

        // The columns the 256-bit path runs in vectors (whole 8s); the rest take its scalar tail.
        int vectors = length & ~7;
        bool pack = rows > 2 * TileRows;
        float[] scratch = t_axpyScratch ??= new float[AxpyDepthBlock * 64];
        ref float packed = ref MemoryMarshal.GetArrayDataReference(scratch);
        for (int t0 = 0; t0 < depth; t0 += AxpyDepthBlock)
        {
            int kd = Math.Min(AxpyDepthBlock, depth - t0);
            bool add = accumulate || t0 > 0;
            ref float at = ref Unsafe.Add(ref a, t0 * cs);
            ref float bt = ref Unsafe.Add(ref b, t0 * ldb);
            int i = 0;
            for (; i + TileCols <= vectors; i += TileCols)
            {
                ref float block = ref Unsafe.Add(ref bt, i);
                nint blockStride = ldb;
                if (pack)
                {
                    // Contiguous, as AxpyRowsVector packs (strides of 4 KB map a block onto a few L1 sets).
                    for (int t = 0; t < kd; t++)
                    {
                        ref float from = ref Unsafe.Add(ref block, t * ldb);
                        ref float to = ref Unsafe.Add(ref packed, t * TileCols);
                        Vector128.LoadUnsafe(ref from).StoreUnsafe(ref to);
                        Vector128.LoadUnsafe(ref from, 4).StoreUnsafe(ref to, 4);
                        Vector128.LoadUnsafe(ref from, 8).StoreUnsafe(ref to, 8);
                        Vector128.LoadUnsafe(ref from, 12).StoreUnsafe(ref to, 12);
                    }

                    block = ref packed;
                    blockStride = TileCols;
                }

                for (int r = 0; r < rows; r += TileRows)
                {
                    AxpyRows128x3x16(ref Unsafe.Add(ref at, r * rs), rs, cs, Math.Min(TileRows, rows - r), kd, ref block, blockStride,
                        ref Unsafe.Add(ref c, (r * ldc) + i), ldc, add);
                }
            }

            for (; i < vectors; i += 4)
            {
                for (int r = 0; r < rows; r += TileRows)
                {
                    AxpyRows128x3x4(ref Unsafe.Add(ref at, r * rs), rs, cs, Math.Min(TileRows, rows - r), kd, ref Unsafe.Add(ref bt, i), ldb,
                        ref Unsafe.Add(ref c, (r * ldc) + i), ldc, add);
                }
            }

            if (i < length)
            {
                AxpyRowsScalar(ref at, rs, cs, rows, kd, ref Unsafe.Add(ref bt, i), ldb, length - i, ref Unsafe.Add(ref c, i), ldc, add);
            }
        }
    }

    /// <summary><see cref="PanelGemm256"/> at 128 bits: each 3-row tile runs the panel's two halves of 16 columns over the whole depth.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelGemm128(ref float a, nint rs, nint cs, int rows, int depth, ref float panel, ref float c, nint ldc, bool accumulate)
    {
        for (int r = 0; r < rows; r += 3)
        {
            for (int h = 0; h < PanelWidth; h += 16)
            {
                AxpyRows128x3x16(ref Unsafe.Add(ref a, r * rs), rs, cs, Math.Min(3, rows - r), depth, ref Unsafe.Add(ref panel, h), PanelWidth,
                    ref Unsafe.Add(ref c, (r * ldc) + h), ldc, accumulate);
            }
        }
    }

    /// <summary>
    /// Up to 3 rows (<paramref name="n"/>) × 16 columns in 12 Vector128 accumulators held across the depth; rows at or past n re-read
    /// row 0 (in bounds) and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyRows128x3x16(ref float a, nint rs, nint cs, int n, int depth, ref float b, nint ldb, ref float c, nint ldc, bool accumulate)
    {
        Vector128<float> r0a = default, r0b = default, r0c = default, r0d = default;
        Vector128<float> r1a = default, r1b = default, r1c = default, r1d = default;
        Vector128<float> r2a = default, r2b = default, r2c = default, r2d = default;
        nint o1 = n > 1 ? rs : 0, o2 = n > 2 ? rs * 2 : 0;
        ref float at = ref a;
        ref float bt = ref b;
        for (int t = 0; t < depth; t++)
        {
            Vector128<float> x0 = Vector128.Create(at);
            Vector128<float> x1 = Vector128.Create(Unsafe.Add(ref at, o1));
            Vector128<float> x2 = Vector128.Create(Unsafe.Add(ref at, o2));
            Vector128<float> v = Vector128.LoadUnsafe(ref bt);
            r0a = Simd.Fma(x0, v, r0a);
            r1a = Simd.Fma(x1, v, r1a);
            r2a = Simd.Fma(x2, v, r2a);
            v = Vector128.LoadUnsafe(ref bt, 4);
            r0b = Simd.Fma(x0, v, r0b);
            r1b = Simd.Fma(x1, v, r1b);
            r2b = Simd.Fma(x2, v, r2b);
            v = Vector128.LoadUnsafe(ref bt, 8);
            r0c = Simd.Fma(x0, v, r0c);
            r1c = Simd.Fma(x1, v, r1c);
            r2c = Simd.Fma(x2, v, r2c);
            v = Vector128.LoadUnsafe(ref bt, 12);
            r0d = Simd.Fma(x0, v, r0d);
            r1d = Simd.Fma(x1, v, r1d);
            r2d = Simd.Fma(x2, v, r2d);

            at = ref Unsafe.Add(ref at, cs);
            bt = ref Unsafe.Add(ref bt, ldb);
        }

        StoreRow(ref c, r0a, r0b, r0c, r0d, accumulate);
        if (n > 1)
        {
            StoreRow(ref Unsafe.Add(ref c, ldc), r1a, r1b, r1c, r1d, accumulate);
        }

        if (n > 2)
        {
            StoreRow(ref Unsafe.Add(ref c, 2 * ldc), r2a, r2b, r2c, r2d, accumulate);
        }
    }

    /// <summary>Up to 3 rows × 4 columns: the single-vector tail of <see cref="AxpyRows128x3x16"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyRows128x3x4(ref float a, nint rs, nint cs, int n, int depth, ref float b, nint ldb, ref float c, nint ldc, bool accumulate)
    {
        Vector128<float> r0 = default, r1 = default, r2 = default;
        nint o1 = n > 1 ? rs : 0, o2 = n > 2 ? rs * 2 : 0;
        ref float at = ref a;
        ref float bt = ref b;
        for (int t = 0; t < depth; t++)
        {
            Vector128<float> v = Vector128.LoadUnsafe(ref bt);
            r0 = Simd.Fma(Vector128.Create(at), v, r0);
            r1 = Simd.Fma(Vector128.Create(Unsafe.Add(ref at, o1)), v, r1);
            r2 = Simd.Fma(Vector128.Create(Unsafe.Add(ref at, o2)), v, r2);
            at = ref Unsafe.Add(ref at, cs);
            bt = ref Unsafe.Add(ref bt, ldb);
        }

        Store(ref c, r0, accumulate);
        if (n > 1)
        {
            Store(ref Unsafe.Add(ref c, ldc), r1, accumulate);
        }

        if (n > 2)
        {
            Store(ref Unsafe.Add(ref c, 2 * ldc), r2, accumulate);
        }
    }

    /// <summary>
    /// <see cref="ColumnSums256"/> at 128 bits: 4 columns at a time over the 256-bit path's vector columns (whole 8s), even and odd
    /// rows into their own double sums; the tail is scalar.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnSums128(ref float source, int rows, int cols, ref float destination)
    {
        int q = 0;
        for (; q + 4 <= (cols & ~7); q += 4)
        {
            Vector128<double> d0 = default, d1 = default, d2 = default, d3 = default;
            ref float column = ref Unsafe.Add(ref source, q);
            int r = 0;
            for (; r + 2 <= rows; r += 2)
            {
                ref float at = ref Unsafe.Add(ref column, (nint)r * cols);
                (Vector128<double> lo, Vector128<double> hi) = Vector128.Widen(Vector128.LoadUnsafe(ref at));
                d0 += lo;
                d1 += hi;
                (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref Unsafe.Add(ref at, cols)));
                d2 += lo;
                d3 += hi;
            }

            if (r < rows)
            {
                (Vector128<double> lo, Vector128<double> hi) = Vector128.Widen(Vector128.LoadUnsafe(ref Unsafe.Add(ref column, (nint)r * cols)));
                d0 += lo;
                d1 += hi;
            }

            ref float to = ref Unsafe.Add(ref destination, q);
            (Vector128<double> t0, Vector128<double> t1) = Vector128.Widen(Vector128.LoadUnsafe(ref to));
            Vector128.Narrow(t0 + (d0 + d2), t1 + (d1 + d3)).StoreUnsafe(ref to);
        }

        ColumnSumsScalar(ref source, q, rows, cols, ref destination);
    }

    /// <summary>Stores (or adds) four vectors: one 16-wide row of a tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref float c, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2, Vector128<float> v3, bool accumulate)
    {
        Store(ref c, v0, accumulate);
        Store(ref Unsafe.Add(ref c, 4), v1, accumulate);
        Store(ref Unsafe.Add(ref c, 8), v2, accumulate);
        Store(ref Unsafe.Add(ref c, 12), v3, accumulate);
    }

    /// <summary>Stores (or adds) one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float c, Vector128<float> v, bool accumulate)
    {
        if (accumulate)
        {
            v += Vector128.LoadUnsafe(ref c);
        }

        v.StoreUnsafe(ref c);
    }
}
