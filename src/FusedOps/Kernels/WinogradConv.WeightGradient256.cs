using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// The weight gradient on Winograd F(3 × 3, 2 × 2) (WinogradConv.WeightGradient.cs) on the Vector256 path (AVX2 + FMA,
/// <see cref="KernelDispatch.Level"/> 1, 16 ymm registers), one tile row at a time in bands of <see cref="WeightBand"/>: V from
/// the forward's 256-bit input transform (<see cref="InputRow256"/>), U′[ξ][t][o] from 8 output-gradient planes at a time
/// transposed 8 × 8 in registers, and the products 16 output channels (two vectors) × 6 input channels (broadcast) in 12
/// accumulators, 2 U′ loads and 1 broadcast live: 15 of the 16 registers. Every M[ξ][c][o] takes the same FMAs in the same
/// order as the Vector512 path's (band after band, tile after tile) and U′ the same additions: the same bits.
/// </content>
public static unsafe partial class WinogradConv
{
    // WeightGradientSample's tile rows on the Vector256 path.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientRows256(in WinogradShape shape, float* px, int inPlane, int inRow, float* pg, int dzPlane, int dzRow, float* pm, float* pb, float* u, float* stage)
    {
        int rows = shape.TileRows, vBand = 16 * shape.VStep, uBand = 16 * UStep(in shape);
        for (int ty0 = 0; ty0 < rows; ty0 += WeightBand)
        {
            int band = Math.Min(WeightBand, rows - ty0);
            for (int r = 0; r < band; r++)
            {
                var run = new Call(in shape, px, inPlane, inRow, null, null, 0, 0, pb + (r * vBand));
                InputRow256(in run, ty0 + r);
                GradientRow256(in shape, pg, dzPlane, dzRow, ty0 + r, u + (r * uBand), stage);
            }

            WeightProducts256(in shape, pb, u, band, pm);
        }
    }

    // U′[ξ][t][o] of tile row ty for every output channel (zeros past OutChannels), GradientRow512's values: per 8 output channels
    // and 8 tiles, the 16 columns of rows 2ty and 2ty + 1 of the 8 planes (zeros past the plane) transposed 8 × 8 into
    // [row][column][channel] in the stage, then g Aᵀ and A on the rows with the channels in the lanes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientRow256(in WinogradShape shape, float* dz, int plane, int row, int ty, float* u, float* stage)
    {
        int cout = shape.OutChannels, pad = shape.OutPad, tiles = shape.TileColumns, ow = shape.OutWidth;
        bool second = (2 * ty) + 1 < shape.OutHeight;
        nint step = UStep(in shape);
        for (int o0 = 0; o0 < pad; o0 += 8)
        {
            int here = Math.Min(8, cout - o0);
            for (int t0 = 0; t0 < tiles; t0 += 8)
            {
                int valid = ow - (2 * t0);
                float* from = dz + ((nint)o0 * plane) + ((nint)(2 * ty) * row) + (2 * t0);
                for (int r = 0; r < 2; r++)
                {
                    int rows = r == 0 || second ? here : 0;
                    for (int h = 0; h < 16; h += 8)
                    {
                        float* p = from + ((nint)r * row) + h;
                        int count = valid - h;
                        Vector256<float> c0 = Columns256(p, 0, rows, plane, count), c1 = Columns256(p, 1, rows, plane, count);
                        Vector256<float> c2 = Columns256(p, 2, rows, plane, count), c3 = Columns256(p, 3, rows, plane, count);
                        Vector256<float> c4 = Columns256(p, 4, rows, plane, count), c5 = Columns256(p, 5, rows, plane, count);
                        Vector256<float> c6 = Columns256(p, 6, rows, plane, count), c7 = Columns256(p, 7, rows, plane, count);
                        ShiftedConv.Transpose8(ref c0, ref c1, ref c2, ref c3, ref c4, ref c5, ref c6, ref c7);
                        float* to = stage + (((r * 16) + h) * 8);
                        Vector256.Store(c0, to);
                        Vector256.Store(c1, to + 8);
                        Vector256.Store(c2, to + 16);
                        Vector256.Store(c3, to + 24);
                        Vector256.Store(c4, to + 32);
                        Vector256.Store(c5, to + 40);
                        Vector256.Store(c6, to + 48);
                        Vector256.Store(c7, to + 56);
                    }
                }

                int n = Math.Min(8, tiles - t0);
                for (int t = 0; t < n; t++)
                {
                    float* g = stage + (t * 16);
                    Vector256<float> a0 = Vector256.Load(g), b0 = Vector256.Load(g + 8), a1 = Vector256.Load(g + 128), b1 = Vector256.Load(g + 136);
                    float* to = u + (((nint)t0 + t) * pad) + o0;

                    // g Aᵀ per row: (a, a + b, a − b, −b); A on the rows: (r0, r0 + r1, r0 − r1, −r1).
                    GradientColumns256(to, step, 0, a0, b0);
                    GradientColumns256(to, step, 4, a0 + a1, b0 + b1);
                    GradientColumns256(to, step, 8, a0 - a1, b0 - b1);
                    GradientColumns256(to, step, 12, -a1, -b1);
                }
            }
        }
    }

