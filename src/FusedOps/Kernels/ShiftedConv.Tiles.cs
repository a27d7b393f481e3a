using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace FusedOps.Kernels;

/// <content>
/// The 256- and 128-bit register blocks of <see cref="Product"/>: 4 rows (half a packed panel) × 2 vectors, and the
/// column-count types the blocks are specialised on.
/// </content>
public static partial class ShiftedConv
{
    private static bool Tile128Supported => System.Runtime.Intrinsics.X86.Fma.IsSupported || AdvSimd.IsSupported;

    /// <summary>Vectors per row of a register block: a constant of each instantiation, so the unused ones fold away.</summary>
    private interface IVectors
    {
        int Count { get; }
    }

    private readonly struct OneVector : IVectors
    {
        public int Count => 1;
    }

    private readonly struct TwoVectors : IVectors
    {
        public int Count => 2;
    }

    private readonly struct ThreeVectors : IVectors
    {
        public int Count => 3;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product256(ref float packed, int rows, int depth, ref float b, ref int offsets, int cols, ref float c, int ldc)
    {
        for (int j = 0; j < cols;)
        {
            // 24 at a time (12 accumulators + 3 loads + 1 broadcast: the 16 ymm of AVX2); 16 or 32 left are 16s.
            int left = cols - j, step = left >= 24 && left != 32 ? 24 : 16;
            ref float bj = ref Unsafe.Add(ref b, j);
            for (int r = 0; r < rows; r += 4)
            {
                ref float ap = ref Unsafe.Add(ref packed, ((r / PanelRows) * PanelRows * depth) + (r % PanelRows));
                ref float cr = ref Unsafe.Add(ref c, (r * ldc) + j);
                if (step == 24)
                {
                    Tile256<ThreeVectors>(ref ap, Math.Min(4, rows - r), depth, ref bj, ref offsets, ref cr, ldc);
                }
                else
                {
                    Tile256<TwoVectors>(ref ap, Math.Min(4, rows - r), depth, ref bj, ref offsets, ref cr, ldc);
                }
            }

            j += step;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product128(ref float packed, int rows, int depth, ref float b, ref int offsets, int cols, ref float c, int ldc)
    {
        for (int j = 0; j < cols; j += 8)
        {
            ref float bj = ref Unsafe.Add(ref b, j);
            for (int r = 0; r < rows; r += 4)
            {
                ref float ap = ref Unsafe.Add(ref packed, ((r / PanelRows) * PanelRows * depth) + (r % PanelRows));
                Tile128<TwoVectors>(ref ap, Math.Min(4, rows - r), depth, ref bj, ref offsets, ref Unsafe.Add(ref c, (r * ldc) + j), ldc);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) => Simd.Fma(a, b, c);

    // Fused at 128 bits too (x86 FMA or Arm AdvSimd), so the sums keep the scalar path's bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c) : AdvSimd.FusedMultiplyAdd(c, a, b);

    /// <summary>
    /// 4 rows × TV.Count·8 columns in 4·TV.Count Vector256 accumulators, A read as 4 of a panel row's 8 floats per tap;
    /// rows at or past <paramref name="n"/> are computed on the panel's zeros and not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile256<TV>(ref float a, int n, int depth, ref float b, ref int offsets, ref float c, nint ldc)
        where TV : struct, IVectors
    {
        int nv = default(TV).Count;
        Vector256<float> c0a = default, c0b = default, c0c = default, c1a = default, c1b = default, c1c = default, c2a = default, c2b = default, c2c = default, c3a = default, c3b = default, c3c = default;
        ref float ak = ref a;
        for (nint k = 0; k < depth; k++)
        {
            ref float bk = ref Unsafe.Add(ref b, Unsafe.Add(ref offsets, k));
            Vector256<float> b0 = Vector256.LoadUnsafe(ref bk);
            Vector256<float> b1 = nv > 1 ? Vector256.LoadUnsafe(ref bk, 8) : default;
            Vector256<float> b2 = nv > 2 ? Vector256.LoadUnsafe(ref bk, 16) : default;
            Vector256<float> x = Vector256.Create(ak);
            c0a = Fma(x, b0, c0a);
            if (nv > 1)
            {
                c0b = Fma(x, b1, c0b);
            }

            if (nv > 2)
            {
                c0c = Fma(x, b2, c0c);
            }

            x = Vector256.Create(Unsafe.Add(ref ak, 1));
            c1a = Fma(x, b0, c1a);
            if (nv > 1)
            {
                c1b = Fma(x, b1, c1b);
            }

            if (nv > 2)
            {
                c1c = Fma(x, b2, c1c);
            }

            x = Vector256.Create(Unsafe.Add(ref ak, 2));
            c2a = Fma(x, b0, c2a);
            if (nv > 1)
            {
                c2b = Fma(x, b1, c2b);
            }

            if (nv > 2)
            {
                c2c = Fma(x, b2, c2c);
            }

            x = Vector256.Create(Unsafe.Add(ref ak, 3));
            c3a = Fma(x, b0, c3a);
            if (nv > 1)
            {
                c3b = Fma(x, b1, c3b);
            }

            if (nv > 2)
            {
                c3c = Fma(x, b2, c3c);
            }

            ak = ref Unsafe.Add(ref ak, PanelRows);
        }

        Store(ref c, c0a, c0b, c0c);
        if (n > 1)
        {
            Store(ref Unsafe.Add(ref c, 1 * ldc), c1a, c1b, c1c);
        }

        if (n > 2)
        {
            Store(ref Unsafe.Add(ref c, 2 * ldc), c2a, c2b, c2c);
        }

        if (n > 3)
        {
            Store(ref Unsafe.Add(ref c, 3 * ldc), c3a, c3b, c3c);
        }


        static void Store(ref float c, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2)
        {
            v0.StoreUnsafe(ref c);
            if (default(TV).Count > 1)
            {
                v1.StoreUnsafe(ref c, 8);
            }

            if (default(TV).Count > 2)
            {
                v2.StoreUnsafe(ref c, 16);
            }
        }
    }

    /// <summary>
    /// 4 rows × TV.Count·4 columns in 4·TV.Count Vector128 accumulators, A read as 4 of a panel row's 8 floats per tap;
    /// rows at or past <paramref name="n"/> are computed on the panel's zeros and not stored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile128<TV>(ref float a, int n, int depth, ref float b, ref int offsets, ref float c, nint ldc)
        where TV : struct, IVectors
    {
        int nv = default(TV).Count;
        Vector128<float> c0a = default, c0b = default, c0c = default, c1a = default, c1b = default, c1c = default, c2a = default, c2b = default, c2c = default, c3a = default, c3b = default, c3c = default;
        ref float ak = ref a;
        for (nint k = 0; k < depth; k++)
        {
            ref float bk = ref Unsafe.Add(ref b, Unsafe.Add(ref offsets, k));
            Vector128<float> b0 = Vector128.LoadUnsafe(ref bk);
            Vector128<float> b1 = nv > 1 ? Vector128.LoadUnsafe(ref bk, 4) : default;
            Vector128<float> b2 = nv > 2 ? Vector128.LoadUnsafe(ref bk, 8) : default;
            Vector128<float> x = Vector128.Create(ak);
            c0a = Fma(x, b0, c0a);
            if (nv > 1)
            {
                c0b = Fma(x, b1, c0b);
            }

            if (nv > 2)
            {
                c0c = Fma(x, b2, c0c);
            }

            x = Vector128.Create(Unsafe.Add(ref ak, 1));
            c1a = Fma(x, b0, c1a);
            if (nv > 1)
            {
                c1b = Fma(x, b1, c1b);
            }

            if (nv > 2)
            {
                c1c = Fma(x, b2, c1c);
            }

            x = Vector128.Create(Unsafe.Add(ref ak, 2));
            c2a = Fma(x, b0, c2a);
            if (nv > 1)
            {
                c2b = Fma(x, b1, c2b);
            }

            if (nv > 2)
            {
                c2c = Fma(x, b2, c2c);
            }

            x = Vector128.Create(Unsafe.Add(ref ak, 3));
            c3a = Fma(x, b0, c3a);
            if (nv > 1)
            {
                c3b = Fma(x, b1, c3b);
            }

            if (nv > 2)
            {
                c3c = Fma(x, b2, c3c);
            }

            ak = ref Unsafe.Add(ref ak, PanelRows);
        }

        Store(ref c, c0a, c0b, c0c);
        if (n > 1)
        {
            Store(ref Unsafe.Add(ref c, 1 * ldc), c1a, c1b, c1c);
        }

        if (n > 2)
        {
            Store(ref Unsafe.Add(ref c, 2 * ldc), c2a, c2b, c2c);
        }

        if (n > 3)
        {
            Store(ref Unsafe.Add(ref c, 3 * ldc), c3a, c3b, c3c);
        }


        static void Store(ref float c, Vector128<float> v0, Vector128<float> v1, Vector128<float> v2)
        {
            v0.StoreUnsafe(ref c);
            if (default(TV).Count > 1)
            {
                v1.StoreUnsafe(ref c, 4);
            }

            if (default(TV).Count > 2)
            {
                v2.StoreUnsafe(ref c, 8);
            }
        }
    }
}
