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
    /// <paramref name="y"/>): the rows are reduced into the band's first row, then each window's columns. MaxPool2d keeps the
    /// first maximum and lets a NaN win (<see cref="PoolMax(float, float)"/>); AvgPool2d divides by k², padding counted.
    /// The band's first row is overwritten.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PoolBand(ref float band, int channels, int ld, int rowStep, int po, ref float y, int stride, Pooling.Window pool, bool max)
    {
        (int r0, int r1) = Pooling.Bounds(po, pool.H, pool);
        int width = Math.Min(pool.W, ((pool.OutW - 1) * pool.Stride) - pool.Padding + pool.Kernel);
        float inverse = 1f / (pool.Kernel * pool.Kernel);
        for (int ch = 0; ch < channels; ch++)
        {
            ref float row = ref Unsafe.Add(ref band, ch * ld);
            for (int r = 1; r < r1 - r0; r++)
            {
                ReduceRow(ref row, ref Unsafe.Add(ref row, r * rowStep), width, max);
            }

            ref float yc = ref Unsafe.Add(ref y, ch * stride);
            for (int q = 0; q < pool.OutW; q++)
            {
                (int c0, int c1) = Pooling.Bounds(q, pool.W, pool);
                float value = Unsafe.Add(ref row, c0);
                for (int c = c0 + 1; c < c1; c++)
                {
                    float v = Unsafe.Add(ref row, c);
                    value = max ? PoolMax(value, v) : value + v;
                }

                Unsafe.Add(ref yc, q) = max ? value : value * inverse;
            }
        }
    }

    /// <summary><c>into[i] = PoolMax(into[i], row[i])</c> (or the sum) for i &lt; <paramref name="count"/>; the same at every width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReduceRow(ref float into, ref float row, int count, bool max)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 8; i += 8)
            {
                Vector256<float> a = Vector256.LoadUnsafe(ref into, (nuint)i), b = Vector256.LoadUnsafe(ref row, (nuint)i);
                (max ? PoolMax(a, b) : a + b).StoreUnsafe(ref into, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref into, i) = max ? PoolMax(Unsafe.Add(ref into, i), Unsafe.Add(ref row, i)) : Unsafe.Add(ref into, i) + Unsafe.Add(ref row, i);
        }
    }
}
