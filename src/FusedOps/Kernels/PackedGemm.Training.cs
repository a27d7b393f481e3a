using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>The training forward's epilogue: the pre-activation kept for Backward and the activated output, both from the tile in registers.</summary>
public static partial class PackedGemm
{
    /// <summary>
    /// <c>C[r, j] = scale[j] · Σ_t A[r, t]·B[t, j] + shift[j]</c> (z, kept for the derivative) and
    /// <c>Y[r, j] = column_j(act(C[r, j]))</c> in the same pass, A row-major, C and Y with row stride <paramref name="cols"/>.
    /// </summary>
    /// <param name="act">The activation's state (the identity when only a column operator follows).</param>
    /// <param name="a">A, row-major (<paramref name="depth"/> floats per row).</param>
    /// <param name="rows">Rows of A, C and Y.</param>
    /// <param name="depth">Columns of A, rows of B.</param>
    /// <param name="packedB">B, packed for <paramref name="depth"/> rows and <paramref name="cols"/> columns.</param>
    /// <param name="cols">Columns of B, C and Y.</param>
    /// <param name="c">C: z.</param>
    /// <param name="y">Y: the activated output, as long as C.</param>
    /// <param name="shift">Per-column offsets (a bias), or empty.</param>
    /// <param name="column">The operator per column after the activation, or <see cref="ColumnOperator.None"/>.</param>
    /// <param name="slopes">With <see cref="ColumnOperator.Slope"/>, at least <paramref name="cols"/> slopes; with
    /// <see cref="ColumnOperator.RandomSlope"/>, one per element of C; else ignored.</param>
    /// <param name="residual">A residual added to z after the shift (C then keeps u = z + residual, Y = column(act(u))), as long as
    /// C, or empty.</param>
    /// <typeparam name="TAct">The activation.</typeparam>
    internal static unsafe void MultiplyKeep<TAct>(TAct act, ReadOnlySpan<float> a, int rows, int depth, ReadOnlySpan<float> packedB, int cols, Span<float> c,
        Span<float> y, ReadOnlySpan<float> shift, ColumnOperator column, ReadOnlySpan<float> slopes, ReadOnlySpan<float> residual = default)
        where TAct : struct, IActivationOperator
    {
        Check(a.Length, rows, depth, depth, 1, packedB.Length, cols, c.Length, cols, 0, shift.Length);
        if (y.Length < (long)rows * cols || (!residual.IsEmpty && residual.Length < (long)rows * cols))
        {
            throw new ArgumentException($"y and residual hold {y.Length} and {residual.Length} floats; {rows} × {cols} are needed.", nameof(y));
        }

        long needed = column switch { ColumnOperator.Slope => cols, ColumnOperator.RandomSlope => (long)rows * cols, _ => 0 };
        if (column == ColumnOperator.Maxout || slopes.Length < needed)
        {
            throw new ArgumentException($"column must be None, Slope, Bipolar or RandomSlope with {needed} slopes ({slopes.Length} given); it is {column}.", nameof(column));
        }

        if (rows == 0 || cols == 0)
        {
            return;
        }

        fixed (float* pa = a, pb = packedB, pc = c, py = y, ph = shift, pk = slopes, pr = residual)
        {
            var call = new GemmCall(pa, rows, depth, depth, 1, pb, cols, pc, cols, null, shift.IsEmpty ? null : ph, accumulate: false)
            {
                Column = column,
                Slopes = pk,
                Activated = py,
                Residual = residual.IsEmpty ? null : pr,
            };
            GemmJob<TAct>.Run(in call, act);
        }
    }

