using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// The 512-bit register block of <see cref="Product"/>: 8 rows × 48 columns in 24 zmm accumulators (three loads of B and
/// eight broadcasts per 24 FMAs, where 8 × 32 held 16 and needed 2 + 8 per 16), columns outermost so that one column block
/// of B stays in L1 while every panel of A runs over it; a row's last 16 or 32 columns take the 1- or 2-vector block. Where
/// the sums go is the <see cref="ITileStore"/>: rows of a grid, or cropped straight into NCHW planes.
/// </content>
public static unsafe partial class ShiftedConv
{
    /// <summary>Where a register block's finished rows go.</summary>
    private interface ITileStore
    {
        /// <summary>Row <paramref name="row"/>'s TV.Count vectors for grid columns [column, column + 16·TV.Count).</summary>
        void Row<TV>(int row, int column, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2)
            where TV : struct, IVectors;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product512<TStore>(ref float packed, int rows, int depth, ref float b, ref int offsets, int cols, TStore store)
        where TStore : struct, ITileStore
    {
        for (int j = 0; j < cols;)
        {
            // 48 at a time; 64 left are two 32s, which run faster than 48 + 16.
            int left = cols - j, step = left >= 48 && left != 64 ? 48 : left >= 32 ? 32 : 16;
            ref float bj = ref Unsafe.Add(ref b, j);
            for (int p = 0; p < rows; p += PanelRows)
            {
                ref float ap = ref Unsafe.Add(ref packed, p * depth);
                int n = Math.Min(PanelRows, rows - p);
                if (step == 48)
                {
                    Tile512<ThreeVectors, TStore>(ref ap, n, depth, ref bj, ref offsets, store, p, j);
                }
                else if (step == 32)
                {
                    Tile512<TwoVectors, TStore>(ref ap, n, depth, ref bj, ref offsets, store, p, j);
                }
                else
                {
                    Tile512<OneVector, TStore>(ref ap, n, depth, ref bj, ref offsets, store, p, j);
                }
            }

            j += step;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) => Simd.Fma(a, b, c);

    /// <summary>
    /// 8 rows × TV.Count·16 columns in 8·TV.Count zmm accumulators, A read as one panel row per tap (8 consecutive floats);
    /// rows at or past <paramref name="n"/> are computed on the panel's zeros and not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512<TV, TStore>(ref float a, int n, int depth, ref float b, ref int offsets, TStore store, int row, int column)
        where TV : struct, IVectors
        where TStore : struct, ITileStore
    {
        int nv = default(TV).Count;
        Vector512<float> c0a = default, c0b = default, c0c = default, c1a = default, c1b = default, c1c = default, c2a = default, c2b = default, c2c = default, c3a = default, c3b = default, c3c = default;
        Vector512<float> c4a = default, c4b = default, c4c = default, c5a = default, c5b = default, c5c = default, c6a = default, c6b = default, c6c = default, c7a = default, c7b = default, c7c = default;
        ref float ak = ref a;
        for (nint k = 0; k < depth; k++)
        {
            ref float bk = ref Unsafe.Add(ref b, Unsafe.Add(ref offsets, k));
            Vector512<float> b0 = Vector512.LoadUnsafe(ref bk);
            Vector512<float> b1 = nv > 1 ? Vector512.LoadUnsafe(ref bk, 16) : default;
            Vector512<float> b2 = nv > 2 ? Vector512.LoadUnsafe(ref bk, 32) : default;
            Vector512<float> x = Vector512.Create(ak);
            c0a = Fma(x, b0, c0a);
            if (nv > 1)
            {
                c0b = Fma(x, b1, c0b);
            }

            if (nv > 2)
            {
                c0c = Fma(x, b2, c0c);
            }

            x = Vector512.Create(Unsafe.Add(ref ak, 1));
            c1a = Fma(x, b0, c1a);
            if (nv > 1)
            {
                c1b = Fma(x, b1, c1b);
            }

            if (nv > 2)
            {
                c1c = Fma(x, b2, c1c);
            }

            x = Vector512.Create(Unsafe.Add(ref ak, 2));
            c2a = Fma(x, b0, c2a);
            if (nv > 1)
            {
                c2b = Fma(x, b1, c2b);
            }

            if (nv > 2)
            {
                c2c = Fma(x, b2, c2c);
            }

            x = Vector512.Create(Unsafe.Add(ref ak, 3));
            c3a = Fma(x, b0, c3a);
            if (nv > 1)
            {
                c3b = Fma(x, b1, c3b);
            }

            if (nv > 2)
            {
                c3c = Fma(x, b2, c3c);
            }

            x = Vector512.Create(Unsafe.Add(ref ak, 4));
            c4a = Fma(x, b0, c4a);
            if (nv > 1)
            {
                c4b = Fma(x, b1, c4b);
            }

            if (nv > 2)
            {
                c4c = Fma(x, b2, c4c);
            }

            x = Vector512.Create(Unsafe.Add(ref ak, 5));
            c5a = Fma(x, b0, c5a);
            if (nv > 1)
            {
                c5b = Fma(x, b1, c5b);
            }

            if (nv > 2)
            {
                c5c = Fma(x, b2, c5c);
            }

            x = Vector512.Create(Unsafe.Add(ref ak, 6));
            c6a = Fma(x, b0, c6a);
            if (nv > 1)
            {
                c6b = Fma(x, b1, c6b);
            }

            if (nv > 2)
            {
                c6c = Fma(x, b2, c6c);
            }

            x = Vector512.Create(Unsafe.Add(ref ak, 7));
            c7a = Fma(x, b0, c7a);
            if (nv > 1)
            {
                c7b = Fma(x, b1, c7b);
            }

            if (nv > 2)
            {
                c7c = Fma(x, b2, c7c);
            }

            ak = ref Unsafe.Add(ref ak, PanelRows);
        }

        store.Row<TV>(row, column, c0a, c0b, c0c);
        if (n > 1)
        {
            store.Row<TV>(row + 1, column, c1a, c1b, c1c);
        }

        if (n > 2)
        {
            store.Row<TV>(row + 2, column, c2a, c2b, c2c);
        }

        if (n > 3)
        {
            store.Row<TV>(row + 3, column, c3a, c3b, c3c);
        }

        if (n > 4)
        {
            store.Row<TV>(row + 4, column, c4a, c4b, c4c);
        }

        if (n > 5)
        {
            store.Row<TV>(row + 5, column, c5a, c5b, c5c);
        }

        if (n > 6)
        {
            store.Row<TV>(row + 6, column, c6a, c6b, c6c);
        }

        if (n > 7)
        {
            store.Row<TV>(row + 7, column, c7a, c7b, c7c);
        }

    }

    /// <summary>Rows of a grid, <c>ldc</c> floats apart.</summary>
    private readonly struct GridStore(float* c, nint ldc) : ITileStore
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Row<TV>(int row, int column, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2)
            where TV : struct, IVectors
        {
            float* d = c + (row * ldc) + column;
            v0.Store(d);
            if (default(TV).Count > 1)
            {
                v1.Store(d + 16);
            }

            if (default(TV).Count > 2)
            {
                v2.Store(d + 32);
            }
        }
    }
}
