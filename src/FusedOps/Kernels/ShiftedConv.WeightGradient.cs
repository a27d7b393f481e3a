using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>The weight gradient: dot products along the grid, 8 output channels × 3 taps per register block.</content>
public static partial class ShiftedConv
{
    /// <summary>Grid positions per step of <see cref="WeightGradient"/>: <c>length</c> must be a multiple of it.</summary>
    public const int Positions = 16;

    /// <summary>Partial sums kept per weight by <see cref="WeightGradient"/>: the lanes of one Vector256.</summary>
    public const int Lanes = 8;

    /// <summary>
    /// <c>lanes[(r·lddw + t)·Lanes + l] += lane l of Σ_q D[r·ldd + q]·X[offsets[t] + q]</c> for r &lt; <paramref name="rows"/>,
    /// t &lt; <paramref name="taps"/>, q &lt; <paramref name="length"/> (a multiple of <see cref="Positions"/>). The sums stay in
    /// <see cref="Lanes"/> partial lanes, so a caller that accumulates many samples adds a vector per block instead of
    /// reducing every register across its lanes per sample (that reduction cost as much as the products on a 14×14 plane);
    /// <see cref="AddLanes"/> closes them, in a fixed order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGradient(ref float d, int ldd, int rows, ref float x, ref int offsets, int taps, int length, ref float lanes, int lddw) =>
        WeightGradientCore(ref d, ldd, rows, ref x, ref offsets, taps, length, ref lanes, lddw, Lanes);

    /// <summary>
    /// <c>dw[r·lddw + t] += Σ_q D[r·ldd + q]·X[offsets[t] + q]</c>: <see cref="WeightGradient(ref float, int, int, ref float, ref int, int, int, ref float, int)"/>
    /// with each register's lanes summed into its weight at the end of a block. For weights too many to keep in lanes in cache
    /// (case C's 64×576 would take 1.2 MB), where long rows amortise the per-block sums anyway.
    /// </summary>
    public static void WeightGradientSums(ref float d, int ldd, int rows, ref float x, ref int offsets, int taps, int length, ref float dw, int lddw) =>
        WeightGradientCore(ref d, ldd, rows, ref x, ref offsets, taps, length, ref dw, lddw, 1);

    // stride: floats per weight in the destination, Lanes (partial lanes) or 1 (summed).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientCore(ref float d, int ldd, int rows, ref float x, ref int offsets, int taps, int length, ref float lanes, int lddw, int stride)
    {
        // Long rows are cut into chunks of at most MaxChunk positions, so that a block's 8 rows of D and 3 rows of X
        // stay in L1 while every tap block reads them (case C's 56×58 grid streamed them from L2 at the port limit).
        int chunks = (length + MaxChunk - 1) / MaxChunk;
        int chunk = (((length + chunks - 1) / chunks) + Positions - 1) / Positions * Positions;
        for (int q = 0; q < length; q += chunk)
        {
            WeightGradientChunk(ref Unsafe.Add(ref d, q), ldd, rows, ref Unsafe.Add(ref x, q), ref offsets, taps, Math.Min(chunk, length - q), ref lanes, lddw, stride);
        }
    }

    /// <summary><c>dw[i] += Σ_l lanes[i·Lanes + l]</c> for i &lt; <paramref name="count"/>, lanes added pairwise in a fixed order.</summary>
    public static void AddLanes(ref float lanes, int count, ref float dw)
    {
        for (int i = 0; i < count; i++)
        {
            ref float l = ref Unsafe.Add(ref lanes, i * Lanes);
            float a = (l + Unsafe.Add(ref l, 4)) + (Unsafe.Add(ref l, 2) + Unsafe.Add(ref l, 6));
            float b = (Unsafe.Add(ref l, 1) + Unsafe.Add(ref l, 5)) + (Unsafe.Add(ref l, 3) + Unsafe.Add(ref l, 7));
            Unsafe.Add(ref dw, i) += a + b;
        }
    }