    // Channel k's `count` columns from p (planes `plane` apart): zeros for k at or past `rows` (past the channels, or a row below the plane).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Columns256(float* p, int k, int rows, int plane, int count) =>
        k < rows ? LoadPartial256(p + ((nint)k * plane), count) : Vector256<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientColumns256(float* to, nint step, int xi0, Vector256<float> a, Vector256<float> b)
    {
        Vector256.Store(a, to + (xi0 * step));
        Vector256.Store(a + b, to + ((xi0 + 1) * step));
        Vector256.Store(a - b, to + ((xi0 + 2) * step));
        Vector256.Store(-b, to + ((xi0 + 3) * step));
    }

    // M[ξ][c][o] += Σ over the band's tile rows and tiles of V[ξ][c][t]·U′[ξ][t][o]: per ξ and 16 output channels, blocks of 6
    // input channels (the last one to 5 fewer).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightProducts256(in WinogradShape shape, float* v, float* u, int band, float* m)
    {
        int cin = shape.Channels, pad = shape.OutPad, tiles = shape.TileColumns;
        nint tp = shape.TilePad, vBand = 16 * shape.VStep, uBand = 16 * UStep(in shape), vStep = shape.VStep, uStep = UStep(in shape);
        for (int xi = 0; xi < 16; xi++)
        {
            for (int o0 = 0; o0 < pad; o0 += 16)
            {
                float* ux = u + (xi * uStep) + o0;
                int c0 = 0;
                for (; c0 + 6 <= cin; c0 += 6)
                {
                    WeightBlock256<LanesConv.N6>(M(c0), pad, V(c0), tp, vBand, ux, pad, uBand, band, tiles);
                }

                switch (cin - c0)
                {
                    case 5: WeightBlock256<LanesConv.N5>(M(c0), pad, V(c0), tp, vBand, ux, pad, uBand, band, tiles); break;
                    case 4: WeightBlock256<LanesConv.N4>(M(c0), pad, V(c0), tp, vBand, ux, pad, uBand, band, tiles); break;
                    case 3: WeightBlock256<LanesConv.N3>(M(c0), pad, V(c0), tp, vBand, ux, pad, uBand, band, tiles); break;
                    case 2: WeightBlock256<LanesConv.N2>(M(c0), pad, V(c0), tp, vBand, ux, pad, uBand, band, tiles); break;
                    case 1: WeightBlock256<LanesConv.N1>(M(c0), pad, V(c0), tp, vBand, ux, pad, uBand, band, tiles); break;
                    default: break;
                }

                float* M(int c) => m + ((((nint)xi * cin) + c) * pad) + o0;
                float* V(int c) => v + (xi * vStep) + (c * tp);
            }
        }
    }

