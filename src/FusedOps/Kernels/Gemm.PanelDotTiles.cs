using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// Register tiles of <see cref="PanelDotGemm"/>: one vector accumulator per (row, column) pair, kept
/// across the chunk's panels and summed across lanes once at the end. A is the packed tile or the
/// caller's rows; rows at or past <c>n</c> re-read row 0, and a missing second column re-reads the
/// first (<c>b1 = 0</c>): in bounds, computed, never stored.
/// </content>
public static partial class Gemm
{
    /// <summary>
    /// 8 rows × 2 columns in 16 zmm accumulators. Per half panel the two B vectors are loaded once and
    /// reused by all 8 rows: 10 loads feed 16 FMAs.
    /// </summary>
    private static void PanelDotGemm512x8x2(ref float a, nint aps, nint ars, int n, ref float b, nint bps, nint b1, int panels, bool second, ref float c, nint ldc)
    {
        Vector512<float> s00 = default, s01 = default;
        Vector512<float> s10 = default, s11 = default;
        Vector512<float> s20 = default, s21 = default;
        Vector512<float> s30 = default, s31 = default;
        Vector512<float> s40 = default, s41 = default;
        Vector512<float> s50 = default, s51 = default;
        Vector512<float> s60 = default, s61 = default;
        Vector512<float> s70 = default, s71 = default;
        nint a1 = n > 1 ? ars : 0, a2 = n > 2 ? ars * 2 : 0, a3 = n > 3 ? ars * 3 : 0, a4 = n > 4 ? ars * 4 : 0, a5 = n > 5 ? ars * 5 : 0, a6 = n > 6 ? ars * 6 : 0, a7 = n > 7 ? ars * 7 : 0;
        ref float ap = ref a;
        ref float bp = ref b;
        for (int pb = 0; pb < panels; pb++)
        {
            // Lanes 0..15.
            Vector512<float> y0 = Vector512.LoadUnsafe(ref bp);
            Vector512<float> y1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bp, b1));
            Vector512<float> x = Vector512.LoadUnsafe(ref ap);
            s00 = Simd.Fma(x, y0, s00);
            s01 = Simd.Fma(x, y1, s01);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a1));
            s10 = Simd.Fma(x, y0, s10);
            s11 = Simd.Fma(x, y1, s11);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a2));
            s20 = Simd.Fma(x, y0, s20);
            s21 = Simd.Fma(x, y1, s21);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a3));
            s30 = Simd.Fma(x, y0, s30);
            s31 = Simd.Fma(x, y1, s31);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a4));
            s40 = Simd.Fma(x, y0, s40);
            s41 = Simd.Fma(x, y1, s41);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a5));
            s50 = Simd.Fma(x, y0, s50);
            s51 = Simd.Fma(x, y1, s51);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a6));
            s60 = Simd.Fma(x, y0, s60);
            s61 = Simd.Fma(x, y1, s61);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a7));
            s70 = Simd.Fma(x, y0, s70);
            s71 = Simd.Fma(x, y1, s71);

            // Lanes 16..31.
            y0 = Vector512.LoadUnsafe(ref bp, 16);
            y1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bp, b1), 16);
            x = Vector512.LoadUnsafe(ref ap, 16);
            s00 = Simd.Fma(x, y0, s00);
            s01 = Simd.Fma(x, y1, s01);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a1), 16);
            s10 = Simd.Fma(x, y0, s10);
            s11 = Simd.Fma(x, y1, s11);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a2), 16);
            s20 = Simd.Fma(x, y0, s20);
            s21 = Simd.Fma(x, y1, s21);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a3), 16);
            s30 = Simd.Fma(x, y0, s30);
            s31 = Simd.Fma(x, y1, s31);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a4), 16);
            s40 = Simd.Fma(x, y0, s40);
            s41 = Simd.Fma(x, y1, s41);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a5), 16);
            s50 = Simd.Fma(x, y0, s50);
            s51 = Simd.Fma(x, y1, s51);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a6), 16);
            s60 = Simd.Fma(x, y0, s60);
            s61 = Simd.Fma(x, y1, s61);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a7), 16);
            s70 = Simd.Fma(x, y0, s70);
            s71 = Simd.Fma(x, y1, s71);

            ap = ref Unsafe.Add(ref ap, aps);
            bp = ref Unsafe.Add(ref bp, bps);
        }

        AddSums(ref c, second, s00, s01);
        if (n > 1)
        {
            AddSums(ref Unsafe.Add(ref c, ldc), second, s10, s11);
        }

        if (n > 2)
        {
            AddSums(ref Unsafe.Add(ref c, 2 * ldc), second, s20, s21);
        }

        if (n > 3)
        {
            AddSums(ref Unsafe.Add(ref c, 3 * ldc), second, s30, s31);
        }

        if (n > 4)
        {
            AddSums(ref Unsafe.Add(ref c, 4 * ldc), second, s40, s41);
        }

        if (n > 5)
        {
            AddSums(ref Unsafe.Add(ref c, 5 * ldc), second, s50, s51);
        }

        if (n > 6)
        {
            AddSums(ref Unsafe.Add(ref c, 6 * ldc), second, s60, s61);
        }

        if (n > 7)
        {
            AddSums(ref Unsafe.Add(ref c, 7 * ldc), second, s70, s71);
        }
    }

    /// <summary>4 rows × 2 columns in 8 zmm accumulators, for C with few rows.</summary>
    private static void PanelDotGemm512x4x2(ref float a, nint aps, nint ars, int n, ref float b, nint bps, nint b1, int panels, bool second, ref float c, nint ldc)
    {
        Vector512<float> s00 = default, s01 = default;
        Vector512<float> s10 = default, s11 = default;
        Vector512<float> s20 = default, s21 = default;
        Vector512<float> s30 = default, s31 = default;
        nint a1 = n > 1 ? ars : 0, a2 = n > 2 ? ars * 2 : 0, a3 = n > 3 ? ars * 3 : 0;
        ref float ap = ref a;
        ref float bp = ref b;
        for (int pb = 0; pb < panels; pb++)
        {
            // Lanes 0..15.
            Vector512<float> y0 = Vector512.LoadUnsafe(ref bp);
            Vector512<float> y1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bp, b1));
            Vector512<float> x = Vector512.LoadUnsafe(ref ap);
            s00 = Simd.Fma(x, y0, s00);
            s01 = Simd.Fma(x, y1, s01);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a1));
            s10 = Simd.Fma(x, y0, s10);
            s11 = Simd.Fma(x, y1, s11);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a2));
            s20 = Simd.Fma(x, y0, s20);
            s21 = Simd.Fma(x, y1, s21);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a3));
            s30 = Simd.Fma(x, y0, s30);
            s31 = Simd.Fma(x, y1, s31);

            // Lanes 16..31.
            y0 = Vector512.LoadUnsafe(ref bp, 16);
            y1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref bp, b1), 16);
            x = Vector512.LoadUnsafe(ref ap, 16);
            s00 = Simd.Fma(x, y0, s00);
            s01 = Simd.Fma(x, y1, s01);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a1), 16);
            s10 = Simd.Fma(x, y0, s10);
            s11 = Simd.Fma(x, y1, s11);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a2), 16);
            s20 = Simd.Fma(x, y0, s20);
            s21 = Simd.Fma(x, y1, s21);
            x = Vector512.LoadUnsafe(ref Unsafe.Add(ref ap, a3), 16);
            s30 = Simd.Fma(x, y0, s30);
            s31 = Simd.Fma(x, y1, s31);

            ap = ref Unsafe.Add(ref ap, aps);
            bp = ref Unsafe.Add(ref bp, bps);
        }

        AddSums(ref c, second, s00, s01);
        if (n > 1)
        {
            AddSums(ref Unsafe.Add(ref c, ldc), second, s10, s11);
        }

        if (n > 2)
        {
            AddSums(ref Unsafe.Add(ref c, 2 * ldc), second, s20, s21);
        }

        if (n > 3)
        {
            AddSums(ref Unsafe.Add(ref c, 3 * ldc), second, s30, s31);
        }
    }

    /// <summary>Adds the lane sums of s0 (and of s1 when <paramref name="second"/>) to c[0] (and c[1]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSums(ref float c, bool second, Vector512<float> s0, Vector512<float> s1)
    {
        c += HorizontalSum(s0);
        if (second)
        {
            Unsafe.Add(ref c, 1) += HorizontalSum(s1);
        }
    }

    /// <summary>
    /// 4 rows × 2 columns in 8 ymm accumulators; with 4 + 2 loaded vectors per quarter panel this fits
    /// the 16 ymm registers of AVX2.
    /// </summary>
    private static void PanelDotGemm256x4x2(ref float a, nint aps, nint ars, int n, ref float b, nint bps, nint b1, int panels, bool second, ref float c, nint ldc)
    {
        Vector256<float> s00 = default, s01 = default;
        Vector256<float> s10 = default, s11 = default;
        Vector256<float> s20 = default, s21 = default;
        Vector256<float> s30 = default, s31 = default;
        nint a1 = n > 1 ? ars : 0, a2 = n > 2 ? ars * 2 : 0, a3 = n > 3 ? ars * 3 : 0;
        ref float ap = ref a;
        ref float bp = ref b;
        for (int pb = 0; pb < panels; pb++)
        {
            // Lanes 0..7.
            Vector256<float> y0 = Vector256.LoadUnsafe(ref bp);
            Vector256<float> y1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b1));
            Vector256<float> x = Vector256.LoadUnsafe(ref ap);
            s00 = Simd.Fma(x, y0, s00);
            s01 = Simd.Fma(x, y1, s01);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a1));
            s10 = Simd.Fma(x, y0, s10);
            s11 = Simd.Fma(x, y1, s11);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a2));
            s20 = Simd.Fma(x, y0, s20);
            s21 = Simd.Fma(x, y1, s21);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a3));
            s30 = Simd.Fma(x, y0, s30);
            s31 = Simd.Fma(x, y1, s31);

            // Lanes 8..15.
            y0 = Vector256.LoadUnsafe(ref bp, 8);
            y1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b1), 8);
            x = Vector256.LoadUnsafe(ref ap, 8);
            s00 = Simd.Fma(x, y0, s00);
            s01 = Simd.Fma(x, y1, s01);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a1), 8);
            s10 = Simd.Fma(x, y0, s10);
            s11 = Simd.Fma(x, y1, s11);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a2), 8);
            s20 = Simd.Fma(x, y0, s20);
            s21 = Simd.Fma(x, y1, s21);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a3), 8);
            s30 = Simd.Fma(x, y0, s30);
            s31 = Simd.Fma(x, y1, s31);

            // Lanes 16..23.
            y0 = Vector256.LoadUnsafe(ref bp, 16);
            y1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b1), 16);
            x = Vector256.LoadUnsafe(ref ap, 16);
            s00 = Simd.Fma(x, y0, s00);
            s01 = Simd.Fma(x, y1, s01);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a1), 16);
            s10 = Simd.Fma(x, y0, s10);
            s11 = Simd.Fma(x, y1, s11);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a2), 16);
            s20 = Simd.Fma(x, y0, s20);
            s21 = Simd.Fma(x, y1, s21);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a3), 16);
            s30 = Simd.Fma(x, y0, s30);
            s31 = Simd.Fma(x, y1, s31);

            // Lanes 24..31.
            y0 = Vector256.LoadUnsafe(ref bp, 24);
            y1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bp, b1), 24);
            x = Vector256.LoadUnsafe(ref ap, 24);
            s00 = Simd.Fma(x, y0, s00);
            s01 = Simd.Fma(x, y1, s01);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a1), 24);
            s10 = Simd.Fma(x, y0, s10);
            s11 = Simd.Fma(x, y1, s11);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a2), 24);
            s20 = Simd.Fma(x, y0, s20);
            s21 = Simd.Fma(x, y1, s21);
            x = Vector256.LoadUnsafe(ref Unsafe.Add(ref ap, a3), 24);
            s30 = Simd.Fma(x, y0, s30);
            s31 = Simd.Fma(x, y1, s31);

            ap = ref Unsafe.Add(ref ap, aps);
            bp = ref Unsafe.Add(ref bp, bps);
        }

        AddSums(ref c, second, s00, s01);
        if (n > 1)
        {
            AddSums(ref Unsafe.Add(ref c, ldc), second, s10, s11);
        }

        if (n > 2)
        {
            AddSums(ref Unsafe.Add(ref c, 2 * ldc), second, s20, s21);
        }

        if (n > 3)
        {
            AddSums(ref Unsafe.Add(ref c, 3 * ldc), second, s30, s31);
        }
    }

    /// <summary>Adds the lane sums of s0 (and of s1 when <paramref name="second"/>) to c[0] (and c[1]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddSums(ref float c, bool second, Vector256<float> s0, Vector256<float> s1)
    {
        c += HorizontalSum(s0);
        if (second)
        {
            Unsafe.Add(ref c, 1) += HorizontalSum(s1);
        }
    }
}
