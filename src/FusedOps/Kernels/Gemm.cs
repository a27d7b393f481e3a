using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// Matrix products and reductions the generated backward passes of Conv2d and Linear call.
/// Each entry point checks its counts, dispatches once on <see cref="KernelDispatch.Level"/> and hands
/// off to an unchecked Vector512, Vector256, Vector128 (Level 0 at <see cref="KernelDispatch.RuntimeBits"/> 128;
/// Gemm.Vector128.cs) or scalar kernel. The vector kernels are register-blocked
/// in the MLAS manner: a tile of C lives in vector locals for the whole depth loop, each B vector
/// is loaded once per step and reused by every row of the tile, A values are broadcast.
/// </summary>
/// <remarks>
/// Callers pass refs into arrays, so no kernel reads or writes outside the extents the arguments
/// describe: tails are handled with narrower vectors or scalars, never by over-reading, and rows of
/// a partial tile re-read an in-bounds row instead of the memory past it. Strides are in elements
/// and must not be negative. <see cref="AxpyRows"/> copies tiles into a
/// per-thread scratch of 32 KB, so every method may run on several threads at once.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Gemm
{
    private const int PanelWidth = ConvHelpers.PanelWidth;

    /// <summary>
    /// <c>C[r, j] (= or +=) Σ_{t&lt;depth} A[r·aRowStride + t·aColStride] · panel[t·32 + j]</c> for
    /// r &lt; <paramref name="rows"/>, j &lt; 32; all 32 columns of each row are written.
    /// Conv's input gradient: A is the transposed weight matrix (rows = taps, depth = output channels).
    /// </summary>
    /// <param name="a">A[0, 0].</param>
    /// <param name="aRowStride">Distance between A[r, t] and A[r + 1, t].</param>
    /// <param name="aColStride">Distance between A[r, t] and A[r, t + 1].</param>
    /// <param name="rows">Rows of A and C.</param>
    /// <param name="depth">Columns of A, rows of the panel.</param>
    /// <param name="panel">A panel of <paramref name="depth"/> rows of 32 floats.</param>
    /// <param name="c">C[0, 0].</param>
    /// <param name="ldc">Distance between rows of C; each row has room for 32 floats.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    public static void PanelGemm(ref float a, int aRowStride, int aColStride, int rows, int depth, ref float panel, ref float c, int ldc, bool accumulate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        switch (KernelDispatch.Level)
        {
            case 2:
                PanelGemm512(ref a, aRowStride, aColStride, rows, depth, ref panel, ref c, ldc, accumulate);
                break;
            case 1:
                PanelGemm256(ref a, aRowStride, aColStride, rows, depth, ref panel, ref c, ldc, accumulate);
                break;
            case 0 when KernelDispatch.RuntimeBits == 128:
                PanelGemm128(ref a, aRowStride, aColStride, rows, depth, ref panel, ref c, ldc, accumulate);
                break;
            default:
                AxpyRowsScalar(ref a, aRowStride, aColStride, rows, depth, ref panel, PanelWidth, PanelWidth, ref c, ldc, accumulate);
                break;
        }
    }

    /// <summary>
    /// <c>C[r, i] (= or +=) Σ_{t&lt;depth} A[r·aRowStride + t·aColStride] · B[t·ldb + i]</c> for
    /// r &lt; <paramref name="rows"/>, i &lt; <paramref name="length"/>.
    /// Linear's backward: dX = dZ·W, and dW += dZᵀ·X with A read transposed through its strides.
    /// </summary>
    /// <param name="a">A[0, 0].</param>
    /// <param name="aRowStride">Distance between A[r, t] and A[r + 1, t].</param>
    /// <param name="aColStride">Distance between A[r, t] and A[r, t + 1].</param>
    /// <param name="b">B[0, 0].</param>
    /// <param name="ldb">Distance between rows of B.</param>
    /// <param name="rows">Rows of A and C.</param>
    /// <param name="depth">Columns of A, rows of B.</param>
    /// <param name="length">Columns of B and C.</param>
    /// <param name="c">C[0, 0].</param>
    /// <param name="ldc">Distance between rows of C.</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    public static void AxpyRows(ref float a, int aRowStride, int aColStride, ref float b, int ldb, int rows, int depth, int length, ref float c, int ldc, bool accumulate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        switch (KernelDispatch.Level)
        {
            case 2:
                AxpyRowsVector(ref a, aRowStride, aColStride, ref b, ldb, rows, depth, length, ref c, ldc, accumulate, wide: true);
                break;
            case 1:
                AxpyRowsVector(ref a, aRowStride, aColStride, ref b, ldb, rows, depth, length, ref c, ldc, accumulate, wide: false);
                break;
            case 0 when KernelDispatch.RuntimeBits == 128:
                AxpyRows128(ref a, aRowStride, aColStride, ref b, ldb, rows, depth, length, ref c, ldc, accumulate);
                break;
            default:
                AxpyRowsScalar(ref a, aRowStride, aColStride, rows, depth, ref b, ldb, length, ref c, ldc, accumulate);
                break;
        }
    }

    /// <summary>
    /// Cuts each of <paramref name="rows"/> rows into 32-wide panels:
    /// <c>panels[(pb·rows + r)·32 + j] = source[r·length + pb·32 + j]</c>, zero past <paramref name="length"/>,
    /// for every pb &lt; ⌈length/32⌉.
    /// </summary>
    /// <param name="source">Row-major rows × length.</param>
    /// <param name="rows">Rows of the source.</param>
    /// <param name="length">Floats per source row.</param>
    /// <param name="panels">Room for ⌈length/32⌉·rows·32 floats.</param>
    public static void PackRows(ref float source, int rows, int length, ref float panels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        PackRowsCore(ref source, rows, length, ref panels, KernelDispatch.Level);
    }

    /// <summary><c>destination[r] += Σ_i source[r·length + i]</c>, summed in double.</summary>
    /// <param name="source">Row-major rows × length.</param>
    /// <param name="rows">Rows of the source.</param>
    /// <param name="length">Floats per row.</param>
    /// <param name="destination">One float per row.</param>
    public static void RowSums(ref float source, int rows, int length, ref float destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        switch (KernelDispatch.Level)
        {
            case 2:
                RowSums512(ref source, rows, length, ref destination);
                break;
            case 1:
                RowSums256(ref source, rows, length, ref destination);
                break;
            case 0 when KernelDispatch.RuntimeBits == 128:
                RowSums128(ref source, rows, length, ref destination);
                break;
            default:
                RowSumsScalar(ref source, rows, length, ref destination);
                break;
        }
    }

    /// <summary><c>destination[q] += Σ_r source[r·cols + q]</c>, summed in double.</summary>
    /// <param name="source">Row-major rows × cols.</param>
    /// <param name="rows">Rows of the source.</param>
    /// <param name="cols">Columns of the source.</param>
    /// <param name="destination">One float per column.</param>
    public static void ColumnSums(ref float source, int rows, int cols, ref float destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        switch (KernelDispatch.Level)
        {
            case 2:
                ColumnSums512(ref source, rows, cols, ref destination);
                break;
            case 1:
                ColumnSums256(ref source, rows, cols, ref destination);
                break;
            case 0 when KernelDispatch.RuntimeBits == 128:
                ColumnSums128(ref source, rows, cols, ref destination);
                break;
            default:
                ColumnSumsScalar(ref source, 0, rows, cols, ref destination);
                break;
        }
    }

    /// <summary>Stores (or adds) two vectors: one 32-wide row of a tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref float c, Vector512<float> v0, Vector512<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector512.LoadUnsafe(ref c);
            v1 += Vector512.LoadUnsafe(ref c, 16);
        }

        v0.StoreUnsafe(ref c);
        v1.StoreUnsafe(ref c, 16);
    }

    /// <summary>Stores (or adds) one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float c, Vector512<float> v, bool accumulate)
    {
        if (accumulate)
        {
            v += Vector512.LoadUnsafe(ref c);
        }

        v.StoreUnsafe(ref c);
    }

    /// <summary>Stores (or adds) four vectors: one 32-wide row of a tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(ref float c, Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector256.LoadUnsafe(ref c);
            v1 += Vector256.LoadUnsafe(ref c, 8);
            v2 += Vector256.LoadUnsafe(ref c, 16);
            v3 += Vector256.LoadUnsafe(ref c, 24);
        }

        v0.StoreUnsafe(ref c);
        v1.StoreUnsafe(ref c, 8);
        v2.StoreUnsafe(ref c, 16);
        v3.StoreUnsafe(ref c, 24);
    }

    /// <summary>Stores (or adds) one vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float c, Vector256<float> v, bool accumulate)
    {
        if (accumulate)
        {
            v += Vector256.LoadUnsafe(ref c);
        }

        v.StoreUnsafe(ref c);
    }

    /// <summary>
    /// The scalar form of <see cref="AxpyRows"/> (and of <see cref="PanelGemm"/> with ldb = length = 32);
    /// also the column tail of the vector paths.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AxpyRowsScalar(ref float a, nint aRowStride, nint aColStride, int rows, int depth, ref float b, nint ldb, int length, ref float c, nint ldc, bool accumulate)
    {
        for (int r = 0; r < rows; r++)
        {
            ref float ar = ref Unsafe.Add(ref a, r * aRowStride);
            ref float cr = ref Unsafe.Add(ref c, r * ldc);
            if (!accumulate)
            {
                for (int i = 0; i < length; i++)
                {
                    Unsafe.Add(ref cr, i) = 0f;
                }
            }

            for (int t = 0; t < depth; t++)
            {
                float x = Unsafe.Add(ref ar, t * aColStride);
                ref float bt = ref Unsafe.Add(ref b, t * ldb);
                for (int i = 0; i < length; i++)
                {
                    Unsafe.Add(ref cr, i) = Simd.Fma(x, Unsafe.Add(ref bt, i), Unsafe.Add(ref cr, i));
                }
            }
        }
    }
}
