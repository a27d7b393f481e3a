using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>Kernels of <see cref="AxpyRows"/>.</content>
public static partial class Gemm
{
    private static void AxpyRows512(ref float a, nint rs, nint cs, ref float b, nint ldb, int rows, int depth, int length, ref float c, nint ldc, bool accumulate)
    {
        for (int r = 0; r < rows; r += 4)
        {
            // Rows at or past n re-read row 0 (in bounds); the kernels do not store them.
            int n = Math.Min(4, rows - r);
            nint o1 = n > 1 ? rs : 0, o2 = n > 2 ? rs * 2 : 0, o3 = n > 3 ? rs * 3 : 0;
            ref float ar = ref Unsafe.Add(ref a, r * rs);
            ref float cr = ref Unsafe.Add(ref c, r * ldc);
            int i = 0;
            for (; i + 64 <= length; i += 64)
            {
                AxpyRows512x4x64(ref ar, o1, o2, o3, cs, depth, ref Unsafe.Add(ref b, i), ldb, n, ref Unsafe.Add(ref cr, i), ldc, accumulate);
            }

            for (; i + 16 <= length; i += 16)
            {
                AxpyRows512x4x16(ref ar, o1, o2, o3, cs, depth, ref Unsafe.Add(ref b, i), ldb, n, ref Unsafe.Add(ref cr, i), ldc, accumulate);
            }

            if (i < length)
            {
                AxpyRowsScalar(ref ar, rs, cs, n, depth, ref Unsafe.Add(ref b, i), ldb, length - i, ref Unsafe.Add(ref cr, i), ldc, accumulate);
            }
        }
    }

    /// <summary>
    /// Up to 4 rows × 64 columns in 16 zmm accumulators held across the whole depth: per step, 4 B loads
    /// are shared by the 4 rows and 4 broadcasts feed 16 FMAs.
    /// </summary>
    private static void AxpyRows512x4x64(ref float a, nint o1, nint o2, nint o3, nint cs, int depth, ref float b, nint ldb, int n, ref float c, nint ldc, bool accumulate)
    {
        Vector512<float> r0a = default, r0b = default, r0c = default, r0d = default;
        Vector512<float> r1a = default, r1b = default, r1c = default, r1d = default;
        Vector512<float> r2a = default, r2b = default, r2c = default, r2d = default;
        Vector512<float> r3a = default, r3b = default, r3c = default, r3d = default;
        ref float at = ref a;
        ref float bt = ref b;
        for (int t = 0; t < depth; t++)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref bt);
            Vector512<float> b1 = Vector512.LoadUnsafe(ref bt, 16);
            Vector512<float> b2 = Vector512.LoadUnsafe(ref bt, 32);
            Vector512<float> b3 = Vector512.LoadUnsafe(ref bt, 48);
            Vector512<float> x = Vector512.Create(at);
            r0a = Simd.Fma(x, b0, r0a);
            r0b = Simd.Fma(x, b1, r0b);
            r0c = Simd.Fma(x, b2, r0c);
            r0d = Simd.Fma(x, b3, r0d);
            x = Vector512.Create(Unsafe.Add(ref at, o1));
            r1a = Simd.Fma(x, b0, r1a);
            r1b = Simd.Fma(x, b1, r1b);
            r1c = Simd.Fma(x, b2, r1c);
            r1d = Simd.Fma(x, b3, r1d);
            x = Vector512.Create(Unsafe.Add(ref at, o2));
            r2a = Simd.Fma(x, b0, r2a);
            r2b = Simd.Fma(x, b1, r2b);
            r2c = Simd.Fma(x, b2, r2c);
            r2d = Simd.Fma(x, b3, r2d);
            x = Vector512.Create(Unsafe.Add(ref at, o3));
            r3a = Simd.Fma(x, b0, r3a);
            r3b = Simd.Fma(x, b1, r3b);
            r3c = Simd.Fma(x, b2, r3c);
            r3d = Simd.Fma(x, b3, r3d);

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

