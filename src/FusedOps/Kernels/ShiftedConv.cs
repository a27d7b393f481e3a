using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>
/// The register-blocked products of a stride-1 convolution laid out on the padded-width grid (one output
/// row every <c>Wp</c> floats, so every kernel tap is a constant shift of one contiguous vector): no im2col.
/// <see cref="Product"/> is <c>C[r][j] = Σ_k A[r·lda + k]·B[offsets[k] + j]</c> (the forward convolution
/// and the input gradient) on A packed by <see cref="Pack"/>; <see cref="WeightGradient"/> is
/// <c>dW[r][t] += Σ_q D[r·ldd + q]·X[offsets[t] + q]</c>.
/// Used by <see cref="Conv2dTrainer"/>; vector widths follow <see cref="KernelDispatch.RuntimeBits"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class ShiftedConv
{
    /// <summary>Column granularity of <see cref="Product"/> (one Vector512): <c>cols</c> must be a multiple of it.</summary>
    public const int Columns = 16;

    /// <summary>Rows of A per packed panel (<see cref="Pack"/>): the rows of one register block at 512 bits, two at 256 and 128.</summary>
    public const int PanelRows = 8;

    /// <summary>Floats <see cref="Pack"/> writes for <paramref name="rows"/> × <paramref name="depth"/>: whole panels of <see cref="PanelRows"/>.</summary>
    public static int PackedLength(int rows, int depth) => (rows + PanelRows - 1) / PanelRows * PanelRows * depth;

    /// <summary>
    /// Packs A for <see cref="Product"/>: <c>packed[(p·depth + k)·8 + i] = A[(8p + i)·lda + k]</c>, zero for rows at or past
    /// <paramref name="rows"/>, so a register block reads its 8 weights of one tap from one 32-byte run (its broadcasts need no
    /// row strides held in registers) and walks the panel in order. The same layout at every width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(ref float a, int lda, int rows, int depth, ref float packed)
    {
        for (int p = 0; p < rows; p += PanelRows)
        {
            ref float panel = ref Unsafe.Add(ref packed, p * depth);
            for (int i = 0; i < PanelRows; i++)
            {
                bool real = p + i < rows;
                ref float ar = ref Unsafe.Add(ref a, (p + i) * lda);
                for (int k = 0; k < depth; k++)
                {
                    Unsafe.Add(ref panel, (k * PanelRows) + i) = real ? Unsafe.Add(ref ar, k) : 0f;
                }
            }
        }
    }

    /// <summary>
    /// <c>C[r·ldc + j] = Σ_k A[r·lda + k]·B[offsets[k] + j]</c> for r &lt; <paramref name="rows"/>, j &lt; <paramref name="cols"/>
    /// (a multiple of <see cref="Columns"/>), k &lt; <paramref name="depth"/>, with A as <see cref="Pack"/> wrote it; every sum
    /// runs over k in order from zero, one fused multiply-add per term, so every width gives the same bits. B is read at
    /// <c>offsets[k] + j</c> for j &lt; <paramref name="cols"/> only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Product(ref float packed, int rows, int depth, ref float b, ref int offsets, int cols, ref float c, int ldc)
    {
        switch (KernelDispatch.RuntimeBits)
        {
            case 512:
                fixed (float* pc = &c)
                {
                    Product512(ref packed, rows, depth, ref b, ref offsets, cols, new GridStore(pc, ldc));
                }

                break;
            case 256:
                Product256(ref packed, rows, depth, ref b, ref offsets, cols, ref c, ldc);
                break;
            case 128 when Tile128Supported:
                Product128(ref packed, rows, depth, ref b, ref offsets, cols, ref c, ldc);
                break;
            default:
                ProductScalar(ref packed, rows, depth, ref b, ref offsets, cols, ref c, ldc);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ProductScalar(ref float packed, int rows, int depth, ref float b, ref int offsets, int cols, ref float c, int ldc)
    {
        for (int r = 0; r < rows; r++)
        {
            ref float ar = ref Unsafe.Add(ref packed, ((r / PanelRows) * PanelRows * depth) + (r % PanelRows));
            ref float cr = ref Unsafe.Add(ref c, r * ldc);
            // Four columns at a time: four independent chains instead of one, each still in tap order.
            for (int j = 0; j < cols; j += 4)
            {
                float acc0 = 0f, acc1 = 0f, acc2 = 0f, acc3 = 0f;
                for (int k = 0; k < depth; k++)
                {
                    float w = Unsafe.Add(ref ar, k * PanelRows);
                    ref float bk = ref Unsafe.Add(ref b, Unsafe.Add(ref offsets, k) + j);
                    acc0 = MathF.FusedMultiplyAdd(w, bk, acc0);
                    acc1 = MathF.FusedMultiplyAdd(w, Unsafe.Add(ref bk, 1), acc1);
                    acc2 = MathF.FusedMultiplyAdd(w, Unsafe.Add(ref bk, 2), acc2);
                    acc3 = MathF.FusedMultiplyAdd(w, Unsafe.Add(ref bk, 3), acc3);
                }

                Unsafe.Add(ref cr, j) = acc0;
                Unsafe.Add(ref cr, j + 1) = acc1;
                Unsafe.Add(ref cr, j + 2) = acc2;
                Unsafe.Add(ref cr, j + 3) = acc3;
            }
        }
    }
}
