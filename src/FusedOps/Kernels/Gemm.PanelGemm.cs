using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>Kernels of <see cref="PanelGemm"/>.</content>
public static partial class Gemm
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelGemm512(ref float a, nint rs, nint cs, int rows, int depth, ref float panel, ref float c, nint ldc, bool accumulate)
    {
        int r = 0;
        for (; r + 12 <= rows; r += 12)
        {
            PanelGemm512x12(ref Unsafe.Add(ref a, r * rs), rs, cs, depth, ref panel, ref Unsafe.Add(ref c, r * ldc), ldc, accumulate);
        }

        for (; r < rows; r += 4)
        {
            PanelGemm512x4(ref Unsafe.Add(ref a, r * rs), rs, cs, Math.Min(4, rows - r), depth, ref panel, ref Unsafe.Add(ref c, r * ldc), ldc, accumulate);
        }
    }

    /// <summary>
    /// 12 rows × 32 columns in 24 zmm accumulators. Per step of t: two panel loads shared by all 12
    /// rows, 12 broadcasts, 24 FMAs, so the FMA ports and not the loads set the pace.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelGemm512x12(ref float a, nint rs, nint cs, int depth, ref float panel, ref float c, nint ldc, bool accumulate)
    {
        Vector512<float> r0a = default, r0b = default, r1a = default, r1b = default, r2a = default, r2b = default, r3a = default, r3b = default;
        Vector512<float> r4a = default, r4b = default, r5a = default, r5b = default, r6a = default, r6b = default, r7a = default, r7b = default;
        Vector512<float> r8a = default, r8b = default, r9a = default, r9b = default, r10a = default, r10b = default, r11a = default, r11b = default;
        nint rs2 = rs * 2, rs3 = rs * 3, rs4 = rs * 4;
        ref float at = ref a;
        ref float pt = ref panel;
        for (int t = 0; t < depth; t++)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref pt);
            Vector512<float> b1 = Vector512.LoadUnsafe(ref pt, 16);
            ref float a4 = ref Unsafe.Add(ref at, rs4);
            ref float a8 = ref Unsafe.Add(ref a4, rs4);

            Vector512<float> x = Vector512.Create(at);
            r0a = Simd.Fma(x, b0, r0a);
            r0b = Simd.Fma(x, b1, r0b);
            x = Vector512.Create(Unsafe.Add(ref at, rs));
            r1a = Simd.Fma(x, b0, r1a);
            r1b = Simd.Fma(x, b1, r1b);
            x = Vector512.Create(Unsafe.Add(ref at, rs2));
            r2a = Simd.Fma(x, b0, r2a);
            r2b = Simd.Fma(x, b1, r2b);
            x = Vector512.Create(Unsafe.Add(ref at, rs3));
            r3a = Simd.Fma(x, b0, r3a);
            r3b = Simd.Fma(x, b1, r3b);
            x = Vector512.Create(a4);
            r4a = Simd.Fma(x, b0, r4a);
            r4b = Simd.Fma(x, b1, r4b);
            x = Vector512.Create(Unsafe.Add(ref a4, rs));
            r5a = Simd.Fma(x, b0, r5a);
            r5b = Simd.Fma(x, b1, r5b);
            x = Vector512.Create(Unsafe.Add(ref a4, rs2));
            r6a = Simd.Fma(x, b0, r6a);
            r6b = Simd.Fma(x, b1, r6b);
            x = Vector512.Create(Unsafe.Add(ref a4, rs3));
            r7a = Simd.Fma(x, b0, r7a);
            r7b = Simd.Fma(x, b1, r7b);
            x = Vector512.Create(a8);
            r8a = Simd.Fma(x, b0, r8a);
            r8b = Simd.Fma(x, b1, r8b);
            x = Vector512.Create(Unsafe.Add(ref a8, rs));
            r9a = Simd.Fma(x, b0, r9a);
            r9b = Simd.Fma(x, b1, r9b);
            x = Vector512.Create(Unsafe.Add(ref a8, rs2));
            r10a = Simd.Fma(x, b0, r10a);
            r10b = Simd.Fma(x, b1, r10b);
            x = Vector512.Create(Unsafe.Add(ref a8, rs3));
            r11a = Simd.Fma(x, b0, r11a);
            r11b = Simd.Fma(x, b1, r11b);

            at = ref Unsafe.Add(ref at, cs);
            pt = ref Unsafe.Add(ref pt, PanelWidth);
        }

        StoreRow(ref c, r0a, r0b, accumulate);
        StoreRow(ref Unsafe.Add(ref c, ldc), r1a, r1b, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 2 * ldc), r2a, r2b, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 3 * ldc), r3a, r3b, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 4 * ldc), r4a, r4b, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 5 * ldc), r5a, r5b, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 6 * ldc), r6a, r6b, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 7 * ldc), r7a, r7b, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 8 * ldc), r8a, r8b, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 9 * ldc), r9a, r9b, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 10 * ldc), r10a, r10b, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 11 * ldc), r11a, r11b, accumulate);
    }

    /// <summary>
    /// Up to 4 rows (<paramref name="n"/>) × 32 columns: the tail of <see cref="PanelGemm512x12"/>.
    /// Rows at or past n re-read row 0, which is in bounds, and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelGemm512x4(ref float a, nint rs, nint cs, int n, int depth, ref float panel, ref float c, nint ldc, bool accumulate)
    {
        Vector512<float> r0a = default, r0b = default, r1a = default, r1b = default, r2a = default, r2b = default, r3a = default, r3b = default;
        nint o1 = n > 1 ? rs : 0, o2 = n > 2 ? rs * 2 : 0, o3 = n > 3 ? rs * 3 : 0;
        ref float at = ref a;
        ref float pt = ref panel;
        for (int t = 0; t < depth; t++)
        {
            Vector512<float> b0 = Vector512.LoadUnsafe(ref pt);
            Vector512<float> b1 = Vector512.LoadUnsafe(ref pt, 16);

            Vector512<float> x = Vector512.Create(at);
            r0a = Simd.Fma(x, b0, r0a);
            r0b = Simd.Fma(x, b1, r0b);
            x = Vector512.Create(Unsafe.Add(ref at, o1));
            r1a = Simd.Fma(x, b0, r1a);
            r1b = Simd.Fma(x, b1, r1b);
            x = Vector512.Create(Unsafe.Add(ref at, o2));
            r2a = Simd.Fma(x, b0, r2a);
            r2b = Simd.Fma(x, b1, r2b);
            x = Vector512.Create(Unsafe.Add(ref at, o3));
            r3a = Simd.Fma(x, b0, r3a);
            r3b = Simd.Fma(x, b1, r3b);

            at = ref Unsafe.Add(ref at, cs);
            pt = ref Unsafe.Add(ref pt, PanelWidth);
        }

        StoreRow(ref c, r0a, r0b, accumulate);
        if (n > 1)
        {
            StoreRow(ref Unsafe.Add(ref c, ldc), r1a, r1b, accumulate);
        }

        if (n > 2)
        {
            StoreRow(ref Unsafe.Add(ref c, 2 * ldc), r2a, r2b, accumulate);
        }

        if (n > 3)
        {
            StoreRow(ref Unsafe.Add(ref c, 3 * ldc), r3a, r3b, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelGemm256(ref float a, nint rs, nint cs, int rows, int depth, ref float panel, ref float c, nint ldc, bool accumulate)
    {
        for (int r = 0; r < rows; r += 3)
        {
            PanelGemm256x3(ref Unsafe.Add(ref a, r * rs), rs, cs, Math.Min(3, rows - r), depth, ref panel, ref Unsafe.Add(ref c, r * ldc), ldc, accumulate);
        }
    }

    /// <summary>
    /// Up to 3 rows (<paramref name="n"/>) × 32 columns in 12 ymm accumulators, which with the four
    /// panel vectors fits the 16 ymm registers of AVX2. Rows at or past n re-read row 0 and are not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PanelGemm256x3(ref float a, nint rs, nint cs, int n, int depth, ref float panel, ref float c, nint ldc, bool accumulate)
    {
        Vector256<float> r0a = default, r0b = default, r0c = default, r0d = default;
        Vector256<float> r1a = default, r1b = default, r1c = default, r1d = default;
        Vector256<float> r2a = default, r2b = default, r2c = default, r2d = default;
        nint o1 = n > 1 ? rs : 0, o2 = n > 2 ? rs * 2 : 0;
        ref float at = ref a;
        ref float pt = ref panel;
        for (int t = 0; t < depth; t++)
        {
            Vector256<float> b0 = Vector256.LoadUnsafe(ref pt);
            Vector256<float> b1 = Vector256.LoadUnsafe(ref pt, 8);
            Vector256<float> b2 = Vector256.LoadUnsafe(ref pt, 16);
            Vector256<float> b3 = Vector256.LoadUnsafe(ref pt, 24);

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
            pt = ref Unsafe.Add(ref pt, PanelWidth);
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
}
