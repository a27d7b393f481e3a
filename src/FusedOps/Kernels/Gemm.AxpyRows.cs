using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>Kernels of <see cref="AxpyRows"/>.</content>
public static partial class Gemm
{
    /// <summary>Steps of t per pass: a packed 128 × 64 block of B is 32 KB and stays in L1 while every row tile uses it.</summary>
    private const int AxpyDepthBlock = 128;

    /// <summary>The packed block of B, per thread (32 KB).</summary>
    [ThreadStatic]
    private static float[]? t_axpyScratch;

    /// <summary>
    /// Blocks t by <see cref="AxpyDepthBlock"/> and i by the tile width, and runs every row tile over
    /// one (t, i) block of B before moving on, so B is read from memory once rather than once per row
    /// tile (B is a weight matrix, often megabytes). When several row tiles share a block it is first
    /// copied contiguous: row strides that are multiples of 4 KB, common for layer widths, would
    /// otherwise map the whole block onto a few L1 sets. Columns past the last whole tile width go
    /// through single vectors, then scalars.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyRowsVector(ref float a, nint rs, nint cs, ref float b, nint ldb, int rows, int depth, int length, ref float c, nint ldc, bool accumulate, bool wide)
    {
        if (depth == 0)
        {
            AxpyRowsScalar(ref a, rs, cs, rows, 0, ref b, ldb, length, ref c, ldc, accumulate);
            return;
        }

        int tileRows = wide ? 6 : 3;
        int tileCols = wide ? 64 : 32;
        int lanes = wide ? 16 : 8;
        bool pack = rows > 2 * tileRows;
        float[] scratch = t_axpyScratch ??= new float[AxpyDepthBlock * 64];
        ref float packed = ref MemoryMarshal.GetArrayDataReference(scratch);
        for (int t0 = 0; t0 < depth; t0 += AxpyDepthBlock)
        {
            int kd = Math.Min(AxpyDepthBlock, depth - t0);
            bool add = accumulate || t0 > 0;
            ref float at = ref Unsafe.Add(ref a, t0 * cs);
            ref float bt = ref Unsafe.Add(ref b, t0 * ldb);
            int i = 0;
            for (; i + tileCols <= length; i += tileCols)
            {
                ref float block = ref Unsafe.Add(ref bt, i);
                nint blockStride = ldb;
                if (pack)
                {
                    PackBlock(ref block, ldb, kd, tileCols, ref packed);
                    block = ref packed;
                    blockStride = tileCols;
                }

                for (int r = 0; r < rows; r += tileRows)
                {
                    int n = Math.Min(tileRows, rows - r);
                    ref float ar = ref Unsafe.Add(ref at, r * rs);
                    ref float cr = ref Unsafe.Add(ref c, (r * ldc) + i);
                    if (wide)
                    {
                        AxpyRows512x6x64(ref ar, rs, cs, n, kd, ref block, blockStride, ref cr, ldc, add);
                    }
                    else
                    {
                        AxpyRows256x3x32(ref ar, rs, cs, n, kd, ref block, blockStride, ref cr, ldc, add);
                    }
                }
            }

            for (; i + lanes <= length; i += lanes)
            {
                for (int r = 0; r < rows; r += tileRows)
                {
                    int n = Math.Min(tileRows, rows - r);
                    ref float ar = ref Unsafe.Add(ref at, r * rs);
                    ref float cr = ref Unsafe.Add(ref c, (r * ldc) + i);
                    if (wide)
                    {
                        AxpyRows512x6x16(ref ar, rs, cs, n, kd, ref Unsafe.Add(ref bt, i), ldb, ref cr, ldc, add);
                    }
                    else
                    {
                        AxpyRows256x3x8(ref ar, rs, cs, n, kd, ref Unsafe.Add(ref bt, i), ldb, ref cr, ldc, add);
                    }
                }
            }

            if (i < length)
            {
                AxpyRowsScalar(ref at, rs, cs, rows, kd, ref Unsafe.Add(ref bt, i), ldb, length - i, ref Unsafe.Add(ref c, i), ldc, add);
            }
        }
    }

    /// <summary>Copies <paramref name="count"/> rows of <paramref name="width"/> floats (a multiple of 8) to a contiguous block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBlock(ref float source, nint stride, int count, int width, ref float packed)
    {
        for (int t = 0; t < count; t++)
        {
            ref float from = ref Unsafe.Add(ref source, t * stride);
            ref float to = ref Unsafe.Add(ref packed, t * width);
            for (int j = 0; j < width; j += 8)
            {
                Vector256.LoadUnsafe(ref from, (nuint)j).StoreUnsafe(ref to, (nuint)j);
            }
        }
    }

