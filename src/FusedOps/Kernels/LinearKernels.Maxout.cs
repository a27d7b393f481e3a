using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FusedOps.Kernels;

/// <summary>The Linear layer's inference with the next layer's Maxout in the packed GEMM's epilogue.</summary>
public static partial class LinearKernels
{
    /// <summary>
    /// Rows (features) of <paramref name="source"/> in the order <see cref="InferMaxout{TAct}"/> reads them: panels of 16, panel p
    /// holding <paramref name="pieces"/> runs of q = 16 / pieces rows, run k being piece k of outputs p·q … p·q + q − 1 (a zero
    /// row past the last output). Pieces that do not divide 16 take the blocked order: each block of 16 outputs takes
    /// <paramref name="pieces"/> panels, panel k holding piece k of the 16; the last outputs (m &lt; 16) piece-major, piece k of output
    /// j at row k·m + j, then zero rows to a whole panel. A new array of <see cref="MaxoutColumns"/> rows.
    /// </summary>
    /// <param name="source">Row-major, <paramref name="features"/> rows of <paramref name="rowLength"/> floats (a weight, or a scale with 1).</param>
    /// <param name="features">Rows: output features of the Linear, pieces per output of the Maxout.</param>
    /// <param name="rowLength">Floats per row.</param>
    /// <param name="pieces">Pieces per output; divides <paramref name="features"/>.</param>
    public static float[] MaxoutOrder(ReadOnlySpan<float> source, int features, int rowLength, int pieces)
    {
        // q: outputs per panel in Maxout order (unused in blocked order, where it may be 0).
        int cols = MaxoutColumns(features, pieces), q = Math.Max(1, PackedGemm.PanelWidth / pieces), outputs = features / pieces;
        CheckLength(source.Length, features * rowLength, nameof(source));
        float[] ordered = new float[cols * rowLength];
        for (int column = 0; column < cols; column++)
        {
            int o = (column / PackedGemm.PanelWidth * q) + (column % q), k = column % PackedGemm.PanelWidth / q;
            bool holds = PackedGemm.PanelWidth % pieces != 0 ? PackedGemm.MaxoutBlockSlot(column, outputs, pieces, out o, out k) : o < outputs;
            if (holds)
            {
                source.Slice(((o * pieces) + k) * rowLength, rowLength).CopyTo(ordered.AsSpan(column * rowLength));
            }
        }

        return ordered;
    }

