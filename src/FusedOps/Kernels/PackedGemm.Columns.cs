using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>What <see cref="PackedGemm"/>'s epilogue applies per column after the activation.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum ColumnOperator
{
    /// <summary>Nothing.</summary>
    None,

    /// <summary>PReLU with one slope per column: x &gt; 0 ? x : slope[j]·x (also RReLU's mean slope, in every column).</summary>
    Slope,

    /// <summary>BipolarReLU over the columns as features: ReLU on even columns, −ReLU(−x) on odd ones.</summary>
    Bipolar,

    /// <summary>Maxout: each panel's 16 columns are <c>pieces</c> runs of 16 / pieces, reduced to 16 / pieces outputs (<c>MultiplyMaxout</c>).</summary>
    Maxout,

    /// <summary>
    /// RReLU in training, slopes drawn per element (row-major, as the output): x ≤ 0 ? x·slope[r, j] : x
    /// (<see cref="LinearKernels.TrainForward{TAct}"/>, <see cref="LinearKernels.ColumnGradient"/> only).
    /// </summary>
    RandomSlope,

    /// <summary>
    /// Maxout in training: each run of <c>pieces</c> consecutive columns reduced to its first maximum (a NaN wins), the winning piece
    /// saved (<see cref="LinearKernels.TrainMaxout"/> only).
    /// </summary>
    MaxoutRuns,
}

/// <summary>
/// The per-column operator of <see cref="PackedGemm"/>'s epilogue: a PReLU, RReLU or BipolarReLU after a Linear layer,
/// on the tile of C while it is in registers. Vectors always start at a column that is a multiple of 4, so BipolarReLU's
/// interleaved form (even lanes ReLU) matches the columns; the scalar edge uses the column's own parity.
/// </summary>
public static partial class PackedGemm
{
    /// <summary>
    /// <see cref="Multiply{TAct}"/> with <paramref name="column"/> applied to every element after the activation:
    /// <c>C[r, j] = column_j(act(scale[j] · Σ_t A[r, t]·B[t, j] + shift[j]))</c>.
    /// </summary>
    /// <param name="act">The activation's state.</param>
    /// <param name="a">A, row-major (<paramref name="depth"/> floats per row).</param>
    /// <param name="rows">Rows of A and C.</param>
    /// <param name="depth">Columns of A, rows of B.</param>
    /// <param name="packedB">B, packed for <paramref name="depth"/> rows and <paramref name="cols"/> columns.</param>
    /// <param name="cols">Columns of B and C (C is row-major with row stride <paramref name="cols"/>).</param>
    /// <param name="c">C.</param>
    /// <param name="scale">Per-column factors, or empty for none.</param>
    /// <param name="shift">Per-column offsets, or empty for none.</param>
    /// <param name="column">The operator per column.</param>
    /// <param name="slopes">With <see cref="ColumnOperator.Slope"/>, at least <paramref name="cols"/> slopes; else ignored.</param>
    /// <typeparam name="TAct">The activation, applied before the column operator.</typeparam>
    internal static unsafe void MultiplyColumns<TAct>(TAct act, ReadOnlySpan<float> a, int rows, int depth, ReadOnlySpan<float> packedB, int cols, Span<float> c,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, ColumnOperator column, ReadOnlySpan<float> slopes)
        where TAct : struct, IActivationOperator
    {
        Check(a.Length, rows, depth, depth, 1, packedB.Length, cols, c.Length, cols, scale.Length, shift.Length);
        if (column == ColumnOperator.Slope && slopes.Length < cols)
        {
            throw new ArgumentException($"slopes holds {slopes.Length} floats; at least cols ({cols}) are needed.", nameof(slopes));
        }

        if (rows == 0 || cols == 0)
        {
            return;
        }

        fixed (float* pa = a, pb = packedB, pc = c, ps = scale, ph = shift, pk = slopes)
        {
            var call = new GemmCall(pa, rows, depth, depth, 1, pb, cols, pc, cols, scale.IsEmpty ? null : ps, shift.IsEmpty ? null : ph, accumulate: false)
            {
                Column = column,
                Slopes = pk,
            };
            GemmJob<TAct>.Run(in call, act);
        }
    }

    // The column operators and Maxout run out of line: inlined into each of a tile's 24 stores, they made the tiles'
    // depth loops slow (64 × 784 -> 256 at Vector512: about 4x the time, measured in the quick mode's Linear table).

    /// <summary>The column operator (or Maxout) on 16 finished lanes of row <paramref name="row"/> from column <paramref name="col"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void StoreColumns512(in GemmCall g, Vector512<float> v, int row, int col, float* c)
    {
        if (g.Column == ColumnOperator.Maxout)
        {
            StoreMaxout512(in g, v, row, col);
            return;
        }

        if (g.Column == ColumnOperator.RandomSlope)
        {
            Vector512.Store(default(RReluOperator).Invoke(v, Vector512.Load(ElementSlopes(in g, row, col))), c);
            return;
        }

        if (g.Column == ColumnOperator.MaxoutRuns)
        {
            float* lanes = stackalloc float[PanelWidth];
            Vector512.Store(v, lanes);
            StoreMaxoutRuns(in g, lanes, PanelWidth, row, col);
            return;
        }

        Vector512.Store(Column512(in g, v, col), c);
    }