    /// <summary>
    /// Maxout over runs of <paramref name="pieces"/> consecutive columns of <c>C = A·B + shift</c>, in the epilogue: only
    /// <c>out[r, o] = max_k C[r, o·pieces + k]</c> (first maximum, a NaN wins) and its piece k are stored, never C.
    /// </summary>
    /// <param name="a">A, row-major (<paramref name="depth"/> floats per row).</param>
    /// <param name="rows">Rows of A and of the output.</param>
    /// <param name="depth">Columns of A, rows of B.</param>
    /// <param name="packedB">B, packed for <paramref name="depth"/> rows and <paramref name="cols"/> columns.</param>
    /// <param name="cols">Columns of B: a multiple of <paramref name="pieces"/>.</param>
    /// <param name="output">The output, cols / pieces floats per row.</param>
    /// <param name="winners">The winning piece of each output.</param>
    /// <param name="shift">Per-column offsets (a bias), or empty.</param>
    /// <param name="pieces">Pieces per output: 1, 2, 4, 8 or 16 (a run never leaves its panel).</param>
    internal static unsafe void MultiplyMaxoutRuns(ReadOnlySpan<float> a, int rows, int depth, ReadOnlySpan<float> packedB, int cols, Span<float> output,
        Span<int> winners, ReadOnlySpan<float> shift, int pieces)
    {
        if (pieces < 1 || PanelWidth % pieces != 0 || cols % pieces != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pieces), pieces, $"pieces must divide {PanelWidth} and cols ({cols}).");
        }

        int outCols = cols / pieces;
        Check(a.Length, rows, depth, depth, 1, packedB.Length, cols, rows * cols, cols, 0, shift.Length);
        if (output.Length < (long)rows * outCols || winners.Length < (long)rows * outCols)
        {
            throw new ArgumentException($"output and winners hold {output.Length} and {winners.Length}; {rows} × {outCols} are needed.", nameof(output));
        }

        if (rows == 0 || cols == 0)
        {
            return;
        }

        // C itself is never read or written (the epilogue writes the output): the output stands in for its address.
        fixed (float* pa = a, pb = packedB, po = output, ph = shift)
        fixed (int* pw = winners)
        {
            var call = new GemmCall(pa, rows, depth, depth, 1, pb, cols, po, cols, null, shift.IsEmpty ? null : ph, accumulate: false)
            {
                Column = ColumnOperator.MaxoutRuns,
                Pieces = pieces,
                Out = po,
                OutCols = outCols,
                Winners = pw,
            };
            GemmJob<NoActivation>.Run(in call, default);
        }
    }

    // The finished lanes of a partial panel (count < 16) of a MultiplyKeep call, out of line: z per element (only `count` shifts
    // exist), then the activation on all 16 lanes at the call's width (a scalar activation per element cost 3x the product on a
    // 64 × 256 -> 10 layer), then the column operator on the lanes that exist.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void KeepPartial<TAct>(in GemmCall g, TAct act, Vector256<float> lo, Vector256<float> hi, int count, int row, int col)
        where TAct : struct, IActivationOperator
    {
        float* z = stackalloc float[PanelWidth];
        float* y = stackalloc float[PanelWidth];
        Vector256.Store(lo, z);
        Vector256.Store(hi, z + 8);
        nint at = ((nint)row * g.Ldc) + col;
        for (int j = 0; j < PanelWidth; j++)
        {
            z[j] = j >= count ? 0f : g.Residual == null ? g.Finish(default(NoActivation), z[j], col + j, 0f)
                : g.Finish(default(NoActivation), z[j], col + j, 0f) + g.Residual[at + j];
        }

        if (KernelDispatch.RuntimeBits >= 512)
        {
            Vector512.Store(act.Invoke(Vector512.Load(z)), y);
        }
        else if (KernelDispatch.RuntimeBits >= 256)
        {
            Vector256.Store(act.Invoke(Vector256.Load(z)), y);
            Vector256.Store(act.Invoke(Vector256.Load(z + 8)), y + 8);
        }
        else
        {
            for (int q = 0; q < PanelWidth; q += 4)
            {
                Vector128.Store(act.Invoke(Vector128.Load(z + q)), y + q);
            }
        }

        for (int j = 0; j < count; j++)
        {
            g.C[at + j] = z[j];
            g.Activated[at + j] = g.Column switch
            {
                ColumnOperator.None => y[j],
                ColumnOperator.RandomSlope => default(RReluOperator).Invoke(y[j], g.Slopes[at + j]),
                _ => ColumnScalar(g.Column, g.Slopes, y[j], col + j),
            };
        }
    }

    // The finished lanes of a partial panel (count < 16, whole runs) of a MaxoutRuns call, out of line.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void FinishRunsPartial<TAct>(in GemmCall g, TAct act, Vector256<float> lo, Vector256<float> hi, int count, int row, int col)
        where TAct : struct, IActivationOperator
    {
        float* lanes = stackalloc float[PanelWidth];
        for (int j = 0; j < count; j++)
        {
            lanes[j] = g.Finish(act, j < 8 ? lo.GetElement(j) : hi.GetElement(j - 8), col + j, 0f);
        }

        StoreMaxoutRuns(in g, lanes, count, row, col);
    }

    // Reduces `count` finished columns of row `row` from column `col` (whole runs) to their outputs and winning pieces, as
    // ChannelActivations.MaxoutForward: the first maximum wins, a NaN beats any number.
    private static unsafe void StoreMaxoutRuns(in GemmCall g, float* lanes, int count, int row, int col)
    {
        int pieces = g.Pieces, o0 = col / pieces;
        float* y = g.Out + ((nint)row * g.OutCols) + o0;
        int* winner = g.Winners + ((nint)row * g.OutCols) + o0;
        for (int j = 0; j * pieces < count; j++)
        {
            float* run = lanes + (j * pieces);
            float best = run[0];
            int at = 0;
            for (int k = 1; k < pieces; k++)
            {
                float v = run[k];
                if (v > best || (float.IsNaN(v) && !float.IsNaN(best)))
                {
                    (best, at) = (v, k);
                }
            }

            y[j] = best;
            winner[j] = at;
        }
    }
}
