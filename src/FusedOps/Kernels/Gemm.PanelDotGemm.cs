using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>Kernels of <see cref="PanelDotGemm"/>.</content>
public static partial class Gemm
{
    private static void PanelDotGemm512(ref float a, nint aps, nint ars, ref float b, nint bps, nint brs, int panels, int rows, int cols, ref float c, nint ldc)
    {
        for (int r = 0; r < rows; r += 4)
        {
            int n = Math.Min(4, rows - r);
            for (int q = 0; q < cols; q += 3)
            {
                PanelDotGemm512x4x3(
                    ref Unsafe.Add(ref a, r * ars), aps, ars, n,
                    ref Unsafe.Add(ref b, q * brs), bps, brs, Math.Min(3, cols - q),
                    panels, ref Unsafe.Add(ref c, (r * ldc) + q), ldc);
            }
        }
    }

    /// <summary>
    /// Up to 4 rows (<paramref name="n"/>) × up to 3 columns (<paramref name="m"/>) of C, one zmm
    /// accumulator per (row, column) pair kept across all panels and summed across lanes once at the end.
    /// Per half panel: 4 + 3 loads feed 12 FMAs. Rows and columns past n and m re-read row 0, which is in
    /// bounds, and are not stored, so this one kernel also serves every tail.
    /// </summary>
    private static void PanelDotGemm512x4x3(ref float a, nint aps, nint ars, int n, ref float b, nint bps, nint brs, int m, int panels, ref float c, nint ldc)
    {
        Vector512<float> s00 = default, s01 = default, s02 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default;
        Vector512<float> s30 = default, s31 = default, s32 = default;
        nint a1 = n > 1 ? ars : 0, a2 = n > 2 ? ars * 2 : 0, a3 = n > 3 ? ars * 3 : 0;
        nint b1 = m > 1 ? brs : 0, b2 = m > 2 ? brs * 2 : 0;
        ref float ap = ref a;
        ref float bp = ref b;
        for (int pb = 0; pb < panels; pb++)
        {
            // Lanes 0..15 of the panel rows.
            Vector512<float> x0 = Vector512.LoadUnsafe(ref ap);
            Vector512<float> x1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a1));
            Vector512<float> x2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a2));
            Vector512<float> x3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a3));
            Vector512<float> y0 = Vector512.LoadUnsafe(ref bp);
            Vector512<float> y1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bp, b1));
            Vector512<float> y2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bp, b2));
            s00 = Simd.Fma(x0, y0, s00);
            s01 = Simd.Fma(x0, y1, s01);
            s02 = Simd.Fma(x0, y2, s02);
            s10 = Simd.Fma(x1, y0, s10);
            s11 = Simd.Fma(x1, y1, s11);
            s12 = Simd.Fma(x1, y2, s12);
            s20 = Simd.Fma(x2, y0, s20);
            s21 = Simd.Fma(x2, y1, s21);
            s22 = Simd.Fma(x2, y2, s22);
            s30 = Simd.Fma(x3, y0, s30);
            s31 = Simd.Fma(x3, y1, s31);
            s32 = Simd.Fma(x3, y2, s32);

            // Lanes 16..31 of the panel rows.
            x0 = Vector512.LoadUnsafe(ref ap, 16);
            x1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a1), 16);
            x2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a2), 16);
            x3 = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a3), 16);
            y0 = Vector512.LoadUnsafe(ref bp, 16);
            y1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bp, b1), 16);
            y2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bp, b2), 16);
            s00 = Simd.Fma(x0, y0, s00);
            s01 = Simd.Fma(x0, y1, s01);
            s02 = Simd.Fma(x0, y2, s02);
            s10 = Simd.Fma(x1, y0, s10);
            s11 = Simd.Fma(x1, y1, s11);
            s12 = Simd.Fma(x1, y2, s12);
            s20 = Simd.Fma(x2, y0, s20);
            s21 = Simd.Fma(x2, y1, s21);
            s22 = Simd.Fma(x2, y2, s22);
            s30 = Simd.Fma(x3, y0, s30);
            s31 = Simd.Fma(x3, y1, s31);
            s32 = Simd.Fma(x3, y2, s32);

            ap = ref Unsafe.Add(ref ap, aps);
            bp = ref Unsafe.Add(ref bp, bps);
        }

        AddSums(ref c, m, s00, s01, s02);
        if (n > 1)
        {
            AddSums(ref Unsafe.Add(ref c, ldc), m, s10, s11, s12);
        }

        if (n > 2)
        {
            AddSums(ref Unsafe.Add(ref c, 2 * ldc), m, s20, s21, s22);
        }

        if (n > 3)
        {
            AddSums(ref Unsafe.Add(ref c, 3 * ldc), m, s30, s31, s32);
        }
    }

    /// <summary>Adds the lane sums of the first <paramref name="m"/> of 3 accumulators to c[0..m).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSums(ref float c, int m, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2)
    {
        c += Vector512.Sum(s0);
        if (m > 1)
        {
            Unsafe.Add(ref c, 1) += Vector512.Sum(s1);
        }

        if (m > 2)
        {
            Unsafe.Add(ref c, 2) += Vector512.Sum(s2);
        }
    }

    private static void PanelDotGemm256(ref float a, nint aps, nint ars, ref float b, nint bps, nint brs, int panels, int rows, int cols, ref float c, nint ldc)
    {
        for (int r = 0; r < rows; r += 3)
        {
            int n = Math.Min(3, rows - r);
            for (int q = 0; q < cols; q += 3)
            {
                PanelDotGemm256x3x3(
                    ref Unsafe.Add(ref a, r * ars), aps, ars, n,
                    ref Unsafe.Add(ref b, q * brs), bps, brs, Math.Min(3, cols - q),
                    panels, ref Unsafe.Add(ref c, (r * ldc) + q), ldc);
            }
        }
    }

    /// <summary>
    /// Up to 3 × 3 (row, column) pairs in 9 ymm accumulators; with 3 + 3 loaded vectors per quarter panel
    /// this fits the 16 ymm registers of AVX2. Tails as in <see cref="PanelDotGemm512x4x3"/>.
    /// </summary>
    private static void PanelDotGemm256x3x3(ref float a, nint aps, nint ars, int n, ref float b, nint bps, nint brs, int m, int panels, ref float c, nint ldc)
    {
        Vector256<float> s00 = default, s01 = default, s02 = default;
        Vector256<float> s10 = default, s11 = default, s12 = default;
        Vector256<float> s20 = default, s21 = default, s22 = default;
        nint a1 = n > 1 ? ars : 0, a2 = n > 2 ? ars * 2 : 0;
        nint b1 = m > 1 ? brs : 0, b2 = m > 2 ? brs * 2 : 0;
        ref float ap = ref a;
        ref float bp = ref b;
        for (int pb = 0; pb < panels; pb++)
        {
            // Lanes 0..7 of the panel rows.
            Vector256<float> x0 = Vector256.LoadUnsafe(ref ap);
            Vector256<float> x1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a1));
            Vector256<float> x2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a2));
            Vector256<float> y0 = Vector256.LoadUnsafe(ref bp);
            Vector256<float> y1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b1));
            Vector256<float> y2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b2));
            s00 = Simd.Fma(x0, y0, s00);
            s01 = Simd.Fma(x0, y1, s01);
            s02 = Simd.Fma(x0, y2, s02);
            s10 = Simd.Fma(x1, y0, s10);
            s11 = Simd.Fma(x1, y1, s11);
            s12 = Simd.Fma(x1, y2, s12);
            s20 = Simd.Fma(x2, y0, s20);
            s21 = Simd.Fma(x2, y1, s21);
            s22 = Simd.Fma(x2, y2, s22);

            // Lanes 8..15 of the panel rows.
            x0 = Vector256.LoadUnsafe(ref ap, 8);
            x1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a1), 8);
            x2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a2), 8);
            y0 = Vector256.LoadUnsafe(ref bp, 8);
            y1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b1), 8);
            y2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b2), 8);
            s00 = Simd.Fma(x0, y0, s00);
            s01 = Simd.Fma(x0, y1, s01);
            s02 = Simd.Fma(x0, y2, s02);
            s10 = Simd.Fma(x1, y0, s10);
            s11 = Simd.Fma(x1, y1, s11);
            s12 = Simd.Fma(x1, y2, s12);
            s20 = Simd.Fma(x2, y0, s20);
            s21 = Simd.Fma(x2, y1, s21);
            s22 = Simd.Fma(x2, y2, s22);

            // Lanes 16..23 of the panel rows.
            x0 = Vector256.LoadUnsafe(ref ap, 16);
            x1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a1), 16);
            x2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a2), 16);
            y0 = Vector256.LoadUnsafe(ref bp, 16);
            y1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b1), 16);
            y2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b2), 16);
            s00 = Simd.Fma(x0, y0, s00);
            s01 = Simd.Fma(x0, y1, s01);
            s02 = Simd.Fma(x0, y2, s02);
            s10 = Simd.Fma(x1, y0, s10);
            s11 = Simd.Fma(x1, y1, s11);
            s12 = Simd.Fma(x1, y2, s12);
            s20 = Simd.Fma(x2, y0, s20);
            s21 = Simd.Fma(x2, y1, s21);
            s22 = Simd.Fma(x2, y2, s22);

            // Lanes 24..31 of the panel rows.
            x0 = Vector256.LoadUnsafe(ref ap, 24);
            x1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a1), 24);
            x2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a2), 24);
            y0 = Vector256.LoadUnsafe(ref bp, 24);
            y1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b1), 24);
            y2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b2), 24);
            s00 = Simd.Fma(x0, y0, s00);
            s01 = Simd.Fma(x0, y1, s01);
            s02 = Simd.Fma(x0, y2, s02);
            s10 = Simd.Fma(x1, y0, s10);
            s11 = Simd.Fma(x1, y1, s11);
            s12 = Simd.Fma(x1, y2, s12);
            s20 = Simd.Fma(x2, y0, s20);
            s21 = Simd.Fma(x2, y1, s21);
            s22 = Simd.Fma(x2, y2, s22);

            ap = ref Unsafe.Add(ref ap, aps);
            bp = ref Unsafe.Add(ref bp, bps);
        }

        AddSums(ref c, m, s00, s01, s02);
        if (n > 1)
        {
            AddSums(ref Unsafe.Add(ref c, ldc), m, s10, s11, s12);
        }

        if (n > 2)
        {
            AddSums(ref Unsafe.Add(ref c, 2 * ldc), m, s20, s21, s22);
        }
    }

    /// <summary>Adds the lane sums of the first <paramref name="m"/> of 3 accumulators to c[0..m).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSums(ref float c, int m, Vector256<float> s0, Vector256<float> s1, Vector256<float> s2)
    {
        c += Vector256.Sum(s0);
        if (m > 1)
        {
            Unsafe.Add(ref c, 1) += Vector256.Sum(s1);
        }

        if (m > 2)
        {
            Unsafe.Add(ref c, 2) += Vector256.Sum(s2);
        }
    }

    private static void PanelDotGemmScalar(ref float a, nint aps, nint ars, ref float b, nint bps, nint brs, int panels, int rows, int cols, ref float c, nint ldc)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int q = 0; q < cols; q++)
            {
                ref float ar = ref Unsafe.Add(ref a, r * ars);
                ref float bq = ref Unsafe.Add(ref b, q * brs);
                float sum = 0f;
                for (int pb = 0; pb < panels; pb++)
                {
                    ref float ap = ref Unsafe.Add(ref ar, pb * aps);
                    ref float bp = ref Unsafe.Add(ref bq, pb * bps);
                    for (int j = 0; j < PanelWidth; j++)
                    {
                        sum = Simd.Fma(Unsafe.Add(ref ap, j), Unsafe.Add(ref bp, j), sum);
                    }
                }

                Unsafe.Add(ref c, (r * ldc) + q) += sum;
            }
        }
    }
}
