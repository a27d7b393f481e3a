using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>
/// 2-D pooling over <c>planes</c> = batch × channels planes of <c>h × w</c> (NCHW), PyTorch's floor
/// mode: MaxPool2d (padding counts as −∞; ties go to the first element in row-major order, a NaN counts
/// as the maximum; the arg-max is saved for Backward), AvgPool2d (zero padding counted in the divisor
/// k², PyTorch's <c>count_include_pad</c>) and the global average (<c>AdaptiveAvgPool2d(1)</c>).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class Pooling
{
    /// <summary>One pooling geometry: input and output plane sides, window, stride and padding.</summary>
    /// <param name="H">Input height.</param>
    /// <param name="W">Input width.</param>
    /// <param name="OutH">Output height.</param>
    /// <param name="OutW">Output width.</param>
    /// <param name="Kernel">Window side k.</param>
    /// <param name="Stride">Stride.</param>
    /// <param name="Padding">Padding on each side.</param>
    public readonly record struct Window(int H, int W, int OutH, int OutW, int Kernel, int Stride, int Padding)
    {
        /// <summary>Input elements per plane.</summary>
        public int InPlane => H * W;

        /// <summary>Output elements per plane.</summary>
        public int OutPlane => OutH * OutW;
    }

    /// <summary>
    /// y = the maximum of each window; with <paramref name="save"/>, each output's arg-max (its index in
    /// its input plane) goes to <paramref name="argMax"/>.
    /// </summary>
    public static void MaxForward(ref float x, ref float y, ref int argMax, int planes, Window g, bool save)
    {
        if (g is { Kernel: 2, Stride: 2, Padding: 0 } && Vector2x2)
        {
            MaxForward2x2(ref x, ref y, ref argMax, planes, g, save);
            return;
        }

        for (int plane = 0; plane < planes; plane++)
        {
            ref float xp = ref Unsafe.Add(ref x, plane * g.InPlane);
            int o = plane * g.OutPlane;
            for (int oh = 0; oh < g.OutH; oh++)
            {
                (int r0, int r1) = Bounds(oh, g.H, g);
                for (int ow = 0; ow < g.OutW; ow++, o++)
                {
                    (int c0, int c1) = Bounds(ow, g.W, g);
                    float max = float.NegativeInfinity;
                    int at = (r0 * g.W) + c0;
                    for (int r = r0; r < r1; r++)
                    {
                        for (int c = c0; c < c1; c++)
                        {
                            float v = Unsafe.Add(ref xp, (r * g.W) + c);
                            if (v > max || float.IsNaN(v))
                            {
                                max = v;
                                at = (r * g.W) + c;
                            }
                        }
                    }

                    Unsafe.Add(ref y, o) = max;
                    if (save)
                    {
                        Unsafe.Add(ref argMax, o) = at;
                    }
                }
            }
        }
    }

    /// <summary>dx = 0, then each output's gradient added at its saved arg-max.</summary>
    public static void MaxBackward(ref float dy, ref int argMax, ref float dx, int planes, Window g)
    {
        if (g is { Kernel: 2, Stride: 2, Padding: 0 } && g.H == 2 * g.OutH && g.W == 2 * g.OutW && g.OutW >= 4 && Vector2x2)
        {
            MaxBackward2x2(ref dy, ref argMax, ref dx, planes, g);
            return;
        }

        Clear(ref dx, planes * g.InPlane);
        for (int plane = 0; plane < planes; plane++)
        {
            ref float dxp = ref Unsafe.Add(ref dx, plane * g.InPlane);
            for (int o = plane * g.OutPlane, end = o + g.OutPlane; o < end; o++)
            {
                Unsafe.Add(ref dxp, Unsafe.Add(ref argMax, o)) += Unsafe.Add(ref dy, o);
            }
        }
    }

    /// <summary>y = the sum of each window over k² (padding counted as zeros).</summary>
    public static void AvgForward(ref float x, ref float y, int planes, Window g)
    {
        float inverse = 1f / (g.Kernel * g.Kernel);
        for (int plane = 0; plane < planes; plane++)
        {
            ref float xp = ref Unsafe.Add(ref x, plane * g.InPlane);
            int o = plane * g.OutPlane;
            for (int oh = 0; oh < g.OutH; oh++)
            {
                (int r0, int r1) = Bounds(oh, g.H, g);
                for (int ow = 0; ow < g.OutW; ow++, o++)
                {
                    (int c0, int c1) = Bounds(ow, g.W, g);
                    float sum = 0;
                    for (int r = r0; r < r1; r++)
                    {
                        for (int c = c0; c < c1; c++)
                        {
                            sum += Unsafe.Add(ref xp, (r * g.W) + c);
                        }
                    }

                    Unsafe.Add(ref y, o) = sum * inverse;
                }
            }
        }
    }

    /// <summary>dx = 0, then each output's gradient over k² added to every input of its window.</summary>
    public static void AvgBackward(ref float dy, ref float dx, int planes, Window g)
    {
        Clear(ref dx, planes * g.InPlane);
        float inverse = 1f / (g.Kernel * g.Kernel);
        for (int plane = 0; plane < planes; plane++)
        {
            ref float dxp = ref Unsafe.Add(ref dx, plane * g.InPlane);
            int o = plane * g.OutPlane;
            for (int oh = 0; oh < g.OutH; oh++)
            {
                (int r0, int r1) = Bounds(oh, g.H, g);
                for (int ow = 0; ow < g.OutW; ow++, o++)
                {
                    (int c0, int c1) = Bounds(ow, g.W, g);
                    float share = Unsafe.Add(ref dy, o) * inverse;
                    for (int r = r0; r < r1; r++)
                    {
                        for (int c = c0; c < c1; c++)
                        {
                            Unsafe.Add(ref dxp, (r * g.W) + c) += share;
                        }
                    }
                }
            }
        }
    }

    /// <summary>y[plane] = the mean of the plane's <paramref name="spatial"/> values (summed in double).</summary>
    public static void GlobalAvgForward(ref float x, ref float y, int planes, int spatial)
    {
        for (int plane = 0; plane < planes; plane++)
        {
            ref float xp = ref Unsafe.Add(ref x, plane * spatial);
            double sum = 0;
            for (int i = 0; i < spatial; i++)
            {
                sum += Unsafe.Add(ref xp, i);
            }

            Unsafe.Add(ref y, plane) = (float)(sum / spatial);
        }
    }

    /// <summary>dx = dy[plane]/spatial over each plane.</summary>
    public static void GlobalAvgBackward(ref float dy, ref float dx, int planes, int spatial)
    {
        for (int plane = 0; plane < planes; plane++)
        {
            float share = Unsafe.Add(ref dy, plane) / spatial;
            ref float dxp = ref Unsafe.Add(ref dx, plane * spatial);
            for (int i = 0; i < spatial; i++)
            {
                Unsafe.Add(ref dxp, i) = share;
            }
        }
    }

    /// <summary>The input rows (or columns) under output row <paramref name="o"/>'s window, padding left out.</summary>
    internal static (int Start, int End) Bounds(int o, int size, Window g) =>
        (Math.Max(0, (o * g.Stride) - g.Padding), Math.Min(size, (o * g.Stride) - g.Padding + g.Kernel));

    private static void Clear(ref float data, int count) => System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref data, count).Clear();
}
