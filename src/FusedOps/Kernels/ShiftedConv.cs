using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// The register-blocked products of a stride-1 convolution laid out on the padded-width grid (one output
/// row every <c>Wp</c> floats, so every kernel tap is a constant shift of one contiguous vector): no im2col.
/// <see cref="Product"/> is <c>C[r][j] = Σ_k A[r·lda + k]·B[offsets[k] + j]</c> (the forward convolution
/// and the input gradient); <see cref="WeightGradient"/> is <c>dW[r][t] += Σ_q D[r·ldd + q]·X[offsets[t] + q]</c>.
/// Used by <see cref="Conv2dTrainer"/>; vector widths follow <see cref="KernelDispatch.Level"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class ShiftedConv
{
    /// <summary>Columns per step of <see cref="Product"/>: <c>cols</c> must be a multiple of it.</summary>
    public const int Columns = 32;

    /// <summary>
    /// <c>C[r·ldc + j] = Σ_k A[r·lda + k]·B[offsets[k] + j]</c> for r &lt; <paramref name="rows"/>, j &lt; <paramref name="cols"/>
    /// (a multiple of <see cref="Columns"/>), k &lt; <paramref name="depth"/>; every sum in the same order at every width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Product(ref float a, int lda, int rows, int depth, ref float b, ref int offsets, int cols, ref float c, int ldc)
    {
        int level = KernelDispatch.Level;
        for (int j = 0; j < cols; j += Columns)
        {
            ref float bj = ref Unsafe.Add(ref b, j);
            ref float cj = ref Unsafe.Add(ref c, j);
            if (level == 2)
            {
                for (int r = 0; r < rows; r += 8)
                {
                    Tile512(ref Unsafe.Add(ref a, r * lda), lda, Math.Min(8, rows - r), depth, ref bj, ref offsets, ref Unsafe.Add(ref cj, r * ldc), ldc);
                }
            }
            else if (level == 1)
            {
                for (int half = 0; half < Columns; half += 16)
                {
                    for (int r = 0; r < rows; r += 4)
                    {
                        Tile256(ref Unsafe.Add(ref a, r * lda), lda, Math.Min(4, rows - r), depth, ref Unsafe.Add(ref bj, half), ref offsets,
                            ref Unsafe.Add(ref cj, (r * ldc) + half), ldc);
                    }
                }
            }
            else
            {
                TileScalar(ref a, lda, rows, depth, ref bj, ref offsets, ref cj, ldc);
            }
        }
    }

    /// <summary>Up to 8 rows × 32 columns in 16 zmm accumulators; rows at or past <paramref name="n"/> re-read row 0 and are not stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512(ref float a, nint lda, int n, int depth, ref float b, ref int offsets, ref float c, nint ldc)
    {
        nint o1 = n > 1 ? lda : 0, o2 = n > 2 ? 2 * lda : 0, o3 = n > 3 ? 3 * lda : 0;
        nint o4 = n > 4 ? 4 * lda : 0, o5 = n > 5 ? 5 * lda : 0, o6 = n > 6 ? 6 * lda : 0, o7 = n > 7 ? 7 * lda : 0;
        Vector512<float> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default;
        Vector512<float> c4a = default, c4b = default, c5a = default, c5b = default, c6a = default, c6b = default, c7a = default, c7b = default;
        for (nint k = 0; k < depth; k++)
        {
            ref float bk = ref Unsafe.Add(ref b, Unsafe.Add(ref offsets, k));
            Vector512<float> b0 = Vector512.LoadUnsafe(ref bk);
            Vector512<float> b1 = Vector512.LoadUnsafe(ref bk, 16);
            ref float ak = ref Unsafe.Add(ref a, k);
            Vector512<float> x = Vector512.Create(ak);
            c0a = Simd.Fma(x, b0, c0a);
            c0b = Simd.Fma(x, b1, c0b);
            x = Vector512.Create(Unsafe.Add(ref ak, o1));
            c1a = Simd.Fma(x, b0, c1a);
            c1b = Simd.Fma(x, b1, c1b);
            x = Vector512.Create(Unsafe.Add(ref ak, o2));
            c2a = Simd.Fma(x, b0, c2a);
            c2b = Simd.Fma(x, b1, c2b);
            x = Vector512.Create(Unsafe.Add(ref ak, o3));
            c3a = Simd.Fma(x, b0, c3a);
            c3b = Simd.Fma(x, b1, c3b);
            x = Vector512.Create(Unsafe.Add(ref ak, o4));
            c4a = Simd.Fma(x, b0, c4a);
            c4b = Simd.Fma(x, b1, c4b);
            x = Vector512.Create(Unsafe.Add(ref ak, o5));
            c5a = Simd.Fma(x, b0, c5a);
            c5b = Simd.Fma(x, b1, c5b);
            x = Vector512.Create(Unsafe.Add(ref ak, o6));
            c6a = Simd.Fma(x, b0, c6a);
            c6b = Simd.Fma(x, b1, c6b);
            x = Vector512.Create(Unsafe.Add(ref ak, o7));
            c7a = Simd.Fma(x, b0, c7a);
            c7b = Simd.Fma(x, b1, c7b);
        }

        Store(ref c, c0a, c0b);
        if (n > 1)
        {
            Store(ref Unsafe.Add(ref c, ldc), c1a, c1b);
        }

        if (n > 2)
        {
            Store(ref Unsafe.Add(ref c, 2 * ldc), c2a, c2b);
        }

        if (n > 3)
        {
            Store(ref Unsafe.Add(ref c, 3 * ldc), c3a, c3b);
        }

        if (n > 4)
        {
            Store(ref Unsafe.Add(ref c, 4 * ldc), c4a, c4b);
        }

        if (n > 5)
        {
            Store(ref Unsafe.Add(ref c, 5 * ldc), c5a, c5b);
        }

        if (n > 6)
        {
            Store(ref Unsafe.Add(ref c, 6 * ldc), c6a, c6b);
        }

        if (n > 7)
        {
            Store(ref Unsafe.Add(ref c, 7 * ldc), c7a, c7b);
        }

        static void Store(ref float c, Vector512<float> lo, Vector512<float> hi)
        {
            lo.StoreUnsafe(ref c);
            hi.StoreUnsafe(ref c, 16);
        }
    }

    /// <summary>Up to 4 rows × 16 columns in 8 ymm accumulators; rows at or past <paramref name="n"/> re-read row 0 and are not stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile256(ref float a, nint lda, int n, int depth, ref float b, ref int offsets, ref float c, nint ldc)
    {
        nint o1 = n > 1 ? lda : 0, o2 = n > 2 ? 2 * lda : 0, o3 = n > 3 ? 3 * lda : 0;
        Vector256<float> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default;
        for (nint k = 0; k < depth; k++)
        {
            ref float bk = ref Unsafe.Add(ref b, Unsafe.Add(ref offsets, k));
            Vector256<float> b0 = Vector256.LoadUnsafe(ref bk);
            Vector256<float> b1 = Vector256.LoadUnsafe(ref bk, 8);
            ref float ak = ref Unsafe.Add(ref a, k);
            Vector256<float> x = Vector256.Create(ak);
            c0a = Simd.Fma(x, b0, c0a);
            c0b = Simd.Fma(x, b1, c0b);
            x = Vector256.Create(Unsafe.Add(ref ak, o1));
            c1a = Simd.Fma(x, b0, c1a);
            c1b = Simd.Fma(x, b1, c1b);
            x = Vector256.Create(Unsafe.Add(ref ak, o2));
            c2a = Simd.Fma(x, b0, c2a);
            c2b = Simd.Fma(x, b1, c2b);
            x = Vector256.Create(Unsafe.Add(ref ak, o3));
            c3a = Simd.Fma(x, b0, c3a);
            c3b = Simd.Fma(x, b1, c3b);
        }

        Store(ref c, c0a, c0b);
        if (n > 1)
        {
            Store(ref Unsafe.Add(ref c, ldc), c1a, c1b);
        }

        if (n > 2)
        {
            Store(ref Unsafe.Add(ref c, 2 * ldc), c2a, c2b);
        }

        if (n > 3)
        {
            Store(ref Unsafe.Add(ref c, 3 * ldc), c3a, c3b);
        }

        static void Store(ref float c, Vector256<float> lo, Vector256<float> hi)
        {
            lo.StoreUnsafe(ref c);
            hi.StoreUnsafe(ref c, 8);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileScalar(ref float a, int lda, int rows, int depth, ref float b, ref int offsets, ref float c, int ldc)
    {
        for (int r = 0; r < rows; r++)
        {
            ref float ar = ref Unsafe.Add(ref a, r * lda);
            ref float cr = ref Unsafe.Add(ref c, r * ldc);
            for (int j = 0; j < Columns; j++)
            {
                float acc = 0f;
                for (int k = 0; k < depth; k++)
                {
                    acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref ar, k), Unsafe.Add(ref b, Unsafe.Add(ref offsets, k) + j), acc);
                }

                Unsafe.Add(ref cr, j) = acc;
            }
        }
    }
}