    private const int MaxChunk = 768;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientChunk(ref float d, int ldd, int rows, ref float x, ref int offsets, int taps, int length, ref float lanes, int lddw, int stride)
    {
        int level = KernelDispatch.Level;
        int rowBlock = level == 2 ? 8 : 3;
        for (int r = 0; r < rows; r += rowBlock)
        {
            int n = Math.Min(rowBlock, rows - r);
            ref float dr = ref Unsafe.Add(ref d, r * ldd);
            ref float dwr = ref Unsafe.Add(ref lanes, r * lddw * stride);
            for (int t = 0; t < taps; t += 3)
            {
                int m = Math.Min(3, taps - t);
                nint x0 = Unsafe.Add(ref offsets, t);
                nint x1 = Unsafe.Add(ref offsets, m > 1 ? t + 1 : t);
                nint x2 = Unsafe.Add(ref offsets, m > 2 ? t + 2 : t);
                if (level == 2)
                {
                    Block512(ref dr, ldd, n, ref x, x0, x1, x2, m, length, ref Unsafe.Add(ref dwr, t * stride), lddw * stride, stride);
                }
                else if (level == 1)
                {
                    Block256(ref dr, ldd, n, ref x, x0, x1, x2, m, length, ref Unsafe.Add(ref dwr, t * stride), lddw * stride, stride);
                }
                else
                {
                    BlockScalar(ref dr, ldd, n, ref x, ref Unsafe.Add(ref offsets, t), m, length, ref Unsafe.Add(ref dwr, t * stride), lddw * stride, stride);
                }
            }
        }
    }

    /// <summary>Up to 8 rows × 3 taps in 24 zmm accumulators; rows past <paramref name="n"/> and taps past <paramref name="m"/> are computed on copies and not stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block512(ref float d, nint ldd, int n, ref float x, nint x0, nint x1, nint x2, int m, int length, ref float dw, nint lddw, int stride)
    {
        nint o1 = n > 1 ? ldd : 0, o2 = n > 2 ? 2 * ldd : 0, o3 = n > 3 ? 3 * ldd : 0;
        nint o4 = n > 4 ? 4 * ldd : 0, o5 = n > 5 ? 5 * ldd : 0, o6 = n > 6 ? 6 * ldd : 0, o7 = n > 7 ? 7 * ldd : 0;
        Vector512<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a30 = default, a31 = default, a32 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a50 = default, a51 = default, a52 = default;
        Vector512<float> a60 = default, a61 = default, a62 = default, a70 = default, a71 = default, a72 = default;
        for (nint q = 0; q < length; q += 16)
        {
            ref float xq = ref Unsafe.Add(ref x, q);
            Vector512<float> v0 = Vector512.LoadUnsafe(ref Unsafe.Add(ref xq, x0));
            Vector512<float> v1 = Vector512.LoadUnsafe(ref Unsafe.Add(ref xq, x1));
            Vector512<float> v2 = Vector512.LoadUnsafe(ref Unsafe.Add(ref xq, x2));
            ref float dq = ref Unsafe.Add(ref d, q);
            Vector512<float> g = Vector512.LoadUnsafe(ref dq);
            a00 = Simd.Fma(g, v0, a00);
            a01 = Simd.Fma(g, v1, a01);
            a02 = Simd.Fma(g, v2, a02);
            g = Vector512.LoadUnsafe(ref Unsafe.Add(ref dq, o1));
            a10 = Simd.Fma(g, v0, a10);
            a11 = Simd.Fma(g, v1, a11);
            a12 = Simd.Fma(g, v2, a12);
            g = Vector512.LoadUnsafe(ref Unsafe.Add(ref dq, o2));
            a20 = Simd.Fma(g, v0, a20);
            a21 = Simd.Fma(g, v1, a21);
            a22 = Simd.Fma(g, v2, a22);
            g = Vector512.LoadUnsafe(ref Unsafe.Add(ref dq, o3));
            a30 = Simd.Fma(g, v0, a30);
            a31 = Simd.Fma(g, v1, a31);
            a32 = Simd.Fma(g, v2, a32);
            g = Vector512.LoadUnsafe(ref Unsafe.Add(ref dq, o4));
            a40 = Simd.Fma(g, v0, a40);
            a41 = Simd.Fma(g, v1, a41);
            a42 = Simd.Fma(g, v2, a42);
            g = Vector512.LoadUnsafe(ref Unsafe.Add(ref dq, o5));
            a50 = Simd.Fma(g, v0, a50);
            a51 = Simd.Fma(g, v1, a51);
            a52 = Simd.Fma(g, v2, a52);
            g = Vector512.LoadUnsafe(ref Unsafe.Add(ref dq, o6));
            a60 = Simd.Fma(g, v0, a60);
            a61 = Simd.Fma(g, v1, a61);
            a62 = Simd.Fma(g, v2, a62);
            g = Vector512.LoadUnsafe(ref Unsafe.Add(ref dq, o7));
            a70 = Simd.Fma(g, v0, a70);
            a71 = Simd.Fma(g, v1, a71);
            a72 = Simd.Fma(g, v2, a72);
        }

        AddRow(ref dw, m, a00, a01, a02, stride);
        AddRow(ref Unsafe.Add(ref dw, n > 1 ? lddw : 0), n > 1 ? m : 0, a10, a11, a12, stride);
        AddRow(ref Unsafe.Add(ref dw, n > 2 ? 2 * lddw : 0), n > 2 ? m : 0, a20, a21, a22, stride);
        AddRow(ref Unsafe.Add(ref dw, n > 3 ? 3 * lddw : 0), n > 3 ? m : 0, a30, a31, a32, stride);
        AddRow(ref Unsafe.Add(ref dw, n > 4 ? 4 * lddw : 0), n > 4 ? m : 0, a40, a41, a42, stride);
        AddRow(ref Unsafe.Add(ref dw, n > 5 ? 5 * lddw : 0), n > 5 ? m : 0, a50, a51, a52, stride);
        AddRow(ref Unsafe.Add(ref dw, n > 6 ? 6 * lddw : 0), n > 6 ? m : 0, a60, a61, a62, stride);
        AddRow(ref Unsafe.Add(ref dw, n > 7 ? 7 * lddw : 0), n > 7 ? m : 0, a70, a71, a72, stride);

        static void AddRow(ref float dw, int m, Vector512<float> t0, Vector512<float> t1, Vector512<float> t2, int stride)
        {
            if (m > 0)
            {
                Add(ref dw, t0.GetLower() + t0.GetUpper(), stride);
            }

            if (m > 1)
            {
                Add(ref Unsafe.Add(ref dw, stride), t1.GetLower() + t1.GetUpper(), stride);
            }

            if (m > 2)
            {
                Add(ref Unsafe.Add(ref dw, 2 * stride), t2.GetLower() + t2.GetUpper(), stride);
            }
        }
    }

