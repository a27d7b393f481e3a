using System;

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
    /// <typeparam name="TAct">The activation.</typeparam>
    internal static unsafe void MultiplyKeep<TAct>(TAct act, ReadOnlySpan<float> a, int rows, int depth, ReadOnlySpan<float> packedB, int cols, Span<float> c,
        Span<float> y, ReadOnlySpan<float> shift, ColumnOperator column, ReadOnlySpan<float> slopes)
        where TAct : struct, IActivationOperator
    {
        Check(a.Length, rows, depth, depth, 1, packedB.Length, cols, c.Length, cols, 0, shift.Length);
        if (y.Length < (long)rows * cols)
        {
            throw new ArgumentException($"y holds {y.Length} floats; {rows} × {cols} are needed.", nameof(y));
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

        fixed (float* pa = a, pb = packedB, pc = c, py = y, ph = shift, pk = slopes)
        {
            var call = new GemmCall(pa, rows, depth, depth, 1, pb, cols, pc, cols, null, shift.IsEmpty ? null : ph, accumulate: false)
            {
                Column = column,
                Slopes = pk,
                Activated = py,
            };
            GemmJob<TAct>.Run(in call, act);
        }
    }
}
