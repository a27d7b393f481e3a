using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>Kernels of <see cref="PackRows"/>, <see cref="RowSums"/> (128 bits included) and <see cref="ColumnSums"/>.</content>
public static partial class Gemm
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRowsCore(ref float source, int rows, int length, ref float panels, int level)
    {
        int fullPanels = length / PanelWidth;
        int rest = length - (fullPanels * PanelWidth);
        for (int pb = 0; pb < fullPanels; pb++)
        {
            // Panel-major order writes the destination sequentially; each source read is 128 contiguous bytes.
            ref float destination = ref Unsafe.Add(ref panels, (nint)pb * rows * PanelWidth);
            ref float first = ref Unsafe.Add(ref source, pb * PanelWidth);
            for (int r = 0; r < rows; r++)
            {
                ref float from = ref Unsafe.Add(ref first, (nint)r * length);
                ref float to = ref Unsafe.Add(ref destination, r * PanelWidth);
                switch (level)
                {
                    case 2:
                        Vector512.LoadUnsafe(ref from).StoreUnsafe(ref to);
                        Vector512.LoadUnsafe(ref from, 16).StoreUnsafe(ref to, 16);
                        break;
                    case 1:
                        Vector256.LoadUnsafe(ref from).StoreUnsafe(ref to);
                        Vector256.LoadUnsafe(ref from, 8).StoreUnsafe(ref to, 8);
                        Vector256.LoadUnsafe(ref from, 16).StoreUnsafe(ref to, 16);
                        Vector256.LoadUnsafe(ref from, 24).StoreUnsafe(ref to, 24);
                        break;
                    default:
                        MemoryMarshal.CreateReadOnlySpan(ref from, PanelWidth).CopyTo(MemoryMarshal.CreateSpan(ref to, PanelWidth));
                        break;
                }
            }
        }

        if (rest == 0)
        {
            return;
        }

        // The last, partial panel: copy what the rows have and zero the rest, never reading past a row.
        ref float last = ref Unsafe.Add(ref panels, (nint)fullPanels * rows * PanelWidth);
        for (int r = 0; r < rows; r++)
        {
            var to = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref last, r * PanelWidth), PanelWidth);
            MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref source, ((nint)r * length) + (fullPanels * PanelWidth)), rest).CopyTo(to);
            to.Slice(rest).Clear();
        }
    }

    /// <summary>Widens 32 floats per step into four double accumulators; the tail is scalar double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowSums512(ref float source, int rows, int length, ref float destination)
    {
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref source, (nint)r * length);
            Vector512<double> d0 = default, d1 = default, d2 = default, d3 = default;
            int i = 0;
            for (; i + 32 <= length; i += 32)
            {
                (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen(Vector512.LoadUnsafe(ref row, (nuint)i));
                d0 += lo;
                d1 += hi;
                (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref row, (nuint)(i + 16)));
                d2 += lo;
                d3 += hi;
            }

            if (i + 16 <= length)
            {
                (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen(Vector512.LoadUnsafe(ref row, (nuint)i));
                d0 += lo;
                d1 += hi;
                i += 16;
            }

            double sum = Vector512.Sum((d0 + d2) + (d1 + d3));
            for (; i < length; i++)
            {
                sum += Unsafe.Add(ref row, i);
            }

            ref float d = ref Unsafe.Add(ref destination, r);
            d = (float)(d + sum);
        }
    }

    /// <summary>Widens 16 floats per step into four double accumulators; the tail is scalar double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowSums256(ref float source, int rows, int length, ref float destination)
    {
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref source, (nint)r * length);
            Vector256<double> d0 = default, d1 = default, d2 = default, d3 = default;
            int i = 0;
            for (; i + 16 <= length; i += 16)
            {
                (Vector256<double> lo, Vector256<double> hi) = Vector256.Widen(Vector256.LoadUnsafe(ref row, (nuint)i));
                d0 += lo;
                d1 += hi;
                (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref row, (nuint)(i + 8)));
                d2 += lo;
                d3 += hi;
            }

            if (i + 8 <= length)
            {
                (Vector256<double> lo, Vector256<double> hi) = Vector256.Widen(Vector256.LoadUnsafe(ref row, (nuint)i));
                d0 += lo;
                d1 += hi;
                i += 8;
            }

            double sum = Vector256.Sum((d0 + d2) + (d1 + d3));
            for (; i < length; i++)
            {
                sum += Unsafe.Add(ref row, i);
            }

            ref float d = ref Unsafe.Add(ref destination, r);
            d = (float)(d + sum);
        }
    }

    /// <summary>
    /// <see cref="RowSums256"/> at 128 bits: each of its four Vector256 double accumulators as two Vector128 halves (lanes 0–1 and
    /// 2–3), the same 16- and 8-float steps and scalar tail, and the lanes added across as <c>Vector256.Sum</c> adds them on x64 (each
    /// half across, then the halves): the 256-bit path's bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowSums128(ref float source, int rows, int length, ref float destination)
    {
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref source, (nint)r * length);
            Vector128<double> d0l = default, d0h = default, d1l = default, d1h = default, d2l = default, d2h = default, d3l = default, d3h = default;
            int i = 0;
            for (; i + 16 <= length; i += 16)
            {
                (Vector128<double> lo, Vector128<double> hi) = Vector128.Widen(Vector128.LoadUnsafe(ref row, (nuint)i));
                d0l += lo;
                d0h += hi;
                (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref row, (nuint)(i + 4)));
                d1l += lo;
                d1h += hi;
                (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref row, (nuint)(i + 8)));
                d2l += lo;
                d2h += hi;
                (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref row, (nuint)(i + 12)));
                d3l += lo;
                d3h += hi;
            }

            if (i + 8 <= length)
            {
                (Vector128<double> lo, Vector128<double> hi) = Vector128.Widen(Vector128.LoadUnsafe(ref row, (nuint)i));
                d0l += lo;
                d0h += hi;
                (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref row, (nuint)(i + 4)));
                d1l += lo;
                d1h += hi;
                i += 8;
            }

            double sum = Vector128.Sum((d0l + d2l) + (d1l + d3l)) + Vector128.Sum((d0h + d2h) + (d1h + d3h));
            for (; i < length; i++)
            {
                sum += Unsafe.Add(ref row, i);
            }

            ref float d = ref Unsafe.Add(ref destination, r);
            d = (float)(d + sum);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowSumsScalar(ref float source, int rows, int length, ref float destination)
    {
        for (int r = 0; r < rows; r++)
        {
            ref float row = ref Unsafe.Add(ref source, (nint)r * length);
            double sum = 0;
            for (int i = 0; i < length; i++)
            {
                sum += Unsafe.Add(ref row, i);
            }

            ref float d = ref Unsafe.Add(ref destination, r);
            d = (float)(d + sum);
        }
    }

    /// <summary>
    /// 16 columns at a time, walked down the rows two at a time into four double accumulators
    /// (even and odd rows) so consecutive adds do not wait on each other; the tail is scalar.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnSums512(ref float source, int rows, int cols, ref float destination)
    {
        int q = 0;
        for (; q + 16 <= cols; q += 16)
        {
            Vector512<double> d0 = default, d1 = default, d2 = default, d3 = default;
            ref float column = ref Unsafe.Add(ref source, q);
            int r = 0;
            for (; r + 2 <= rows; r += 2)
            {
                ref float at = ref Unsafe.Add(ref column, (nint)r * cols);
                (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen(Vector512.LoadUnsafe(ref at));
                d0 += lo;
                d1 += hi;
                (lo, hi) = Vector512.Widen(Vector512.LoadUnsafe(ref Unsafe.Add(ref at, cols)));
                d2 += lo;
                d3 += hi;
            }

            if (r < rows)
            {
                (Vector512<double> lo, Vector512<double> hi) = Vector512.Widen(Vector512.LoadUnsafe(ref Unsafe.Add(ref column, (nint)r * cols)));
                d0 += lo;
                d1 += hi;
            }

            ref float to = ref Unsafe.Add(ref destination, q);
            (Vector512<double> t0, Vector512<double> t1) = Vector512.Widen(Vector512.LoadUnsafe(ref to));
            Vector512.Narrow(t0 + (d0 + d2), t1 + (d1 + d3)).StoreUnsafe(ref to);
        }

        ColumnSumsScalar(ref source, q, rows, cols, ref destination);
    }

    /// <summary>
    /// 8 columns at a time, walked down the rows two at a time into four double accumulators
    /// (even and odd rows) so consecutive adds do not wait on each other; the tail is scalar.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnSums256(ref float source, int rows, int cols, ref float destination)
    {
        int q = 0;
        for (; q + 8 <= cols; q += 8)
        {
            Vector256<double> d0 = default, d1 = default, d2 = default, d3 = default;
            ref float column = ref Unsafe.Add(ref source, q);
            int r = 0;
            for (; r + 2 <= rows; r += 2)
            {
                ref float at = ref Unsafe.Add(ref column, (nint)r * cols);
                (Vector256<double> lo, Vector256<double> hi) = Vector256.Widen(Vector256.LoadUnsafe(ref at));
                d0 += lo;
                d1 += hi;
                (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref Unsafe.Add(ref at, cols)));
                d2 += lo;
                d3 += hi;
            }

            if (r < rows)
            {
                (Vector256<double> lo, Vector256<double> hi) = Vector256.Widen(Vector256.LoadUnsafe(ref Unsafe.Add(ref column, (nint)r * cols)));
                d0 += lo;
                d1 += hi;
            }

            ref float to = ref Unsafe.Add(ref destination, q);
            (Vector256<double> t0, Vector256<double> t1) = Vector256.Widen(Vector256.LoadUnsafe(ref to));
            Vector256.Narrow(t0 + (d0 + d2), t1 + (d1 + d3)).StoreUnsafe(ref to);
        }

        ColumnSumsScalar(ref source, q, rows, cols, ref destination);
    }

    /// <summary>Columns <paramref name="from"/>..cols in double: the scalar path and the vector paths' tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ColumnSumsScalar(ref float source, int from, int rows, int cols, ref float destination)
    {
        for (int q = from; q < cols; q++)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++)
            {
                sum += Unsafe.Add(ref source, ((nint)r * cols) + q);
            }

            ref float d = ref Unsafe.Add(ref destination, q);
            d = (float)(d + sum);
        }
    }
}
