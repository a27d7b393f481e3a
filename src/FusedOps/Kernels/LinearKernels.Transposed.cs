using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// The training forward's product with the roles swapped: <c>yᵀ = W·xᵀ</c> on <see cref="PackedGemm"/> with x packed (not W), then
/// yᵀ turned back with the bias added. W changes every step, so it is packed every step; packing is a transposition, and x is the
/// smaller operand when the batch is smaller than the layer (case M: 64 × 784 floats against W's 256 × 784, 9 against 41 µs),
/// so this moves fewer floats. Each output is summed over the depth in the same order, so z is bitwise the product
/// <see cref="PackedGemm"/> gives on a packed W.
/// </content>
public static partial class LinearKernels
{
    [ThreadStatic]
    private static float[]? t_swapped;

    // Whether packing x and transposing yᵀ back (rows × (length + cols) floats) moves under half the floats packing W does (cols ×
    // length): at S1's 16 × 64 → 32 (1,536 against 2,048) the swapped product took 0.92 µs against 0.81 on a packed W, at M's 64 ×
    // 784 → 256 (66,560 against 200,704) about 180 µs against 200.
    private static bool SwapPays(int rows, int cols, int length) =>
        cols >= PackedGemm.PanelWidth && 2L * rows * (length + cols) < (long)cols * length;

    /// <summary>y[r·cols + o] = Σ_i x[r·length + i]·w[o·length + i] + bias[o], as yᵀ = W·xᵀ with xᵀ packed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MatMulSwapped(ref float x, int rows, ref float w, int cols, int length, ref float y, ReadOnlySpan<float> bias)
    {
        int packedLength = PackedGemm.PackedLength(length, rows);
        long needed = packedLength + ((long)rows * cols);
        float[] scratch = t_swapped is { } s && s.Length >= needed ? s : (t_swapped = GC.AllocateArray<float>(checked((int)needed), pinned: true));
        Span<float> packed = scratch.AsSpan(0, packedLength), product = scratch.AsSpan(packedLength, rows * cols);
        PackedGemm.PackTransposed(MemoryMarshal.CreateReadOnlySpan(ref x, rows * length), rows, length, packed);
        PackedGemm.Multiply(MemoryMarshal.CreateReadOnlySpan(ref w, cols * length), cols, length, length, 1, packed, rows, product, rows,
            ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty, accumulate: false);
        TransposeAddBias(ref product[0], cols, rows, ref y, bias);
    }

    // y[r·cols + o] = t[o·rows + r] + bias[o] (no bias when empty): 8 outputs of a row at a time from a gather down t's column.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TransposeAddBias(ref float t, int cols, int rows, ref float y, ReadOnlySpan<float> bias)
    {
        fixed (float* pt = &t, py = &y, pb = bias)
        {
            int o = 0;
            if (KernelDispatch.RuntimeBits >= 256 && Avx2.IsSupported && (long)rows * 8 < int.MaxValue)
            {
                Vector256<int> index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * rows;
                for (; o <= cols - 8; o += 8)
                {
                    Vector256<float> add = bias.IsEmpty ? Vector256<float>.Zero : Vector256.Load(pb + o);
                    float* column = pt + ((nint)o * rows);
                    for (int r = 0; r < rows; r++)
                    {
                        Vector256<float> v = Avx2.GatherVector256(column + r, index, 4);
                        Vector256.Store(bias.IsEmpty ? v : v + add, py + ((nint)r * cols) + o);
                    }
                }
            }

            for (; o < cols; o++)
            {
                float* column = pt + ((nint)o * rows);
                for (int r = 0; r < rows; r++)
                {
                    py[((nint)r * cols) + o] = bias.IsEmpty ? column[r] : column[r] + pb[o];
                }
            }
        }
    }
}