    /// <summary>As <see cref="StoreColumns512"/>, for 16 lanes in two halves; at 128 bits each half's operator runs on Vector128.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static unsafe void StoreColumns256(in GemmCall g, Vector256<float> lo, Vector256<float> hi, int row, int col, float* c)
    {
        if (g.Column == ColumnOperator.Maxout)
        {
            StoreMaxout256(in g, lo, hi, row, col);
            return;
        }

        if (g.Column == ColumnOperator.RandomSlope)
        {
            StoreRandomSlopes256(in g, lo, hi, ElementSlopes(in g, row, col), c);
            return;
        }

        if (g.Column == ColumnOperator.MaxoutRuns)
        {
            float* lanes = stackalloc float[PanelWidth];
            Vector256.Store(lo, lanes);
            Vector256.Store(hi, lanes + 8);
            StoreMaxoutRuns(in g, lanes, PanelWidth, row, col);
            return;
        }

        if (KernelDispatch.RuntimeBits >= 256)
        {
            Vector256.Store(Column256(in g, lo, col), c);
            Vector256.Store(Column256(in g, hi, col + 8), c + 8);
            return;
        }

        Vector128.Store(Column128(in g, lo.GetLower(), col), c);
        Vector128.Store(Column128(in g, lo.GetUpper(), col + 4), c + 4);
        Vector128.Store(Column128(in g, hi.GetLower(), col + 8), c + 8);
        Vector128.Store(Column128(in g, hi.GetUpper(), col + 12), c + 12);
    }

    // RReLU's drawn slopes of row `row` from column `col`: laid out as the output (row stride Ldc).
    private static unsafe float* ElementSlopes(in GemmCall g, int row, int col) => g.Slopes + ((nint)row * g.Ldc) + col;

    private static unsafe void StoreRandomSlopes256(in GemmCall g, Vector256<float> lo, Vector256<float> hi, float* a, float* c)
    {
        var op = default(RReluOperator);
        if (KernelDispatch.RuntimeBits >= 256)
        {
            Vector256.Store(op.Invoke(lo, Vector256.Load(a)), c);
            Vector256.Store(op.Invoke(hi, Vector256.Load(a + 8)), c + 8);
            return;
        }

        Vector128.Store(op.Invoke(lo.GetLower(), Vector128.Load(a)), c);
        Vector128.Store(op.Invoke(lo.GetUpper(), Vector128.Load(a + 4)), c + 4);
        Vector128.Store(op.Invoke(hi.GetLower(), Vector128.Load(a + 8)), c + 8);
        Vector128.Store(op.Invoke(hi.GetUpper(), Vector128.Load(a + 12)), c + 12);
    }

    /// <summary>The column operator on one element of column <paramref name="col"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static unsafe float ColumnScalar(ColumnOperator column, float* slopes, float y, int col) =>
        column switch
        {
            ColumnOperator.Slope => new PReluOperator(slopes[col]).Invoke(y),
            ColumnOperator.Bipolar => new BipolarReluOperator(col % 2 == 1).Invoke(y),
            _ => y,
        };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Column512(in GemmCall g, Vector512<float> v, int col) =>
        g.Column == ColumnOperator.Slope
            ? Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, v * Vector512.Load(g.Slopes + col))
            : BipolarReluOperator.Interleaved.Invoke(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Column256(in GemmCall g, Vector256<float> v, int col) =>
        g.Column == ColumnOperator.Slope
            ? Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, v * Vector256.Load(g.Slopes + col))
            : BipolarReluOperator.Interleaved.Invoke(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector128<float> Column128(in GemmCall g, Vector128<float> v, int col) =>
        g.Column switch
        {
            ColumnOperator.None => v,
            ColumnOperator.Slope => Vector128.ConditionalSelect(Vector128.GreaterThan(v, Vector128<float>.Zero), v, v * Vector128.Load(g.Slopes + col)),
            _ => BipolarReluOperator.Interleaved.Invoke(v),
        };

    /// <summary>Marks the activation of a call with a column operator (<see cref="ColumnEpilogue{TAct}"/>).</summary>
    private interface IColumnEpilogue
    {
    }

    /// <summary><typeparamref name="TAct"/> as it is, as the type of the kernels that apply a column operator after it.</summary>
    private readonly struct ColumnEpilogue<TAct>(TAct inner) : IActivationOperator, IColumnEpilogue
        where TAct : struct, IActivationOperator
    {
        private readonly TAct _inner = inner;

        public float Invoke(float x) => _inner.Invoke(x);

        public Vector128<float> Invoke(Vector128<float> x) => _inner.Invoke(x);

        public Vector256<float> Invoke(Vector256<float> x) => _inner.Invoke(x);

        public Vector512<float> Invoke(Vector512<float> x) => _inner.Invoke(x);

        public float Backward(float g, float u) => _inner.Backward(g, u);

        public Vector128<float> Backward(Vector128<float> g, Vector128<float> u) => _inner.Backward(g, u);

        public Vector256<float> Backward(Vector256<float> g, Vector256<float> u) => _inner.Backward(g, u);

        public Vector512<float> Backward(Vector512<float> g, Vector512<float> u) => _inner.Backward(g, u);
    }
}
