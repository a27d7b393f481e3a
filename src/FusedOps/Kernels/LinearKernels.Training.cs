using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// A Linear group's training epilogues: the forward keeps z and writes the activated output in the GEMM's epilogue; the backward
/// forms dZ from dY through the derivative and sums the bias (and PReLU slope) gradients in the same pass, block by block.
/// </summary>
public static partial class LinearKernels
{
    // Rows a backward block holds: about 4 K floats, so the block's dZ is still in L1 when its column sums read it.
    private const int BlockFloats = 4096;

    [ThreadStatic]
    private static double[]? t_slopeSums;

    /// <summary>
    /// The training forward of a Linear group with its activation (or the next layer's PReLU or BipolarReLU) in the GEMM's
    /// epilogue: <c>z[r·cols + o] = Σ_i x[r·length + i]·w[o·length + i] + bias[o]</c>, kept for Backward, and
    /// <c>y[r·cols + o] = column_o(act(z[r·cols + o]))</c>, both stored from the tile in registers (one pass over the output).
    /// </summary>
    /// <remarks>
    /// From 8 rows and 16 outputs W is packed into a per-thread scratch and the product runs on <see cref="PackedGemm"/> (split over
    /// threads, bitwise identical for any degree of parallelism); otherwise z is <see cref="MatMulNT(ref float, int, ref float, int, int, ref float, ReadOnlySpan{float})"/>'s
    /// product and one pass over it (in cache) applies the operators.
    /// </remarks>
    /// <typeparam name="TAct">The activation (the identity when only a column operator follows).</typeparam>
    /// <param name="act">The activation's state.</param>
    /// <param name="x">x[0]: <paramref name="rows"/> rows of <paramref name="length"/> floats.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="w">W (out × in).</param>
    /// <param name="cols">Output features.</param>
    /// <param name="length">Input features.</param>
    /// <param name="z">z[0]: <paramref name="rows"/> rows of <paramref name="cols"/> floats, the pre-activation.</param>
    /// <param name="y">y[0]: as z, the output.</param>
    /// <param name="bias">The bias, or empty.</param>
    /// <param name="column">The operator per feature after the activation (<see cref="ColumnOperator.None"/>, Slope, Bipolar, or RandomSlope: RReLU).</param>
    /// <param name="slopes">With <see cref="ColumnOperator.Slope"/>, one slope per feature; with RandomSlope, RReLU's slopes drawn per
    /// element (as z); else ignored.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TrainForward<TAct>(TAct act, ref float x, int rows, ReadOnlySpan<float> w, int cols, int length, ref float z, ref float y,
        ReadOnlySpan<float> bias, ColumnOperator column, ReadOnlySpan<float> slopes)
        where TAct : struct, IActivationOperator
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        CheckLength(w.Length, cols * length, nameof(w));
        if (!bias.IsEmpty)
        {
            CheckLength(bias.Length, cols, nameof(bias));
        }

        if (column is not (ColumnOperator.None or ColumnOperator.Slope or ColumnOperator.Bipolar or ColumnOperator.RandomSlope))
        {
            throw new ArgumentOutOfRangeException(nameof(column), column, "column must be None, Slope, Bipolar or RandomSlope.");
        }

        if (column is ColumnOperator.Slope or ColumnOperator.RandomSlope)
        {
            CheckLength(slopes.Length, column == ColumnOperator.Slope ? cols : rows * cols, nameof(slopes));
        }

        ReadOnlySpan<float> xs = MemoryMarshal.CreateReadOnlySpan(ref x, rows * length);
        Span<float> zs = MemoryMarshal.CreateSpan(ref z, rows * cols), ys = MemoryMarshal.CreateSpan(ref y, rows * cols);
        if (cols >= PackedGemm.PanelWidth && PackScratch(rows, cols, length) is { } packed)
        {
            PackedGemm.PackTransposed(w, cols, length, packed);
            PackedGemm.MultiplyKeep(act, xs, rows, length, packed, cols, zs, ys, bias, column, slopes);
            return;
        }

        // Fewer than 16 outputs (one partial panel, whose epilogue activates 16 lanes per row: 42 against 22 µs for 64 × 256 -> 10
        // with GELU, measured) or few rows: the product into z, then one pass over it while it is in cache.
        MatMulNT(ref x, rows, ref MemoryMarshal.GetReference(w), cols, length, ref z, bias);
        KeepPass(act, zs, ys, rows, cols, column, slopes);
    }

    // The narrow or small case's epilogue over z: the activation vectorised, then the column operator per element (PackedGemm's scalar edge).
    private static unsafe void KeepPass<TAct>(TAct act, Span<float> z, Span<float> y, int rows, int cols, ColumnOperator column, ReadOnlySpan<float> slopes)
        where TAct : struct, IActivationOperator
    {
        if (z.IsEmpty)
        {
            return;
        }

        ActivationPass.Forward(act, ref z[0], ref y[0], rows * cols);
        if (column == ColumnOperator.None)
        {
            return;
        }

        fixed (float* pk = slopes)
        {
            for (int i = 0; i < rows * cols; i++)
            {
                y[i] = column == ColumnOperator.RandomSlope ? default(RReluOperator).Invoke(y[i], slopes[i]) : PackedGemm.ColumnScalar(column, pk, y[i], i % cols);
            }
        }
    }

    /// <summary>
    /// The Linear group's backward prologue: <c>dz = act′(dy)</c> at the kept pre-activation z, and <c>biasGrad[o] += Σ_r dz[r·cols + o]</c>
    /// in the same pass (blocks of rows, each summed while it is in cache). dz may alias dy.
    /// </summary>
    /// <typeparam name="TAct">The activation.</typeparam>
    /// <param name="act">The activation's state.</param>
    /// <param name="dy">dY[0]: <paramref name="rows"/> rows of <paramref name="cols"/> floats.</param>
    /// <param name="z">z[0], as Forward kept it.</param>
    /// <param name="dz">dZ[0], written.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="cols">Output features.</param>
    /// <param name="biasGrad">The bias gradient (added to), or empty.</param>
    public static void ActivationGradient<TAct>(TAct act, ref float dy, ref float z, ref float dz, int rows, int cols, Span<float> biasGrad)
        where TAct : struct, IActivationOperator
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        CheckBiasGrad(biasGrad, cols);
        int block = BlockRows(cols);
        for (int r = 0; r < rows; r += block)
        {
            int count = Math.Min(block, rows - r), at = r * cols;
            ActivationPass.Backward(act, ref Unsafe.Add(ref dy, at), ref Unsafe.Add(ref z, at), ref Unsafe.Add(ref dz, at), count * cols);
            if (!biasGrad.IsEmpty)
            {
                Gemm.ColumnSums(ref Unsafe.Add(ref dz, at), count, cols, ref biasGrad[0]);
            }
        }
    }

    /// <summary>
    /// The backward prologue of a Linear with the next layer's PReLU, RReLU or BipolarReLU in its forward epilogue (and no activation of
    /// its own): dz = column′(dy) at z, the bias gradient, and PReLU's slope gradients (Σ dy·z over z ≤ 0, per feature or over all
    /// with one slope) in the same pass. Every sum runs over the rows in order in double, on one thread: bitwise the same for any
    /// degree of parallelism. dz may alias dy.
    /// </summary>
    /// <param name="dy">dY[0]: <paramref name="rows"/> rows of <paramref name="cols"/> floats.</param>
    /// <param name="z">z[0], the Linear's output as Forward kept it.</param>
    /// <param name="dz">dZ[0], written.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="cols">Output features.</param>
    /// <param name="biasGrad">The bias gradient (added to), or empty.</param>
    /// <param name="column"><see cref="ColumnOperator.Slope"/> (PReLU), <see cref="ColumnOperator.Bipolar"/>, or <see cref="ColumnOperator.RandomSlope"/> (RReLU).</param>
    /// <param name="slopes">PReLU's slopes: one, or one per feature; RReLU's, one per element of z as Forward drew them.</param>
    /// <param name="slopeGrad">Their gradients (added to), as long as <paramref name="slopes"/>.</param>
    public static void ColumnGradient(ref float dy, ref float z, ref float dz, int rows, int cols, Span<float> biasGrad, ColumnOperator column,
        ReadOnlySpan<float> slopes, Span<float> slopeGrad)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        CheckBiasGrad(biasGrad, cols);
        if (column is not (ColumnOperator.Slope or ColumnOperator.Bipolar or ColumnOperator.RandomSlope))
        {
            throw new ArgumentOutOfRangeException(nameof(column), column, "column must be Slope, Bipolar or RandomSlope.");
        }

        bool slope = column == ColumnOperator.Slope;
        if (slope && ((slopes.Length != 1 && slopes.Length != cols) || slopeGrad.Length != slopes.Length))
        {
            throw new ArgumentException($"slopes must hold 1 or {cols} floats and slopeGrad as many; they hold {slopes.Length} and {slopeGrad.Length}.", nameof(slopes));
        }

        if (column == ColumnOperator.RandomSlope)
        {
            CheckLength(slopes.Length, rows * cols, nameof(slopes));
        }

        double[] sums = t_slopeSums is { } s && s.Length >= cols ? s : (t_slopeSums = new double[cols]);
        Array.Clear(sums, 0, cols);
        int block = BlockRows(cols);
        for (int r = 0; r < rows; r += block)
        {
            int count = Math.Min(block, rows - r), at = r * cols;
            for (int i = 0; i < count; i++)
            {
                int row = at + (i * cols);
                ReadOnlySpan<float> a = column == ColumnOperator.RandomSlope ? slopes.Slice(row, cols) : slopes;
                ColumnGradientRow(ref Unsafe.Add(ref dy, row), ref Unsafe.Add(ref z, row), ref Unsafe.Add(ref dz, row), cols, column, a, sums);
            }

            if (!biasGrad.IsEmpty)
            {
                Gemm.ColumnSums(ref Unsafe.Add(ref dz, at), count, cols, ref biasGrad[0]);
            }
        }

        if (!slope)
        {
            return;
        }

        if (slopes.Length == 1)
        {
            double total = 0;
            for (int o = 0; o < cols; o++)
            {
                total += sums[o];
            }

            slopeGrad[0] += (float)total;
            return;
        }

        for (int o = 0; o < cols; o++)
        {
            slopeGrad[o] += (float)sums[o];
        }
    }

    // One row: 8 features at a time where Vector256 is in use, 4 at 128 bits (each vector starts at an even feature, as BipolarReLU's
    // interleaved form needs), then one at a time; PReLU's Σ dy·z over z ≤ 0 into the row-order double sums per feature.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnGradientRow(ref float dy, ref float z, ref float dz, int cols, ColumnOperator column, ReadOnlySpan<float> slopes, double[] sums)
    {
        int o = 0;
        bool one = slopes.Length == 1, slope = column == ColumnOperator.Slope, random = column == ColumnOperator.RandomSlope;
        if (KernelDispatch.Level >= 1)
        {
            ref double sum = ref MemoryMarshal.GetArrayDataReference(sums);
            for (; o <= cols - 8; o += 8)
            {
                Vector256<float> g = Vector256.LoadUnsafe(ref dy, (nuint)o), u = Vector256.LoadUnsafe(ref z, (nuint)o);
                if (random)
                {
                    default(RReluOperator).Backward(g, u, Vector256.Create(slopes.Slice(o, 8))).StoreUnsafe(ref dz, (nuint)o);
                    continue;
                }

                if (!slope)
                {
                    BipolarReluOperator.Interleaved.Backward(g, u).StoreUnsafe(ref dz, (nuint)o);
                    continue;
                }

                Vector256<float> a = one ? Vector256.Create(slopes[0]) : Vector256.Create(slopes.Slice(o, 8));
                Vector256<float> positive = Vector256.GreaterThan(u, Vector256<float>.Zero);
                Vector256<float> product = Vector256.AndNot(g * u, positive);
                Vector256.ConditionalSelect(positive, g, g * a).StoreUnsafe(ref dz, (nuint)o);
                (Vector256<double> lo, Vector256<double> hi) = Vector256.Widen(product);
                (Vector256.LoadUnsafe(ref sum, (nuint)o) + lo).StoreUnsafe(ref sum, (nuint)o);
                (Vector256.LoadUnsafe(ref sum, (nuint)(o + 4)) + hi).StoreUnsafe(ref sum, (nuint)(o + 4));
            }
        }
        else if (KernelDispatch.RuntimeBits == 128)
        {
            // The same operations 4 features a step (each value and each sum's terms as at 256 bits: elementwise, rows in order).
            ref double sum = ref MemoryMarshal.GetArrayDataReference(sums);
            for (; o <= cols - 4; o += 4)
            {
                Vector128<float> g = Vector128.LoadUnsafe(ref dy, (nuint)o), u = Vector128.LoadUnsafe(ref z, (nuint)o);
                if (random)
                {
                    default(RReluOperator).Backward(g, u, Vector128.Create(slopes.Slice(o, 4))).StoreUnsafe(ref dz, (nuint)o);
                    continue;
                }

                if (!slope)
                {
                    BipolarReluOperator.Interleaved.Backward(g, u).StoreUnsafe(ref dz, (nuint)o);
                    continue;
                }

                Vector128<float> a = one ? Vector128.Create(slopes[0]) : Vector128.Create(slopes.Slice(o, 4));
                Vector128<float> positive = Vector128.GreaterThan(u, Vector128<float>.Zero);
                Vector128<float> product = Vector128.AndNot(g * u, positive);
                Vector128.ConditionalSelect(positive, g, g * a).StoreUnsafe(ref dz, (nuint)o);
                (Vector128<double> lo, Vector128<double> hi) = Vector128.Widen(product);
                (Vector128.LoadUnsafe(ref sum, (nuint)o) + lo).StoreUnsafe(ref sum, (nuint)o);
                (Vector128.LoadUnsafe(ref sum, (nuint)(o + 2)) + hi).StoreUnsafe(ref sum, (nuint)(o + 2));
            }
        }

        for (; o < cols; o++)
        {
            float g = Unsafe.Add(ref dy, o), u = Unsafe.Add(ref z, o);
            if (random)
            {
                Unsafe.Add(ref dz, o) = default(RReluOperator).Backward(g, u, slopes[o]);
                continue;
            }

            if (!slope)
            {
                Unsafe.Add(ref dz, o) = new BipolarReluOperator(o % 2 == 1).Backward(g, u);
                continue;
            }

            Unsafe.Add(ref dz, o) = new PReluOperator(slopes[one ? 0 : o]).Backward(g, u);
            sums[o] += u > 0f ? 0f : g * u;
        }
    }

    private static int BlockRows(int cols) => Math.Max(1, BlockFloats / Math.Max(1, cols));

    private static void CheckBiasGrad(Span<float> biasGrad, int cols)
    {
        if (!biasGrad.IsEmpty)
        {
            CheckLength(biasGrad.Length, cols, nameof(biasGrad));
        }
    }

    /// <summary>
    /// The training forward of a Linear group with the next layer's Maxout in the GEMM's epilogue: each run of <paramref name="pieces"/>
    /// consecutive features of <c>z = x·Wᵀ + bias</c> is reduced as its tile is stored, and only
    /// <c>y[r·(cols/pieces) + o] = max_k z[r·cols + o·pieces + k]</c> (first maximum, a NaN wins) and the winning k are written; z is
    /// never stored (Backward needs only the winners). W is packed per call (a per-thread scratch when it fits); pieces that do not
    /// divide 16 pack it in blocked order (<see cref="MaxoutOrder"/>).
    /// </summary>
    /// <param name="x">x[0]: <paramref name="rows"/> rows of <paramref name="length"/> floats.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="w">W (out × in), in PyTorch's order.</param>
    /// <param name="cols">Output features of the Linear: a multiple of <paramref name="pieces"/>.</param>
    /// <param name="length">Input features.</param>
    /// <param name="y">y[0]: <paramref name="rows"/> rows of cols / pieces floats.</param>
    /// <param name="winners">The winning piece of each output, as long as y.</param>
    /// <param name="bias">The bias, or empty.</param>
    /// <param name="pieces">Pieces per output, dividing <paramref name="cols"/>.</param>
    public static void TrainMaxout(ref float x, int rows, ReadOnlySpan<float> w, int cols, int length, ref float y, Span<int> winners,
        ReadOnlySpan<float> bias, int pieces)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        CheckLength(w.Length, cols * length, nameof(w));
        if (!bias.IsEmpty)
        {
            CheckLength(bias.Length, cols, nameof(bias));
        }

        if (pieces < 1 || cols % pieces != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pieces), pieces, $"expected a positive divisor of the {cols} features, got {pieces}");
        }

        CheckLength(winners.Length, rows * (cols / pieces), nameof(winners));
        if (PackedGemm.PanelWidth % pieces != 0)
        {
            TrainMaxoutBlocks(ref x, rows, w, cols, length, ref y, winners, bias, pieces);
            return;
        }

        float[] packed = PackScratch(Math.Max(rows, PackFromRows), cols, length) ?? new float[PackedGemm.PackedLength(length, cols)];
        PackedGemm.PackTransposed(w, cols, length, packed);
        PackedGemm.MultiplyMaxoutRuns(MemoryMarshal.CreateReadOnlySpan(ref x, rows * length), rows, length, packed, cols,
            MemoryMarshal.CreateSpan(ref y, rows * (cols / pieces)), winners, bias, pieces);
    }

    /// <summary>
    /// The backward prologue of a Linear with the next layer's Maxout in its forward epilogue: dz gets each output's dy at its winning
    /// piece and 0 at the others, and <c>biasGrad[o] += Σ_r dz[r·cols + o]</c>, block by block in one pass.
    /// </summary>
    /// <param name="dy">dY[0]: <paramref name="rows"/> rows of cols / pieces floats.</param>
    /// <param name="winners">The winning pieces Forward saved.</param>
    /// <param name="dz">dZ[0]: <paramref name="rows"/> rows of <paramref name="cols"/> floats, written.</param>
    /// <param name="rows">Samples.</param>
    /// <param name="cols">Output features of the Linear.</param>
    /// <param name="pieces">Pieces per output.</param>
    /// <param name="biasGrad">The bias gradient (added to), or empty.</param>
    public static void MaxoutGradient(ref float dy, ReadOnlySpan<int> winners, ref float dz, int rows, int cols, int pieces, Span<float> biasGrad)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(pieces, 1);
        CheckBiasGrad(biasGrad, cols);
        int outCols = cols / pieces;
        CheckLength(winners.Length, rows * outCols, nameof(winners));
        int block = BlockRows(cols);
        for (int r = 0; r < rows; r += block)
        {
            int count = Math.Min(block, rows - r);
            ref float dzBlock = ref Unsafe.Add(ref dz, r * cols);
            MemoryMarshal.CreateSpan(ref dzBlock, count * cols).Clear();
            for (int i = r * outCols; i < (r + count) * outCols; i++)
            {
                Unsafe.Add(ref dz, ((i / outCols) * cols) + ((i % outCols) * pieces) + winners[i]) = Unsafe.Add(ref dy, i);
            }

            if (!biasGrad.IsEmpty)
            {
                Gemm.ColumnSums(ref dzBlock, count, cols, ref biasGrad[0]);
            }
        }
    }
}
