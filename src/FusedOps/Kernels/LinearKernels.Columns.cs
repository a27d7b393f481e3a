using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FusedOps.Kernels;

/// <summary>The Linear layer's inference with a PReLU, RReLU or BipolarReLU of the next layer in its epilogue.</summary>
public static partial class LinearKernels
{
    /// <summary>
    /// <see cref="Infer{TAct}"/> followed by a per-feature operator in the same pass: <c>y[r·cols + o] = column_o(act(scale[o] ·
    /// Σ_i x[r·length + i]·w[o·length + i] + shift[o]))</c>, with column_o PReLU's slope <c>slopes[o]</c> (RReLU's mean slope
    /// in every entry) or BipolarReLU (ReLU on even features, −ReLU(−x) on odd ones).
    /// </summary>
    /// <remarks>
    /// Frozen (<paramref name="packedW"/> set) or with 8 rows or more, the operator runs in <see cref="PackedGemm"/>'s epilogue on
    /// the tile in registers. With fewer rows and W unpacked (an unfrozen model's small batch), the dot products are followed
    /// by one elementwise pass, as in <see cref="Infer{TAct}"/>.
    /// </remarks>
    /// <typeparam name="TAct">The activation (the identity when the Linear group has none).</typeparam>
    /// <param name="act">The activation's state.</param>
    /// <param name="x">x[0]: <paramref name="rows"/> rows of <paramref name="length"/> floats.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="w">W as it is (out × in); read only when <paramref name="packedW"/> is empty.</param>
    /// <param name="packedW">W packed by <see cref="PackWeights"/>, or empty.</param>
    /// <param name="cols">Output features.</param>
    /// <param name="length">Input features.</param>
    /// <param name="y">y[0]: <paramref name="rows"/> rows of <paramref name="cols"/> floats.</param>
    /// <param name="scale">Per-feature factors, at least <paramref name="cols"/>.</param>
    /// <param name="shift">Per-feature offsets, at least <paramref name="cols"/>.</param>
    /// <param name="column">The operator per output feature.</param>
    /// <param name="slopes">With <see cref="ColumnOperator.Slope"/>, at least <paramref name="cols"/> slopes; else ignored.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InferColumns<TAct>(TAct act, ref float x, int rows, ReadOnlySpan<float> w, ReadOnlySpan<float> packedW, int cols, int length, ref float y,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ColumnOperator column, ReadOnlySpan<float> slopes)
        where TAct : struct, IActivationOperator
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        CheckLength(scale.Length, cols, nameof(scale));
        CheckLength(shift.Length, cols, nameof(shift));
        if (column is not (ColumnOperator.None or ColumnOperator.Slope or ColumnOperator.Bipolar))
        {
            throw new ArgumentOutOfRangeException(nameof(column), column, "column must be None, Slope or Bipolar.");
        }

        if (column == ColumnOperator.Slope)
        {
            CheckLength(slopes.Length, cols, nameof(slopes));
        }

        ReadOnlySpan<float> xs = MemoryMarshal.CreateReadOnlySpan(ref x, rows * length);
        Span<float> ys = MemoryMarshal.CreateSpan(ref y, rows * cols);
        if (!packedW.IsEmpty)
        {
            PackedGemm.MultiplyColumns(act, xs, rows, length, packedW, cols, ys, scale, shift, column, slopes);
            return;
        }

        CheckLength(w.Length, cols * length, nameof(w));
        if (PackScratch(rows, cols, length) is { } packed)
        {
            PackedGemm.PackTransposed(w, cols, length, packed);
            PackedGemm.MultiplyColumns(act, xs, rows, length, packed, cols, ys, scale, shift, column, slopes);
            return;
        }

        if (rows == 0 || cols == 0)
        {
            return;
        }

        MatMulCore(ref x, rows, ref MemoryMarshal.GetReference(w), cols, length, ref y);
        ColumnsPass(act, ys, rows, cols, scale, shift, column, slopes);
    }

    // The small unpacked case's epilogue, one element at a time: the same operators as PackedGemm's scalar edge.
    private static unsafe void ColumnsPass<TAct>(TAct act, Span<float> y, int rows, int cols, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift,
        ColumnOperator column, ReadOnlySpan<float> slopes)
        where TAct : struct, IActivationOperator
    {
        fixed (float* pk = slopes)
        {
            for (int r = 0; r < rows; r++)
            {
                Span<float> row = y.Slice(r * cols, cols);
                for (int o = 0; o < cols; o++)
                {
                    float v = act.Invoke((row[o] * scale[o]) + shift[o]);
                    row[o] = PackedGemm.ColumnScalar(column, pk, v, o);
                }
            }
        }
    }
}