    // TN.Count (1…6) rows of M (rows `pad` apart), 16 output channels each, += Σ_r Σ_t v[r][k·tp + t] · u[r][t·uRow]: the sums
    // stay in registers over the band. Rows written out by hand (a loop over them would not stay in registers).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightBlock256<TN>(float* m, int pad, float* v, nint tp, nint vBand, float* u, int uRow, nint uBand, int band, int tiles)
        where TN : struct, LanesConv.IPixels
    {
        int n = TN.Count;
        Vector256<float> a00 = Vector256.Load(m), a01 = Vector256.Load(m + 8);
        Vector256<float> a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector256<float> a40 = default, a41 = default, a50 = default, a51 = default;
        if (n > 1)
        {
            a10 = Vector256.Load(m + pad);
            a11 = Vector256.Load(m + pad + 8);
        }

        if (n > 2)
        {
            a20 = Vector256.Load(m + (2 * pad));
            a21 = Vector256.Load(m + (2 * pad) + 8);
        }

        if (n > 3)
        {
            a30 = Vector256.Load(m + (3 * pad));
            a31 = Vector256.Load(m + (3 * pad) + 8);
        }

        if (n > 4)
        {
            a40 = Vector256.Load(m + (4 * pad));
            a41 = Vector256.Load(m + (4 * pad) + 8);
        }

        if (n > 5)
        {
            a50 = Vector256.Load(m + (5 * pad));
            a51 = Vector256.Load(m + (5 * pad) + 8);
        }

        for (int r = 0; r < band; r++)
        {
            float* vr = v + (r * vBand), ur = u + (r * uBand);
            for (int t = 0; t < tiles; t++, vr++, ur += uRow)
            {
                Vector256<float> x0 = Vector256.Load(ur), x1 = Vector256.Load(ur + 8), b = Vector256.Create(vr[0]);
                a00 = Simd.Fma(b, x0, a00);
                a01 = Simd.Fma(b, x1, a01);
                if (n > 1)
                {
                    b = Vector256.Create(vr[tp]);
                    a10 = Simd.Fma(b, x0, a10);
                    a11 = Simd.Fma(b, x1, a11);
                }

                if (n > 2)
                {
                    b = Vector256.Create(vr[2 * tp]);
                    a20 = Simd.Fma(b, x0, a20);
                    a21 = Simd.Fma(b, x1, a21);
                }

                if (n > 3)
                {
                    b = Vector256.Create(vr[3 * tp]);
                    a30 = Simd.Fma(b, x0, a30);
                    a31 = Simd.Fma(b, x1, a31);
                }

                if (n > 4)
                {
                    b = Vector256.Create(vr[4 * tp]);
                    a40 = Simd.Fma(b, x0, a40);
                    a41 = Simd.Fma(b, x1, a41);
                }

                if (n > 5)
                {
                    b = Vector256.Create(vr[5 * tp]);
                    a50 = Simd.Fma(b, x0, a50);
                    a51 = Simd.Fma(b, x1, a51);
                }
            }
        }

        Vector256.Store(a00, m);
        Vector256.Store(a01, m + 8);
        if (n > 1)
        {
            Vector256.Store(a10, m + pad);
            Vector256.Store(a11, m + pad + 8);
        }

        if (n > 2)
        {
            Vector256.Store(a20, m + (2 * pad));
            Vector256.Store(a21, m + (2 * pad) + 8);
        }

        if (n > 3)
        {
            Vector256.Store(a30, m + (3 * pad));
            Vector256.Store(a31, m + (3 * pad) + 8);
        }

        if (n > 4)
        {
            Vector256.Store(a40, m + (4 * pad));
            Vector256.Store(a41, m + (4 * pad) + 8);
        }

        if (n > 5)
        {
            Vector256.Store(a50, m + (5 * pad));
            Vector256.Store(a51, m + (5 * pad) + 8);
        }
    }
}
