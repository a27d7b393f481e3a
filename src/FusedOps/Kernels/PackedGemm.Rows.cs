using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// The product with the epilogue per row of C rather than per column: <c>C[r, j] = act(scale[r] · Σ_t A[r, t]·B[t, j] + shift[r])</c>,
/// for a convolution as W · im2col (<see cref="Im2colGemm"/>): A is the weights (a row per output channel), the packed B an
/// im2col block (a column per output pixel), so C is the output in NCHW and BatchNorm's scale and shift are per row. The
/// tiles are <see cref="Multiply{TAct}"/>'s; only the epilogue differs.
/// </summary>
public static partial class PackedGemm
{
    /// <summary>Where a packed B of <paramref name="depth"/> × <paramref name="cols"/> starts its panels in <paramref name="buffer"/>; records it, as <see cref="Pack"/> does.</summary>
    internal static unsafe float* StartRowPanels(float* buffer, int depth, int cols) => buffer + StartPanels(buffer, depth, cols);

    /// <summary>
    /// <c>C[r, j] = act(scale[r] · Σ_t A[r, t]·B[t, j] + shift[r])</c> for r &lt; <paramref name="rows"/>, j &lt; <paramref name="cols"/>,
    /// on the calling thread; A row-major (<paramref name="depth"/> floats a row), B packed in <paramref name="packedB"/> by
    /// <see cref="StartRowPanels"/> and its caller, C row-major with row stride <paramref name="ldc"/>. Summed over the depth in
    /// order, as every tile of <see cref="Multiply{TAct}"/>.
    /// </summary>
    internal static unsafe void MultiplyRows<TAct>(TAct act, float* a, int rows, int depth, float* packedB, int cols, float* c, int ldc, float* scale, float* shift)
        where TAct : struct, IActivationOperator
    {
        float* buffer = stackalloc float[(2 * TileRows * 2 * PanelWidth) + PanelWidth];
        var g = new GemmCall(a, rows, depth, depth, 1, packedB, cols, c, ldc, scale, shift, accumulate: false)
        {
            Scratch = (float*)(((nint)buffer + 63) & ~(nint)63),
        };
        RowsCore(in g, act);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowsCore<TAct>(in GemmCall g, TAct act)
        where TAct : struct, IActivationOperator
    {
        int panels = Panels(g.Cols);
        switch (KernelDispatch.RuntimeBits)
        {
            case 512:
                for (int p = 0; p < panels; p += 2)
                {
                    bool pair = p + 1 < panels;
                    int col = p * PanelWidth, width = Math.Min(2 * PanelWidth, g.Cols - col);
                    for (int r = 0; r < g.Rows;)
                    {
                        int tile = pair ? PairRows(g.Rows - r) : (g.Rows - r >= 2 * TileRows ? 2 * TileRows : TileRows);
                        if (tile == 2 * TileRows && pair)
                        {
                            Tile512x2x12(in g, p, r);
                        }
                        else if (tile == 2 * TileRows)
                        {
                            Tile512x1x12(in g, p, r);
                        }
                        else if (tile == 8)
                        {
                            Tile512x2x8(in g, p, r);
                        }
                        else if (pair)
                        {
                            Tile512x2(in g, p, r, g.Rows);
                        }
                        else
                        {
                            Tile512x1(in g, p, r, g.Rows);
                        }

                        FinishRows(in g, act, r, Math.Min(tile, g.Rows - r), col, width, 2 * PanelWidth);
                        r += tile;
                    }
                }

                break;
            case 256:
            case 128:
                int tileRows = KernelDispatch.RuntimeBits == 256 ? TileRows : 3;
                for (int p = 0; p < panels; p++)
                {
                    int col = p * PanelWidth, width = Math.Min(PanelWidth, g.Cols - col);
                    for (int r = 0; r < g.Rows; r += tileRows)
                    {
                        if (tileRows == TileRows)
                        {
                            Tile256(in g, p, r, g.Rows);
                        }
                        else
                        {
                            Tile128(in g, p, r, g.Rows);
                        }

                        FinishRows(in g, act, r, Math.Min(tileRows, g.Rows - r), col, width, PanelWidth);
                    }
                }

                break;
            default:
                RowsScalar(in g, act);
                break;
        }
    }

    // The epilogue on a parked tile, per row: `rows` rows of `width` columns from `col`, `pitch` floats a parked row (32 for
    // the two-panel tiles, 16 else). Out of line, as FinishColumns512, so no accumulator is live across it.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FinishRows<TAct>(in GemmCall g, TAct act, int r, int rows, int col, int width, int pitch)
        where TAct : struct, IActivationOperator
    {
        float* parked = g.Scratch;
        for (int i = 0; i < rows; i++, parked += pitch)
        {
            int row = r + i;
            float s = g.Scale[row], h = g.Shift[row];
            float* c = g.C + ((nint)row * g.Ldc) + col;
            int j = 0;
            if (KernelDispatch.RuntimeBits == 512)
            {
                Vector512<float> vs = Vector512.Create(s), vh = Vector512.Create(h);
                for (; j + 16 <= width; j += 16)
                {
                    Vector512.Store(act.Invoke((Vector512.Load(parked + j) * vs) + vh), c + j);
                }
            }
            else if (KernelDispatch.RuntimeBits == 256)
            {
                Vector256<float> vs = Vector256.Create(s), vh = Vector256.Create(h);
                for (; j + 8 <= width; j += 8)
                {
                    Vector256.Store(act.Invoke((Vector256.Load(parked + j) * vs) + vh), c + j);
                }
            }
            else
            {
                Vector128<float> vs = Vector128.Create(s), vh = Vector128.Create(h);
                for (; j + 4 <= width; j += 4)
                {
                    Vector128.Store(act.Invoke((Vector128.Load(parked + j) * vs) + vh), c + j);
                }
            }

            for (; j < width; j++)
            {
                c[j] = act.Invoke((parked[j] * s) + h);
            }
        }
    }

    // One element at a time, summed over the depth in order (as every vector tile does per lane).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowsScalar<TAct>(in GemmCall g, TAct act)
        where TAct : struct, IActivationOperator
    {
        for (int r = 0; r < g.Rows; r++)
        {
            float* a = g.A + ((nint)r * g.ARowStride), c = g.C + ((nint)r * g.Ldc);
            for (int j = 0; j < g.Cols; j++)
            {
                float* b = g.B + ((nint)(j / PanelWidth) * g.Depth * PanelWidth) + (j % PanelWidth);
                float s = 0;
                for (int t = 0; t < g.Depth; t++)
                {
                    s += a[t] * b[t * PanelWidth];
                }

                c[j] = act.Invoke((s * g.Scale[r]) + g.Shift[r]);
            }
        }
    }
}
