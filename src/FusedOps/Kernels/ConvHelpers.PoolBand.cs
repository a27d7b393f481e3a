using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// Bands of the generated convolutions with a fused pool other than the 2×2 one: the output rows under one pooled row's
/// windows, computed into scratch by the register blocks, then pooled into that pooled row (the generator's PoolBand).
/// </summary>
public static partial class ConvHelpers
{
    /// <summary>
    /// For each position of each band (pooled row po, <paramref name="panels"/> panels of 32), the origin of its receptive field
    /// in the padded input, or −1 where the position is past the band's rows or columns: position t is output row
    /// r0 + t / <paramref name="rowStep"/>, column t mod <paramref name="rowStep"/> (below <paramref name="width"/>).
    /// </summary>
    public static int[] PoolBandPixels(int stride, int paddedWidth, Pooling.Window pool, int width, int rowStep, int panels)
    {
        int length = panels * PanelWidth;
        var pixels = new int[pool.OutH * length];
        for (int po = 0; po < pool.OutH; po++)
        {
            (int r0, int r1) = Pooling.Bounds(po, pool.H, pool);
            for (int t = 0; t < length; t++)
            {
                int row = t / rowStep, col = t % rowStep;
                pixels[(po * length) + t] = r0 + row < r1 && col < width ? ((r0 + row) * stride * paddedWidth) + (col * stride) : -1;
            }
        }

        return pixels;
    }

    /// <summary>
    /// Pools band <paramref name="po"/> of <paramref name="channels"/> output channels (each <paramref name="ld"/> floats, its rows
    /// <paramref name="rowStep"/> apart) into pooled row po of each channel (<paramref name="stride"/> apart from
    /// <paramref name="y"/>): the rows are reduced into the band's first row, then every run of k columns (a sliding window,
    /// vectorised), and each pooled output picks its window's run; windows cut by the padding are reduced column by column.
    /// MaxPool2d keeps the first maximum and lets a NaN win (<see cref="PoolMax(float, float)"/>); AvgPool2d divides by k²,
    /// padding counted. The band's first row is overwritten. Every vector width gives the same bits (element-wise steps only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PoolBand(ref float band, int channels, int ld, int rowStep, int po, ref float y, int stride, Pooling.Window pool, bool max)
    {
        (int r0, int r1) = Pooling.Bounds(po, pool.H, pool);
        int k = pool.Kernel, width = Math.Min(pool.W, ((pool.OutW - 1) * pool.Stride) - pool.Padding + k);
        int runs = Math.Max(0, width - k + 1);
        float inverse = 1f / (k * k);

        // The reduced runs: one row's worth, on the stack (an image wider than 1,024 pays an array per call).
        Span<float> reduced = runs <= 1024 ? stackalloc float[runs] : new float[runs];
        ref float run = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(reduced);
        for (int ch = 0; ch < channels; ch++)
        {
            ref float row = ref Unsafe.Add(ref band, ch * ld);
            for (int r = 1; r < r1 - r0; r++)
            {
                Reduce(ref row, ref Unsafe.Add(ref row, r * rowStep), width, 1, ref row, max);
            }

            // run[x] = the reduction of row[x .. x + k) in column order, for every x a whole window fits from.
            if (runs > 0)
            {
                Reduce(ref row, ref Unsafe.Add(ref row, 1), runs, k - 1, ref run, max);
            }

            ref float yc = ref Unsafe.Add(ref y, ch * stride);
            for (int q = 0; q < pool.OutW; q++)
            {
                int start = (q * pool.Stride) - pool.Padding;
                float value;
                if (start >= 0 && start + k <= width)
                {
                    value = Unsafe.Add(ref run, start);
                }
                else
                {
                    // A window cut by the padding: its columns inside the image only (−∞ or zeros outside).
                    (int c0, int c1) = Pooling.Bounds(q, pool.W, pool);
                    value = Unsafe.Add(ref row, c0);
                    for (int c = c0 + 1; c < c1; c++)
                    {
                        value = max ? PoolMax(value, Unsafe.Add(ref row, c)) : value + Unsafe.Add(ref row, c);
                    }
                }

                Unsafe.Add(ref yc, q) = max ? value : value * inverse;
            }
        }
    }

    /// <summary>
    /// <c>into[i] = a[i] ⊕ b[i] ⊕ b[i + 1] ⊕ … ⊕ b[i + terms − 1]</c> for i &lt; <paramref name="count"/>, left to right, where ⊕ is
    /// <see cref="PoolMax(float, float)"/> or +; <paramref name="into"/> may be <paramref name="a"/> when <paramref name="terms"/>
    /// is 1 (every element is read before its own store, and a max's last, overlapping vector gives the same values again).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reduce(ref float a, ref float b, int count, int terms, ref float into, bool max)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && count >= 8)
        {
            for (; i <= count - 8; i += 8)
            {
                Reduce8(ref a, ref b, i, terms, ref into, max);
            }

            // A max may end with one overlapping vector (in place too: one term again gives the same value); a sum finishes
            // element by element below.
            if (max && i < count)
            {
                Reduce8(ref a, ref b, count - 8, terms, ref into, max);
                return;
            }
        }

        for (; i < count; i++)
        {
            float value = Unsafe.Add(ref a, i);
            for (int t = 0; t < terms; t++)
            {
                float v = Unsafe.Add(ref b, i + t);
                value = max ? PoolMax(value, v) : value + v;
            }

            Unsafe.Add(ref into, i) = value;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Reduce8(ref float a, ref float b, int i, int terms, ref float into, bool max)
    {
        Vector256<float> value = Vector256.LoadUnsafe(ref a, (nuint)i);
        for (int t = 0; t < terms; t++)
        {
            Vector256<float> v = Vector256.LoadUnsafe(ref b, (nuint)(i + t));
            value = max ? PoolMax(value, v) : value + v;
        }

        value.StoreUnsafe(ref into, (nuint)i);
    }
}