    /// <summary>Columns of the Maxout-ordered product: whole panels of 16 for <paramref name="features"/> / <paramref name="pieces"/> outputs.</summary>
    /// <param name="features">Output features of the Linear.</param>
    /// <param name="pieces">Pieces per output, dividing <paramref name="features"/> (1, 2, 4, 8, 16: Maxout order; others: blocked order).</param>
    public static int MaxoutColumns(int features, int pieces)
    {
        if (pieces < 1 || features % pieces != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pieces), pieces, $"expected a positive divisor of the {features} features, got {pieces}");
        }

        if (PackedGemm.PanelWidth % pieces != 0)
        {
            return PackedGemm.MaxoutBlockColumns(features / pieces, pieces);
        }

        int q = PackedGemm.PanelWidth / pieces;
        return (features / pieces + q - 1) / q * PackedGemm.PanelWidth;
    }

    /// <summary>
    /// A Linear layer and the Maxout after it in one pass: <c>y[r·outCols + o] = max_k act(scale · x_r·w + shift)</c> over the pieces
    /// k of output o, with w, scale and shift in <see cref="MaxoutOrder"/> (<paramref name="cols"/> of them).
    /// </summary>
    /// <typeparam name="TAct">The Linear group's activation (the identity when it has none), applied before the maximum.</typeparam>
    /// <param name="act">The activation's state.</param>
    /// <param name="x">x[0]: <paramref name="rows"/> rows of <paramref name="length"/> floats.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="w">W in Maxout order (<paramref name="cols"/> × <paramref name="length"/>), or, for pieces not dividing 16, in PyTorch's order
    /// (<paramref name="outCols"/> · <paramref name="pieces"/> rows, packed in blocked order per call); read only when <paramref name="packedW"/> is empty.</param>
    /// <param name="packedW">That W packed by <see cref="PackWeights"/>, or empty (then it is packed per call).</param>
    /// <param name="cols">Columns in Maxout order (<see cref="MaxoutColumns"/>).</param>
    /// <param name="length">Input features.</param>
    /// <param name="y">y[0]: <paramref name="rows"/> rows of <paramref name="outCols"/> floats.</param>
    /// <param name="outCols">The Maxout's outputs per row.</param>
    /// <param name="scale">Per-column factors in Maxout order.</param>
    /// <param name="shift">Per-column offsets in Maxout order.</param>
    /// <param name="pieces">Pieces per output.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InferMaxout<TAct>(TAct act, ref float x, int rows, ReadOnlySpan<float> w, ReadOnlySpan<float> packedW, int cols, int length, ref float y,
        int outCols, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, int pieces)
        where TAct : struct, IActivationOperator
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        CheckLength(scale.Length, cols, nameof(scale));
        CheckLength(shift.Length, cols, nameof(shift));
        ReadOnlySpan<float> xs = MemoryMarshal.CreateReadOnlySpan(ref x, rows * length);
        Span<float> ys = MemoryMarshal.CreateSpan(ref y, rows * outCols);
        if (packedW.IsEmpty)
        {
            // Unfrozen: W is packed now (a per-thread scratch when it fits, else a new array), so a changed W is seen at once.
            bool blocked = pieces > 0 && PackedGemm.PanelWidth % pieces != 0;
            CheckLength(w.Length, blocked ? outCols * pieces * length : cols * length, nameof(w));
            float[] packed = PackScratch(Math.Max(rows, PackFromRows), cols, length) ?? new float[PackedGemm.PackedLength(length, cols)];
            if (blocked)
            {
                PackedGemm.PackTransposedMaxoutBlocks(w, outCols * pieces, length, pieces, packed);
            }
            else
            {
                PackedGemm.PackTransposed(w, cols, length, packed);
            }

            packedW = packed;
        }

        PackedGemm.MultiplyMaxout(act, xs, rows, length, packedW, cols, ys, outCols, scale, shift, pieces);
    }

    // The blocked order's bias, per thread (reordered per call, as W is packed per call).
    [ThreadStatic]
    private static float[]? t_maxoutBias;

    /// <summary><see cref="TrainMaxout"/> for pieces not dividing 16: W packed in blocked order, the bias reordered alike.</summary>
    private static void TrainMaxoutBlocks(ref float x, int rows, ReadOnlySpan<float> w, int cols, int length, ref float y, Span<int> winners,
        ReadOnlySpan<float> bias, int pieces)
    {
        int outputs = cols / pieces, ordered = PackedGemm.MaxoutBlockColumns(outputs, pieces);
        float[] packed = PackScratch(Math.Max(rows, PackFromRows), ordered, length) ?? new float[PackedGemm.PackedLength(length, ordered)];
        PackedGemm.PackTransposedMaxoutBlocks(w, cols, length, pieces, packed);
        Span<float> shift = Span<float>.Empty;
        if (!bias.IsEmpty)
        {
            shift = (t_maxoutBias is { } b && b.Length >= ordered ? b : (t_maxoutBias = new float[ordered])).AsSpan(0, ordered);
            for (int column = 0; column < ordered; column++)
            {
                shift[column] = PackedGemm.MaxoutBlockSlot(column, outputs, pieces, out int o, out int k) ? bias[(o * pieces) + k] : 0f;
            }
        }

        PackedGemm.MultiplyMaxout(default(PackedGemm.NoActivation), MemoryMarshal.CreateReadOnlySpan(ref x, rows * length), rows, length, packed, ordered,
            MemoryMarshal.CreateSpan(ref y, rows * outputs), outputs, ReadOnlySpan<float>.Empty, shift, pieces, winners);
    }
}