        if (n > 3)
        {
            StoreRow(ref Unsafe.Add(ref c, 3 * ldc), r3a, r3b, r3c, r3d, accumulate);
        }
    }

    /// <summary>Up to 4 rows × 16 columns: the single-vector tail of <see cref="AxpyRows512x4x64"/>.</summary>
    private static void AxpyRows512x4x16(ref float a, nint o1, nint o2, nint o3, nint cs, int depth, ref float b, nint ldb, int n, ref float c, nint ldc, bool accumulate)
    {
        Vector512<float> r0a = default;
        Vector512<float> r1a = default;
        Vector512<float> r2a = default;
        Vector512<float> r3a = default;
        ref float at = ref a;
        ref float bt = ref b;
        for (int t = 0; t < depth; t++)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref bt);
            Vector512<float> x = Vector512.Create(at);
            r0a = Simd.Fma(x, b0, r0a);
            x = Vector512.Create(Unsafe.Add(ref at, o1));
            r1a = Simd.Fma(x, b0, r1a);
            x = Vector512.Create(Unsafe.Add(ref at, o2));
            r2a = Simd.Fma(x, b0, r2a);
            x = Vector512.Create(Unsafe.Add(ref at, o3));
            r3a = Simd.Fma(x, b0, r3a);

            at = ref Unsafe.Add(ref at, cs);
            bt = ref Unsafe.Add(ref bt, ldb);
        }

        Store(ref c, r0a, accumulate);
        if (n > 1)
        {
            Store(ref Unsafe.Add(ref c, ldc), r1a, accumulate);
        }

        if (n > 2)
        {
            Store(ref Unsafe.Add(ref c, 2 * ldc), r2a, accumulate);
        }

        if (n > 3)
        {
            Store(ref Unsafe.Add(ref c, 3 * ldc), r3a, accumulate);
        }
    }

    private static void AxpyRows256(ref float a, nint rs, nint cs, ref float b, nint ldb, int rows, int depth, int length, ref float c, nint ldc, bool accumulate)
    {
        for (int r = 0; r < rows; r += 3)
        {
            // Rows at or past n re-read row 0 (in bounds); the kernels do not store them.
            int n = Math.Min(3, rows - r);
            nint o1 = n > 1 ? rs : 0, o2 = n > 2 ? rs * 2 : 0;
            ref float ar = ref Unsafe.Add(ref a, r * rs);
            ref float cr = ref Unsafe.Add(ref c, r * ldc);
            int i = 0;
            for (; i + 32 <= length; i += 32)
            {
                AxpyRows256x3x32(ref ar, o1, o2, cs, depth, ref Unsafe.Add(ref b, i), ldb, n, ref Unsafe.Add(ref cr, i), ldc, accumulate);
            }

            for (; i + 8 <= length; i += 8)
            {
                AxpyRows256x3x8(ref ar, o1, o2, cs, depth, ref Unsafe.Add(ref b, i), ldb, n, ref Unsafe.Add(ref cr, i), ldc, accumulate);
            }

            if (i < length)
            {
                AxpyRowsScalar(ref ar, rs, cs, n, depth, ref Unsafe.Add(ref b, i), ldb, length - i, ref Unsafe.Add(ref cr, i), ldc, accumulate);
            }
        }
    }

    /// <summary>
    /// Up to 3 rows × 32 columns in 12 ymm accumulators, which with the four B vectors fits the 16 ymm
    /// registers of AVX2.
    /// </summary>
    private static void AxpyRows256x3x32(ref float a, nint o1, nint o2, nint cs, int depth, ref float b, nint ldb, int n, ref float c, nint ldc, bool accumulate)
    {
        Vector256<float> r0a = default, r0b = default, r0c = default, r0d = default;
        Vector256<float> r1a = default, r1b = default, r1c = default, r1d = default;
        Vector256<float> r2a = default, r2b = default, r2c = default, r2d = default;
        ref float at = ref a;
        ref float bt = ref b;
        for (int t = 0; t < depth; t++)
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref bt);
            Vector256<float> b1 = Vector256.LoadUnsafe(ref bt, 8);
            Vector256<float> b2 = Vector256.LoadUnsafe(ref bt, 16);
            Vector256<float> b3 = Vector256.LoadUnsafe(ref bt, 24);
            Vector256<float> x = Vector256.Create(at);
            r0a = Simd.Fma(x, b0, r0a);
            r0b = Simd.Fma(x, b1, r0b);
            r0c = Simd.Fma(x, b2, r0c);
            r0d = Simd.Fma(x, b3, r0d);
            x = Vector256.Create(Unsafe.Add(ref at, o1));
            r1a = Simd.Fma(x, b0, r1a);
            r1b = Simd.Fma(x, b1, r1b);
            r1c = Simd.Fma(x, b2, r1c);
            r1d = Simd.Fma(x, b3, r1d);
            x = Vector256.Create(Unsafe.Add(ref at, o2));
            r2a = Simd.Fma(x, b0, r2a);
            r2b = Simd.Fma(x, b1, r2b);
            r2c = Simd.Fma(x, b2, r2c);
            r2d = Simd.Fma(x, b3, r2d);

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

    /// <summary>Up to 3 rows × 8 columns: the single-vector tail of <see cref="AxpyRows256x3x32"/>.</summary>
    private static void AxpyRows256x3x8(ref float a, nint o1, nint o2, nint cs, int depth, ref float b, nint ldb, int n, ref float c, nint ldc, bool accumulate)
    {
        Vector256<float> r0a = default;
        Vector256<float> r1a = default;
        Vector256<float> r2a = default;
        ref float at = ref a;
        ref float bt = ref b;
        for (int t = 0; t < depth; t++)
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref bt);
            Vector256<float> x = Vector256.Create(at);
            r0a = Simd.Fma(x, b0, r0a);
            x = Vector256.Create(Unsafe.Add(ref at, o1));
            r1a = Simd.Fma(x, b0, r1a);
            x = Vector256.Create(Unsafe.Add(ref at, o2));
            r2a = Simd.Fma(x, b0, r2a);

            at = ref Unsafe.Add(ref at, cs);
            bt = ref Unsafe.Add(ref bt, ldb);
        }

        Store(ref c, r0a, accumulate);
        if (n > 1)
        {
            Store(ref Unsafe.Add(ref c, ldc), r1a, accumulate);
        }

        if (n > 2)
        {
            Store(ref Unsafe.Add(ref c, 2 * ldc), r2a, accumulate);
        }
    }

    /// <summary>Stores (or adds) four vectors: one 64-wide row of a tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref float c, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, bool accumulate)
    {
        StoreRow(ref c, v0, v1, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 32), v2, v3, accumulate);
    }
}
