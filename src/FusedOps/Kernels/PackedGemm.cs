using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// A register-blocked matrix product on a pre-packed right-hand side, in the manner of MLAS's SGEMM:
/// <c>C = act(scale ⊙ (A·B) + shift [+ C])</c>, the epilogue (per-column scale and shift, e.g. a bias
/// or a folded BatchNorm; an activation; an optional add of what C holds, e.g. a residual or a
/// gradient being accumulated) applied to each tile of C while it is still in registers.
/// </summary>
/// <remarks>
/// <para>
/// B is packed once by <see cref="Pack"/> or <see cref="PackTransposed"/> (at <c>Freeze()</c> for inference
/// weights, once per step for training) into panels of <see cref="PanelWidth"/> columns: for each panel,
/// its rows one after another, 16 floats each, the last panel padded with zeros. The panels start at the
/// first 64-byte boundary of the destination (0 to 15 floats in), and the destination's last float records
/// where, so a product reads whole cache lines (a Vector512 load that straddles two lines cost 9 % of a
/// 64 × 784 × 256 product); a buffer that moves (an unpinned array after a GC) is still read correctly.
/// The packing does not depend on the vector width, so a packed buffer stays valid when
/// <see cref="KernelOptions.MaxVectorBits"/> changes.
/// </para>
/// <para>
/// The kernel holds a tile of C in vector registers for the whole depth: 12 rows × 32 columns (24 ×
/// Vector512) at 512 bits, 6 × 16 (12 × Vector256) at 256, 3 × 16 (12 × Vector128) at 128; each step
/// loads the tile's B vectors once and broadcasts one A value per row. A is read through two strides,
/// so a transposed A (the weight gradient's dYᵀ) needs no copy. Every element of C is summed over the
/// depth in the same order whatever the tile, the thread or <see cref="KernelOptions.MaxDegreeOfParallelism"/>,
/// so results are bitwise identical for any degree of parallelism. Large calls are split over panels
/// (or, with few panels, over rows) across <see cref="ParallelWork"/>'s workers.
/// </para>
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class PackedGemm
{
    /// <summary>Columns per packed panel.</summary>
    public const int PanelWidth = 16;

    // Floats a packed B holds beyond its panels: up to 15 before them (to the 64-byte boundary) and the offset, last.
    private const int AlignSlack = 16;

    /// <summary>Floats a packed B of <paramref name="depth"/> rows and <paramref name="cols"/> columns takes (its panels and 16 more).</summary>
    public static int PackedLength(int depth, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        return checked((Panels(cols) * depth * PanelWidth) + AlignSlack);
    }

    /// <summary>Where the panels of a packed B start in its buffer (0 to 15 floats in), as <see cref="Pack"/> recorded it.</summary>
    /// <param name="packed">The packed buffer: its first <see cref="PackedLength"/> floats.</param>
    /// <param name="depth">Rows of B.</param>
    /// <param name="cols">Columns of B.</param>
    /// <remarks>Masked to 0–15, so a buffer that was never packed is still read within its bounds.</remarks>
    internal static unsafe int PanelOffset(float* packed, int depth, int cols) => (int)packed[(nint)Panels(cols) * depth * PanelWidth + AlignSlack - 1] & (AlignSlack - 1);

    // The offset to the first 64-byte boundary at or after `packed`, recorded in the buffer's last float.
    private static unsafe int StartPanels(float* packed, int depth, int cols)
    {
        int offset = (int)((-(nint)packed >> 2) & (AlignSlack - 1));
        packed[(nint)Panels(cols) * depth * PanelWidth + AlignSlack - 1] = offset;
        new Span<float>(packed, offset).Clear();
        return offset;
    }

    /// <summary>Packs B[t, j] = <paramref name="b"/>[t·<paramref name="ldb"/> + j] (rows along the depth, e.g. a Linear weight for dX = dY·W).</summary>
    /// <param name="b">B, row-major with row stride <paramref name="ldb"/>.</param>
    /// <param name="depth">Rows of B.</param>
    /// <param name="cols">Columns of B.</param>
    /// <param name="ldb">Distance between rows of B, at least <paramref name="cols"/>.</param>
    /// <param name="packed">Destination of <see cref="PackedLength"/> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Pack(ReadOnlySpan<float> b, int depth, int cols, int ldb, Span<float> packed)
    {
        CheckPack(b.Length, depth, cols, ldb, 1, packed.Length, nameof(b), nameof(ldb));
        fixed (float* pp = packed)
        {
            packed = packed.Slice(StartPanels(pp, depth, cols));
        }

        for (int p = 0; p < Panels(cols); p++)
        {
            int width = Math.Min(PanelWidth, cols - (p * PanelWidth));
            Span<float> panel = packed.Slice(p * depth * PanelWidth, depth * PanelWidth);
            for (int t = 0; t < depth; t++)
            {
                Span<float> row = panel.Slice(t * PanelWidth, PanelWidth);
                b.Slice((t * ldb) + (p * PanelWidth), width).CopyTo(row);
                row.Slice(width).Clear();
            }
        }
    }

    /// <summary>
    /// Packs B = Wᵀ from W[j, t] = <paramref name="w"/>[j·<paramref name="depth"/> + t]: a Linear weight
    /// (out × in, PyTorch's layout) for y = x·Wᵀ. Call it at <c>Freeze()</c>.
    /// </summary>
    /// <param name="w">W, <paramref name="cols"/> rows of <paramref name="depth"/> floats.</param>
    /// <param name="cols">Rows of W: output features, columns of B and C.</param>
    /// <param name="depth">Columns of W: input features.</param>
    /// <param name="packed">Destination of <see cref="PackedLength"/> floats.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void PackTransposed(ReadOnlySpan<float> w, int cols, int depth, Span<float> packed)
    {
        CheckPack(w.Length, depth, cols, 1, depth, packed.Length, nameof(w), nameof(depth));
        fixed (float* pw = w, start = packed)
        {
            float* pp = start + StartPanels(start, depth, cols);
            if (!PackJob.TryRun(pw, pp, cols, depth))
            {
                PackTransposedPanels(pw, pp, cols, depth, 0, Panels(cols));
            }
        }
    }

    // Panels p0 … p1 − 1 of PackTransposed, from W at `pw` into the panels at `pp`.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void PackTransposedPanels(float* pw, float* pp, int cols, int depth, int p0, int p1)
    {
        for (int p = p0; p < p1; p++)
        {
            int width = Math.Min(PanelWidth, cols - (p * PanelWidth));
            float* panel = pp + ((nint)p * depth * PanelWidth), rows = pw + ((nint)p * PanelWidth * depth);
            if (width == PanelWidth && Avx2.IsSupported && (long)depth * PanelWidth < int.MaxValue)
            {
                // Row t of the panel is column t of 16 rows of W: two 8-lane gathers with stride `depth`.
                Vector256<int> index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * depth;
                float* upper = rows + (8 * (nint)depth);
                for (int t = 0; t < depth; t++)
                {
                    Vector256.Store(Avx2.GatherVector256(rows + t, index, 4), panel + (t * PanelWidth));
                    Vector256.Store(Avx2.GatherVector256(upper + t, index, 4), panel + (t * PanelWidth) + 8);
                }

                continue;
            }

            // Without gathers, or for the last, partial panel: zero it, then read W's rows contiguously.
            new Span<float>(panel, depth * PanelWidth).Clear();
            for (int j = 0; j < width; j++)
            {
                float* source = rows + ((nint)j * depth), target = panel + j;
                for (int t = 0; t < depth; t++)
                {
                    target[t * PanelWidth] = source[t];
                }
            }
        }
    }

    /// <summary><c>C[r, j] = scale[j] · Σ_t A[r, t]·B[t, j] + shift[j] + (accumulate ? C[r, j] : 0)</c>: the product without activation.</summary>
    /// <inheritdoc cref="Multiply{TAct}(TAct, ReadOnlySpan{float}, int, int, int, int, ReadOnlySpan{float}, int, Span{float}, int, ReadOnlySpan{float}, ReadOnlySpan{float}, bool)"/>
    public static void Multiply(ReadOnlySpan<float> a, int rows, int depth, int aRowStride, int aColStride, ReadOnlySpan<float> packedB, int cols, Span<float> c, int ldc,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool accumulate) =>
        Multiply(default(NoActivation), a, rows, depth, aRowStride, aColStride, packedB, cols, c, ldc, scale, shift, accumulate);

    /// <summary>
    /// <c>C[r, j] = act(scale[j] · Σ_t A[r, t]·B[t, j] + shift[j] + (accumulate ? C[r, j] : 0))</c> for
    /// r &lt; <paramref name="rows"/>, j &lt; <paramref name="cols"/>, with
    /// <c>A[r, t] = a[r·aRowStride + t·aColStride]</c> and B packed by <see cref="Pack"/> or <see cref="PackTransposed"/>.
    /// </summary>
    /// <typeparam name="TAct">The activation, applied last; the JIT specialises the kernel for it.</typeparam>
    /// <param name="act">The activation's state (a slope, a clamp range).</param>
    /// <param name="a">A.</param>
    /// <param name="rows">Rows of A and C (the batch, for a Linear layer).</param>
    /// <param name="depth">Columns of A, rows of B.</param>
    /// <param name="aRowStride">Distance between A[r, t] and A[r + 1, t]; <paramref name="depth"/> for a row-major A.</param>
    /// <param name="aColStride">Distance between A[r, t] and A[r, t + 1]; 1 for a row-major A.</param>
    /// <param name="packedB">B, packed for <paramref name="depth"/> rows and <paramref name="cols"/> columns.</param>
    /// <param name="cols">Columns of B and C.</param>
    /// <param name="c">C, row-major with row stride <paramref name="ldc"/>; only its first <paramref name="cols"/> columns are written.</param>
    /// <param name="ldc">Distance between rows of C, at least <paramref name="cols"/>.</param>
    /// <param name="scale">Per-column factors, or empty for none (1).</param>
    /// <param name="shift">Per-column offsets (a bias, a folded BatchNorm's shift), or empty for none (0).</param>
    /// <param name="accumulate">Add what C holds before the activation (a residual; a gradient being summed).</param>
    public static unsafe void Multiply<TAct>(TAct act, ReadOnlySpan<float> a, int rows, int depth, int aRowStride, int aColStride,
        ReadOnlySpan<float> packedB, int cols, Span<float> c, int ldc, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, bool accumulate)
        where TAct : struct, IActivationOperator
    {
        Check(a.Length, rows, depth, aRowStride, aColStride, packedB.Length, cols, c.Length, ldc, scale.Length, shift.Length);
        if (rows == 0 || cols == 0)
        {
            return;
        }

        fixed (float* pa = a, pb = packedB, pc = c, ps = scale, ph = shift)
        {
            var call = new GemmCall(pa, rows, depth, aRowStride, aColStride, pb, cols, pc, ldc, scale.IsEmpty ? null : ps, shift.IsEmpty ? null : ph, accumulate);
            GemmJob<TAct>.Run(in call, act);
        }
    }

    internal static int Panels(int cols) => (cols + PanelWidth - 1) / PanelWidth;

    private static void CheckPack(int sourceLength, int depth, int cols, int rowStride, int colStride, int packedLength, string source, string strideName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if (rowStride == 1 ? colStride < depth : rowStride < cols)
        {
            throw new ArgumentOutOfRangeException(strideName, rowStride == 1 ? colStride : rowStride, $"{strideName} must be at least {(rowStride == 1 ? depth : cols)}.");
        }

        long needed = depth == 0 || cols == 0 ? 0 : rowStride == 1 ? ((long)(cols - 1) * colStride) + depth : ((long)(depth - 1) * rowStride) + cols;
        if (sourceLength < needed)
        {
            throw new ArgumentException($"{source} holds {sourceLength} floats; {needed} are needed for {depth} × {cols}.", source);
        }

        int packed = PackedLength(depth, cols);
        if (packedLength < packed)
        {
            throw new ArgumentException($"packed holds {packedLength} floats; PackedLength({depth}, {cols}) = {packed} are needed.", "packed");
        }
    }

    private static void Check(int aLength, int rows, int depth, int aRowStride, int aColStride, int packedLength, int cols, int cLength, int ldc, int scaleLength, int shiftLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        ArgumentOutOfRangeException.ThrowIfNegative(aRowStride);
        ArgumentOutOfRangeException.ThrowIfNegative(aColStride);
        if (ldc < cols)
        {
            throw new ArgumentOutOfRangeException(nameof(ldc), ldc, $"ldc must be at least cols ({cols}).");
        }

        long aNeeded = rows == 0 || depth == 0 ? 0 : ((long)(rows - 1) * aRowStride) + ((long)(depth - 1) * aColStride) + 1;
        if (aLength < aNeeded)
        {
            throw new ArgumentException($"a holds {aLength} floats; {aNeeded} are needed for {rows} × {depth} with strides {aRowStride}, {aColStride}.", "a");
        }

        int packed = PackedLength(depth, cols);
        if (packedLength < packed)
        {
            throw new ArgumentException($"packedB holds {packedLength} floats; PackedLength({depth}, {cols}) = {packed} are needed.", "packedB");
        }

        long cNeeded = rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * ldc) + cols;
        if (cLength < cNeeded)
        {
            throw new ArgumentException($"c holds {cLength} floats; {cNeeded} are needed for {rows} × {cols} with ldc {ldc}.", "c");
        }

        if (scaleLength != 0 && scaleLength < cols)
        {
            throw new ArgumentException($"scale holds {scaleLength} floats; expected none or at least cols ({cols}).", "scale");
        }

        if (shiftLength != 0 && shiftLength < cols)
        {
            throw new ArgumentException($"shift holds {shiftLength} floats; expected none or at least cols ({cols}).", "shift");
        }
    }

    // The identity: a product without activation.
    [StructLayout(LayoutKind.Auto)]
    internal readonly struct NoActivation : IActivationOperator
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => x;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public System.Runtime.Intrinsics.Vector128<float> Invoke(System.Runtime.Intrinsics.Vector128<float> x) => x;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public System.Runtime.Intrinsics.Vector256<float> Invoke(System.Runtime.Intrinsics.Vector256<float> x) => x;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public System.Runtime.Intrinsics.Vector512<float> Invoke(System.Runtime.Intrinsics.Vector512<float> x) => x;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Backward(float g, float u) => g;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public System.Runtime.Intrinsics.Vector128<float> Backward(System.Runtime.Intrinsics.Vector128<float> g, System.Runtime.Intrinsics.Vector128<float> u) => g;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public System.Runtime.Intrinsics.Vector256<float> Backward(System.Runtime.Intrinsics.Vector256<float> g, System.Runtime.Intrinsics.Vector256<float> u) => g;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public System.Runtime.Intrinsics.Vector512<float> Backward(System.Runtime.Intrinsics.Vector512<float> g, System.Runtime.Intrinsics.Vector512<float> u) => g;
    }
}
