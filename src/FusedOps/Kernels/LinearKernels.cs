using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>The Linear forward product y = x·Wᵀ (both row-major, rows contiguous), register-blocked.</summary>
/// <remarks>
/// With 8 rows or more, W is packed on each call into a per-thread scratch and the product runs on
/// <see cref="PackedGemm"/> (split over threads when large); packing costs a fraction of the product at
/// that size. When the batch is small against the layer, x is packed instead and the product runs as yᵀ = W·xᵀ
/// (<c>MatMulSwapped</c>), the same bits. Code that calls this repeatedly with the same W (a frozen model) should pack W once with
/// <see cref="PackedGemm.PackTransposed"/> and call <see cref="PackedGemm.Multiply{TAct}"/> itself.
/// Fewer rows use dot products on W as it is (no packing), at 512, 256 or 128 bits (<see cref="KernelDispatch.RuntimeBits"/>).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class LinearKernels
{
    // From this many rows, packing W per call pays for itself.
    private const int PackFromRows = 8;

    // Largest W (in floats) packed per call; the per-thread scratch never grows beyond it.
    private const int MaxPackedFloats = 1 << 20;

    [ThreadStatic]
    private static float[]? t_packed;

    /// <summary>y[r·cols + o] = Σ_i x[r·length + i] · w[o·length + i].</summary>
    public static void MatMulNT(ref float x, int rows, ref float w, int cols, int length, ref float y) =>
        MatMulNT(ref x, rows, ref w, cols, length, ref y, ReadOnlySpan<float>.Empty);

    /// <summary>y[r·cols + o] = Σ_i x[r·length + i] · w[o·length + i] + bias[o] (no bias when empty), the bias added as each output is stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MatMulNT(ref float x, int rows, ref float w, int cols, int length, ref float y, ReadOnlySpan<float> bias)
    {
        if (rows >= PackFromRows && SwapPays(rows, cols, length) && (long)rows * length <= MaxPackedFloats)
        {
            MatMulSwapped(ref x, rows, ref w, cols, length, ref y, bias);
            return;
        }

        if (PackScratch(rows, cols, length) is { } packed)
        {
            PackedGemm.PackTransposed(MemoryMarshal.CreateReadOnlySpan(ref w, cols * length), cols, length, packed);
            PackedGemm.Multiply(MemoryMarshal.CreateReadOnlySpan(ref x, rows * length), rows, length, length, 1, packed, cols,
                MemoryMarshal.CreateSpan(ref y, rows * cols), cols, ReadOnlySpan<float>.Empty, bias, accumulate: false);
            return;
        }

        MatMulCore(ref x, rows, ref w, cols, length, ref y);
        if (bias.IsEmpty)
        {
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref y, r * cols);
            for (int o = 0; o < cols; o++)
            {
                Unsafe.Add(ref row, o) += bias[o];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MatMulCore(ref float x, int rows, ref float w, int cols, int length, ref float y)
    {
        int r = 0;
        for (; r + 2 <= rows; r += 2)
        {
            int o = 0;
            for (; o + 4 <= cols; o += 4)
            {
                Block2x4(ref Unsafe.Add(ref x, r * length), ref Unsafe.Add(ref w, o * length), length, ref Unsafe.Add(ref y, (r * cols) + o), cols);
            }

            for (; o < cols; o++)
            {
                Unsafe.Add(ref y, (r * cols) + o) = Dot(ref Unsafe.Add(ref x, r * length), ref Unsafe.Add(ref w, o * length), length);
                Unsafe.Add(ref y, ((r + 1) * cols) + o) = Dot(ref Unsafe.Add(ref x, (r + 1) * length), ref Unsafe.Add(ref w, o * length), length);
            }
        }

        for (; r < rows; r++)
        {
            for (int o = 0; o < cols; o++)
            {
                Unsafe.Add(ref y, (r * cols) + o) = Dot(ref Unsafe.Add(ref x, r * length), ref Unsafe.Add(ref w, o * length), length);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block2x4(ref float x, ref float w, int length, ref float y, int ldy)
    {
        int i = 0;
        float s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        if (KernelDispatch.Level == 2)
        {
            Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
            for (; i <= length - 16; i += 16)
            {
                Vector512<float> x0 = Vector512.LoadUnsafe(ref x, (nuint)i), x1 = Vector512.LoadUnsafe(ref x, (nuint)(length + i));
                Vector512<float> w0 = Vector512.LoadUnsafe(ref w, (nuint)i), w1 = Vector512.LoadUnsafe(ref w, (nuint)(length + i));
                Vector512<float> w2 = Vector512.LoadUnsafe(ref w, (nuint)((2 * length) + i)), w3 = Vector512.LoadUnsafe(ref w, (nuint)((3 * length) + i));
                a00 = Simd.Fma(x0, w0, a00); a01 = Simd.Fma(x0, w1, a01); a02 = Simd.Fma(x0, w2, a02); a03 = Simd.Fma(x0, w3, a03);
                a10 = Simd.Fma(x1, w0, a10); a11 = Simd.Fma(x1, w1, a11); a12 = Simd.Fma(x1, w2, a12); a13 = Simd.Fma(x1, w3, a13);
            }

            s00 = Vector512.Sum(a00); s01 = Vector512.Sum(a01); s02 = Vector512.Sum(a02); s03 = Vector512.Sum(a03);
            s10 = Vector512.Sum(a10); s11 = Vector512.Sum(a11); s12 = Vector512.Sum(a12); s13 = Vector512.Sum(a13);
        }
        else if (KernelDispatch.Level == 1)
        {
            Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
            for (; i <= length - 8; i += 8)
            {
                Vector256<float> x0 = Vector256.LoadUnsafe(ref x, (nuint)i), x1 = Vector256.LoadUnsafe(ref x, (nuint)(length + i));
                Vector256<float> w0 = Vector256.LoadUnsafe(ref w, (nuint)i), w1 = Vector256.LoadUnsafe(ref w, (nuint)(length + i));
                Vector256<float> w2 = Vector256.LoadUnsafe(ref w, (nuint)((2 * length) + i)), w3 = Vector256.LoadUnsafe(ref w, (nuint)((3 * length) + i));
                a00 = Simd.Fma(x0, w0, a00); a01 = Simd.Fma(x0, w1, a01); a02 = Simd.Fma(x0, w2, a02); a03 = Simd.Fma(x0, w3, a03);
                a10 = Simd.Fma(x1, w0, a10); a11 = Simd.Fma(x1, w1, a11); a12 = Simd.Fma(x1, w2, a12); a13 = Simd.Fma(x1, w3, a13);
            }

            s00 = Vector256.Sum(a00); s01 = Vector256.Sum(a01); s02 = Vector256.Sum(a02); s03 = Vector256.Sum(a03);
            s10 = Vector256.Sum(a10); s11 = Vector256.Sum(a11); s12 = Vector256.Sum(a12); s13 = Vector256.Sum(a13);
        }
        else if (KernelDispatch.RuntimeBits == 128)
        {
            Vector128<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
            for (; i <= length - 4; i += 4)
            {
                Vector128<float> x0 = Vector128.LoadUnsafe(ref x, (nuint)i), x1 = Vector128.LoadUnsafe(ref x, (nuint)(length + i));
                Vector128<float> w0 = Vector128.LoadUnsafe(ref w, (nuint)i), w1 = Vector128.LoadUnsafe(ref w, (nuint)(length + i));
                Vector128<float> w2 = Vector128.LoadUnsafe(ref w, (nuint)((2 * length) + i)), w3 = Vector128.LoadUnsafe(ref w, (nuint)((3 * length) + i));
                a00 = PackedGemm.Fma128(x0, w0, a00); a01 = PackedGemm.Fma128(x0, w1, a01); a02 = PackedGemm.Fma128(x0, w2, a02); a03 = PackedGemm.Fma128(x0, w3, a03);
                a10 = PackedGemm.Fma128(x1, w0, a10); a11 = PackedGemm.Fma128(x1, w1, a11); a12 = PackedGemm.Fma128(x1, w2, a12); a13 = PackedGemm.Fma128(x1, w3, a13);
            }

            s00 = Vector128.Sum(a00); s01 = Vector128.Sum(a01); s02 = Vector128.Sum(a02); s03 = Vector128.Sum(a03);
            s10 = Vector128.Sum(a10); s11 = Vector128.Sum(a11); s12 = Vector128.Sum(a12); s13 = Vector128.Sum(a13);
        }

        for (; i < length; i++)
        {
            float x0 = Unsafe.Add(ref x, i), x1 = Unsafe.Add(ref x, length + i);
            float w0 = Unsafe.Add(ref w, i), w1 = Unsafe.Add(ref w, length + i), w2 = Unsafe.Add(ref w, (2 * length) + i), w3 = Unsafe.Add(ref w, (3 * length) + i);
            s00 += x0 * w0; s01 += x0 * w1; s02 += x0 * w2; s03 += x0 * w3;
            s10 += x1 * w0; s11 += x1 * w1; s12 += x1 * w2; s13 += x1 * w3;
        }

        y = s00; Unsafe.Add(ref y, 1) = s01; Unsafe.Add(ref y, 2) = s02; Unsafe.Add(ref y, 3) = s03;
        Unsafe.Add(ref y, ldy) = s10; Unsafe.Add(ref y, ldy + 1) = s11; Unsafe.Add(ref y, ldy + 2) = s12; Unsafe.Add(ref y, ldy + 3) = s13;
    }

    /// <summary>Σ a[i]·b[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ref float a, ref float b, int length)
    {
        int i = 0;
        float s = 0;
        if (KernelDispatch.Level == 2)
        {
            Vector512<float> acc = default;
            for (; i <= length - 16; i += 16)
            {
                acc = Simd.Fma(Vector512.LoadUnsafe(ref a, (nuint)i), Vector512.LoadUnsafe(ref b, (nuint)i), acc);
            }

            s = Vector512.Sum(acc);
        }
        else if (KernelDispatch.Level == 1)
        {
            Vector256<float> acc = default;
            for (; i <= length - 8; i += 8)
            {
                acc = Simd.Fma(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i), acc);
            }

            s = Vector256.Sum(acc);
        }
        else if (KernelDispatch.RuntimeBits == 128)
        {
            Vector128<float> acc = default;
            for (; i <= length - 4; i += 4)
            {
                acc = PackedGemm.Fma128(Vector128.LoadUnsafe(ref a, (nuint)i), Vector128.LoadUnsafe(ref b, (nuint)i), acc);
            }

            s = Vector128.Sum(acc);
        }

        for (; i < length; i++)
        {
            s += Unsafe.Add(ref a, i) * Unsafe.Add(ref b, i);
        }

        return s;
    }
}
