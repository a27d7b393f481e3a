using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// A Maxout after a Linear layer in <see cref="PackedGemm"/>'s epilogue. B's columns are ordered so that each panel of
/// 16 holds <c>pieces</c> runs of q = 16 / pieces columns: run k is piece k of outputs p·q … p·q + q − 1
/// (<see cref="LinearKernels.MaxoutOrder"/>). Each stored tile row is reduced over its runs (first maximum wins, a NaN
/// wins, as the Maxout pass) and only the q outputs are written, so a run never crosses a panel or a thread's part. Pieces that
/// do not divide 16 take the blocked order instead (PackedGemm.MaxoutBlocks.cs).
/// </summary>
public static partial class PackedGemm
{
    /// <summary>
    /// <c>out[r, o] = max_k act(scale[j] · Σ_t A[r, t]·B[t, j] + shift[j])</c> over the columns j that hold piece k of output o.
    /// </summary>
    /// <param name="act">The activation's state.</param>
    /// <param name="a">A, row-major (<paramref name="depth"/> floats per row).</param>
    /// <param name="rows">Rows of A and of the output.</param>
    /// <param name="depth">Columns of A, rows of B.</param>
    /// <param name="packedB">B in Maxout order, packed for <paramref name="depth"/> rows and <paramref name="cols"/> columns.</param>
    /// <param name="cols">Columns of B: a multiple of <see cref="PanelWidth"/> (pieces not dividing 16: <see cref="MaxoutBlockColumns"/>).</param>
    /// <param name="output">The output, <paramref name="outCols"/> floats per row.</param>
    /// <param name="outCols">Outputs per row, at most <paramref name="cols"/> / <paramref name="pieces"/>.</param>
    /// <param name="scale">Per-column factors in Maxout order, or empty.</param>
    /// <param name="shift">Per-column offsets in Maxout order, or empty.</param>
    /// <param name="pieces">Pieces per output: 1, 2, 4, 8 or 16 (Maxout order), or any other (blocked order).</param>
    /// <param name="winners">Blocked order only (training): the winning piece of each output (first maximum, a NaN beats any
    /// number, as <see cref="ChannelActivations.MaxoutForward"/>), as long as the output; or empty (inference: the in-order maximum).</param>
    /// <typeparam name="TAct">The activation, applied before the maximum.</typeparam>
    internal static unsafe void MultiplyMaxout<TAct>(TAct act, ReadOnlySpan<float> a, int rows, int depth, ReadOnlySpan<float> packedB, int cols,
        Span<float> output, int outCols, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, int pieces, Span<int> winners = default)
        where TAct : struct, IActivationOperator
    {
        bool blocked = pieces > 0 && PanelWidth % pieces != 0;
        if (pieces < 1 || cols % PanelWidth != 0 || (blocked ? cols != MaxoutBlockColumns(outCols, pieces) : outCols > cols / pieces))
        {
            throw new ArgumentOutOfRangeException(nameof(pieces), pieces, $"cols ({cols}) must be a multiple of {PanelWidth} holding {outCols} outputs of {pieces} pieces.");
        }

        // C itself is never read or written: the epilogue writes the output.
        Check(a.Length, rows, depth, depth, 1, packedB.Length, cols, rows == 0 ? 0 : ((rows - 1) * cols) + cols, cols, scale.Length, shift.Length);
        if (output.Length < (long)rows * outCols)
        {
            throw new ArgumentException($"output holds {output.Length} floats; {rows} × {outCols} are needed.", nameof(output));
        }

        if (!winners.IsEmpty && (!blocked || winners.Length < (long)rows * outCols))
        {
            throw new ArgumentException($"winners hold {winners.Length}; {rows} × {outCols} are needed, with pieces ({pieces}) not dividing {PanelWidth}.", nameof(winners));
        }

        if (rows == 0 || outCols == 0)
        {
            return;
        }

        fixed (float* pa = a, pb = packedB, po = output, ps = scale, ph = shift)
        fixed (int* pw = winners)
        {
            var call = new GemmCall(pa, rows, depth, depth, 1, pb, cols, po, cols, scale.IsEmpty ? null : ps, shift.IsEmpty ? null : ph, accumulate: false)
            {
                Column = ColumnOperator.Maxout,
                Pieces = pieces,
                Out = po,
                OutCols = outCols,
                PanelUnit = blocked ? MaxoutBlockUnit(pieces) : 0,
                Winners = winners.IsEmpty ? null : pw,
            };
            GemmJob<TAct>.Run(in call, act);
        }
    }

    /// <summary>Reduces the 16 finished columns of one panel (from column <paramref name="col"/>) of row <paramref name="row"/> to its outputs.</summary>
    private static unsafe void StoreMaxout(in GemmCall g, float* lanes, int row, int col)
    {
        if (PanelWidth % g.Pieces != 0)
        {
            StoreMaxoutBlockLanes(in g, lanes, row, col);
            return;
        }

        int q = PanelWidth / g.Pieces, o0 = col / g.Pieces, valid = Math.Min(q, g.OutCols - o0);
        float* y = g.Out + ((nint)row * g.OutCols) + o0;
        for (int j = 0; j < valid; j++)
        {
            float m = lanes[j];
            for (int k = 1; k < g.Pieces; k++)
            {
                m = ConvHelpers.PoolMax(m, lanes[(k * q) + j]);
            }

            y[j] = m;
        }
    }

    // Two or four pieces (runs of 8 or 4 lanes) reduce in registers (four as (0, 1) against (2, 3): the value of the in-order
    // maximum, up to the sign of a ±0 tie); a whole run of outputs is stored as one vector. Others go through the lanes; pieces not
    // dividing 16 (blocked order) take the maximum against the stored outputs in halves.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreMaxout512(in GemmCall g, Vector512<float> v, int row, int col)
    {
        if (g.Pieces is 2 or 4 || PanelWidth % g.Pieces != 0)
        {
            StoreMaxout256(in g, v.GetLower(), v.GetUpper(), row, col);
            return;
        }

        float* lanes = stackalloc float[PanelWidth];
        Vector512.Store(v, lanes);
        StoreMaxout(in g, lanes, row, col);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreMaxout256(in GemmCall g, Vector256<float> lo, Vector256<float> hi, int row, int col)
    {
        if (PanelWidth % g.Pieces != 0)
        {
            StoreMaxoutBlock(in g, lo, hi, row, col);
            return;
        }

        int o0 = col / g.Pieces;
        float* y = g.Out + ((nint)row * g.OutCols) + o0;
        if (g.Pieces == 2 && g.OutCols - o0 >= 8)
        {
            Vector256.Store(ConvHelpers.PoolMax(lo, hi), y);
            return;
        }

        if (g.Pieces == 4 && g.OutCols - o0 >= 4)
        {
            Vector128<float> m = ConvHelpers.PoolMax(ConvHelpers.PoolMax(lo.GetLower(), lo.GetUpper()), ConvHelpers.PoolMax(hi.GetLower(), hi.GetUpper()));
            Vector128.Store(m, y);
            return;
        }

        float* lanes = stackalloc float[PanelWidth];
        Vector256.Store(lo, lanes);
        Vector256.Store(hi, lanes + 8);
        StoreMaxout(in g, lanes, row, col);
    }
}