    /// <summary>Up to 3 rows × 3 taps in 9 ymm accumulators (AVX2 has 16 registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block256(ref float d, nint ldd, int n, ref float x, nint x0, nint x1, nint x2, int m, int length, ref float dw, nint lddw, int stride)
    {
        nint o1 = n > 1 ? ldd : 0, o2 = n > 2 ? 2 * ldd : 0;
        Vector256<float> a00 = default, a01 = default, a02 = default, a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default;
        for (nint q = 0; q < length; q += 8)
        {
            ref float xq = ref Unsafe.Add(ref x, q);
            Vector256<float> v0 = Vector256.LoadUnsafe(ref Unsafe.Add(ref xq, x0));
            Vector256<float> v1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref xq, x1));
            Vector256<float> v2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref xq, x2));
            ref float dq = ref Unsafe.Add(ref d, q);
            Vector256<float> g = Vector256.LoadUnsafe(ref dq);
            a00 = Simd.Fma(g, v0, a00);
            a01 = Simd.Fma(g, v1, a01);
            a02 = Simd.Fma(g, v2, a02);
            g = Vector256.LoadUnsafe(ref Unsafe.Add(ref dq, o1));
            a10 = Simd.Fma(g, v0, a10);
            a11 = Simd.Fma(g, v1, a11);
            a12 = Simd.Fma(g, v2, a12);
            g = Vector256.LoadUnsafe(ref Unsafe.Add(ref dq, o2));
            a20 = Simd.Fma(g, v0, a20);
            a21 = Simd.Fma(g, v1, a21);
            a22 = Simd.Fma(g, v2, a22);
        }

        AddRow(ref dw, m, a00, a01, a02, stride);
        AddRow(ref Unsafe.Add(ref dw, n > 1 ? lddw : 0), n > 1 ? m : 0, a10, a11, a12, stride);
        AddRow(ref Unsafe.Add(ref dw, n > 2 ? 2 * lddw : 0), n > 2 ? m : 0, a20, a21, a22, stride);

        static void AddRow(ref float dw, int m, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, int stride)
        {
            if (m > 0)
            {
                Add(ref dw, t0, stride);
            }

            if (m > 1)
            {
                Add(ref Unsafe.Add(ref dw, stride), t1, stride);
            }

            if (m > 2)
            {
                Add(ref Unsafe.Add(ref dw, 2 * stride), t2, stride);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BlockScalar(ref float d, int ldd, int n, ref float x, ref int offsets, int m, int length, ref float dw, int lddw, int stride)
    {
        for (int r = 0; r < n; r++)
        {
            ref float dr = ref Unsafe.Add(ref d, r * ldd);
            for (int t = 0; t < m; t++)
            {
                ref float xt = ref Unsafe.Add(ref x, Unsafe.Add(ref offsets, t));
                float acc = 0f;
                for (int q = 0; q < length; q++)
                {
                    acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref dr, q), Unsafe.Add(ref xt, q), acc);
                }

                Unsafe.Add(ref dw, (r * lddw) + (t * stride)) += acc;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref float lanes, Vector256<float> v, int stride)
    {
        if (stride == 1)
        {
            lanes += Vector256.Sum(v);
        }
        else
        {
            (Vector256.LoadUnsafe(ref lanes) + v).StoreUnsafe(ref lanes);
        }
    }
}