    /// <summary>
    /// Up to 6 rows (<paramref name="n"/>) × 64 columns in 24 zmm accumulators held across the depth:
    /// per step, 4 B loads are shared by the 6 rows and 6 broadcasts feed 24 FMAs. Rows at or past n
    /// re-read row 0 (in bounds) and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyRows512x6x64(ref float a, nint rs, nint cs, int n, int depth, ref float b, nint ldb, ref float c, nint ldc, bool accumulate)
    {
        Vector512<float> r0a = default, r0b = default, r0c = default, r0d = default;
        Vector512<float> r1a = default, r1b = default, r1c = default, r1d = default;
        Vector512<float> r2a = default, r2b = default, r2c = default, r2d = default;
        Vector512<float> r3a = default, r3b = default, r3c = default, r3d = default;
        Vector512<float> r4a = default, r4b = default, r4c = default, r4d = default;
        Vector512<float> r5a = default, r5b = default, r5c = default, r5d = default;
        nint o1 = n > 1 ? rs : 0, o2 = n > 2 ? rs * 2 : 0, o3 = n > 3 ? rs * 3 : 0, o4 = n > 4 ? rs * 4 : 0, o5 = n > 5 ? rs * 5 : 0;
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
            x = Vector512.Create(Unsafe.Add(ref at, o4));
            r4a = Simd.Fma(x, b0, r4a);
            r4b = Simd.Fma(x, b1, r4b);
            r4c = Simd.Fma(x, b2, r4c);
            r4d = Simd.Fma(x, b3, r4d);
            x = Vector512.Create(Unsafe.Add(ref at, o5));
            r5a = Simd.Fma(x, b0, r5a);
            r5b = Simd.Fma(x, b1, r5b);
            r5c = Simd.Fma(x, b2, r5c);
            r5d = Simd.Fma(x, b3, r5d);

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

        if (n > 4)
        {
            StoreRow(ref Unsafe.Add(ref c, 4 * ldc), r4a, r4b, r4c, r4d, accumulate);
        }

        if (n > 5)
        {
            StoreRow(ref Unsafe.Add(ref c, 5 * ldc), r5a, r5b, r5c, r5d, accumulate);
        }
    }

    /// <summary>Up to 6 rows × 16 columns: the single-vector tail of <see cref="AxpyRows512x6x64"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyRows512x6x16(ref float a, nint rs, nint cs, int n, int depth, ref float b, nint ldb, ref float c, nint ldc, bool accumulate)
    {
        Vector512<float> r0a = default;
        Vector512<float> r1a = default;
        Vector512<float> r2a = default;
        Vector512<float> r3a = default;
        Vector512<float> r4a = default;
        Vector512<float> r5a = default;
        nint o1 = n > 1 ? rs : 0, o2 = n > 2 ? rs * 2 : 0, o3 = n > 3 ? rs * 3 : 0, o4 = n > 4 ? rs * 4 : 0, o5 = n > 5 ? rs * 5 : 0;
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
            x = Vector512.Create(Unsafe.Add(ref at, o4));
            r4a = Simd.Fma(x, b0, r4a);
            x = Vector512.Create(Unsafe.Add(ref at, o5));
            r5a = Simd.Fma(x, b0, r5a);

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

        if (n > 4)
        {
            Store(ref Unsafe.Add(ref c, 4 * ldc), r4a, accumulate);
        }

        if (n > 5)
        {
            Store(ref Unsafe.Add(ref c, 5 * ldc), r5a, accumulate);
        }
    }

    /// <summary>
    /// Up to 3 rows × 32 columns in 12 ymm accumulators, which with the three row broadcasts and one B vector
    /// fits the 16 ymm registers of AVX2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyRows256x3x32(ref float a, nint rs, nint cs, int n, int depth, ref float b, nint ldb, ref float c, nint ldc, bool accumulate)
    {
        Vector256<float> r0a = default, r0b = default, r0c = default, r0d = default;
        Vector256<float> r1a = default, r1b = default, r1c = default, r1d = default;
        Vector256<float> r2a = default, r2b = default, r2c = default, r2d = default;
        nint o1 = n > 1 ? rs : 0, o2 = n > 2 ? rs * 2 : 0;
        ref float at = ref a;
        ref float bt = ref b;
        for (int t = 0; t < depth; t++)
        {
            // The three broadcasts first, then each B vector used at once: 12 accumulators + 3 + 1 = the 16 ymm of AVX2
            // (four B vectors held across the rows would need 17 and spill an accumulator). Each sum gets the same FMAs in
            // the same order.
            Vector256<float> x0 = Vector256.Create(at);
            Vector256<float> x1 = Vector256.Create(Unsafe.Add(ref at, o1));
            Vector256<float> x2 = Vector256.Create(Unsafe.Add(ref at, o2));
            Vector256<float> v = Vector256.LoadUnsafe(ref bt);
            r0a = Simd.Fma(x0, v, r0a);
            r1a = Simd.Fma(x1, v, r1a);
            r2a = Simd.Fma(x2, v, r2a);
            v = Vector256.LoadUnsafe(ref bt, 8);
            r0b = Simd.Fma(x0, v, r0b);
            r1b = Simd.Fma(x1, v, r1b);
            r2b = Simd.Fma(x2, v, r2b);
            v = Vector256.LoadUnsafe(ref bt, 16);
            r0c = Simd.Fma(x0, v, r0c);
            r1c = Simd.Fma(x1, v, r1c);
            r2c = Simd.Fma(x2, v, r2c);
            v = Vector256.LoadUnsafe(ref bt, 24);
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

    /// <summary>Up to 3 rows × 8 columns: the single-vector tail of <see cref="AxpyRows256x3x32"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyRows256x3x8(ref float a, nint rs, nint cs, int n, int depth, ref float b, nint ldb, ref float c, nint ldc, bool accumulate)
    {
        Vector256<float> r0a = default;
        Vector256<float> r1a = default;
        Vector256<float> r2a = default;
        nint o1 = n > 1 ? rs : 0, o2 = n > 2 ? rs * 2 : 0;
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
