using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// The inference route's Vector256 input transform reading the unpadded sample directly (<see cref="DirectInput256"/>): no padded
/// band is copied first (ConvHelpers.PadRows), the padding is zeros in registers: columns outside the row are masked off the loads
/// (vmaskmovps reads nothing there, so nothing before or after the sample is touched) and rows outside the plane read a zeroed
/// scratch row. The 8 tiles of a vector are kept in the order shufps leaves them, [0 1 4 5 | 2 3 6 7], without the lane permute
/// InputRow256 spends on each de-interleave (half its shuffles): the products are lane by lane, so the order only matters where
/// pixels are stored, and there it saves work too: the two output columns interleave into 16 consecutive pixels with unpcklps and
/// unpckhps alone, the residual de-interleaves without the permute, and only the pooled vector needs one. Every value is computed
/// by the same operations in the same order as by InputRow256, NarrowRow256 and Epilogue256: the same bits.
/// </content>
public static unsafe partial class WinogradConv
{
    /// <summary>
    /// Whether <see cref="RunUnpadded256{TAct}"/> transforms the unpadded input directly (default) rather than padding it band by
    /// band first; the same bits either way. Process-wide, for benchmarks and tests that compare the two; read per call.
    /// </summary>
    public static bool DirectInput256 { get; set; } = true;

    // RunUnpadded256's direct route: tile rows [tileRow0, tileRow1) of the whole shape, the input read unpadded (height × width
    // planes), `scratch` carved as for Run (WinogradShape.ScratchLength floats).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunDirect256<TAct>(
        TAct act, in WinogradShape shape, int padding, float* x, float* w, float* scale, float* shift, float* y, float* res, bool pool,
        float* scratch, int tileRow0, int tileRow1)
        where TAct : struct, IActivationOperator
    {
        int oh = shape.OutHeight, ow = shape.OutWidth, plane = oh * ow;
        int height = shape.InHeight - (2 * padding), width = shape.InWidth - (2 * padding);
        var run = new Call(
            in shape, x, height * width, width, w, y, pool ? plane / 4 : plane, pool ? ow / 2 : ow, scratch, res, plane, ow, pool, wholeRows: false);
        for (int o = 0; o < shape.OutPad; o++)
        {
            run.Scale[o] = o < shape.OutChannels ? scale[o] : 0f;
            run.Shift[o] = o < shape.OutChannels ? shift[o] : 0f;
        }

        // The zero row that rows above and below the plane read (a row buffer of the scratch, 2·TilePad + 32 floats: every column
        // a block loads).
        new Span<float>(run.Rows, run.Shape.RowLength).Clear();
        for (int ty = tileRow0; ty < tileRow1; ty++)
        {
            InputRowDirect256(in run, ty, padding, height, width);
            NarrowRowDirect256(act, in run, ty);
        }
    }

    // V[ξ][c][tile] for the tiles of row ty the products read (8 at a time, in the order [0 1 4 5 | 2 3 6 7] within each 8),
    // from the unpadded planes (height × width, rows InRow apart): tile t's 4 × 4 input is the padded rows 2·ty … 2·ty + 3 and
    // columns 2t … 2t + 3, that is unpadded ones less `padding`, zeros outside the plane.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputRowDirect256(in Call run, int ty, int padding, int height, int width)
    {
        int cin = run.Shape.Channels, tp = run.TilePad, r0 = (2 * ty) - padding;
        int blocks = run.Shape.TileColumns <= 8 ? 8 : tp; // a row of at most 8 tiles takes ProductOfOneVector256: one vector of tiles
        nint step = run.VStep, plane = run.InPlane;
        float* zeros = run.Rows;
        nint o0 = Offset(r0, height, run.InRow), o1 = Offset(r0 + 1, height, run.InRow);
        nint o2 = Offset(r0 + 2, height, run.InRow), o3 = Offset(r0 + 3, height, run.InRow);
        for (int t = 0; t < blocks; t += 8)
        {
            // The block's columns: 2t − padding onwards, loads at +0, +8 (de-interleaved into columns 0 and 1 of each tile) and +2,
            // +10 (columns 2 and 3).
            int s = (2 * t) - padding;
            Vector256<float> m0 = Columns(s, width), m1 = Columns(s + 8, width), m2 = Columns(s + 2, width), m3 = Columns(s + 10, width);
            bool whole = s >= 0 && s + 18 <= width;
            for (int c = 0; c < cin; c++)
            {
                float* p = run.Input + (c * plane) + s, v = run.V + ((nint)c * tp) + t;
                float* p0 = o0 < 0 ? zeros : p + o0, p1 = o1 < 0 ? zeros : p + o1, p2 = o2 < 0 ? zeros : p + o2, p3 = o3 < 0 ? zeros : p + o3;
                if (whole)
                {
                    BlockDirect256(p0, p1, p2, p3, v, step, false, m0, m1, m2, m3);
                }
                else
                {
                    BlockDirect256(p0, p1, p2, p3, v, step, true, m0, m1, m2, m3);
                }
            }
        }
    }

    // Floats from a plane's start to row r, or −1 for a row outside the plane (which reads the zero row).
    private static nint Offset(int r, int height, int rowLength) => r >= 0 && r < height ? (nint)r * rowLength : -1;

    // Lanes i whose column s + i is in the row [0, width): all ones.
    private static Vector256<float> Columns(int s, int width)
    {
        Vector256<int> column = Vector256.Create(s) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        return (Vector256.GreaterThanOrEqual(column, Vector256<int>.Zero) & Vector256.LessThan(column, Vector256.Create(width))).AsSingle();
    }

    // One channel's 8 tiles from their four input rows (each at its block's first column): InputRow256's operations in its order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BlockDirect256(
        float* p0, float* p1, float* p2, float* p3, float* v, nint step, bool masked,
        Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3)
    {
        RowDirect256(p1, masked, m0, m1, m2, m3, out var e10, out var e11, out var e12, out var e13);
        RowDirect256(p2, masked, m0, m1, m2, m3, out var e20, out var e21, out var e22, out var e23);
        RowDirect256(p0, masked, m0, m1, m2, m3, out var e00, out var e01, out var e02, out var e03);
        Columns256(v, step, 0, e00 - e20, e01 - e21, e02 - e22, e03 - e23);
        RowDirect256(p3, masked, m0, m1, m2, m3, out var e30, out var e31, out var e32, out var e33);
        Columns256(v, step, 12, e10 - e30, e11 - e31, e12 - e32, e13 - e33);
        Columns256(v, step, 4, e10 + e20, e11 + e21, e12 + e22, e13 + e23);
        Columns256(v, step, 8, e20 - e10, e21 - e11, e22 - e12, e23 - e13);
    }

    // Columns 2t + k (k = 0…3) of 8 tiles in the order [0 1 4 5 | 2 3 6 7] from the row at `at` (the block's first column), with
    // `masked` only the lanes of m0…m3 loaded (zeros elsewhere, nothing read there).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowDirect256(
        float* at, bool masked, Vector256<float> m0, Vector256<float> m1, Vector256<float> m2, Vector256<float> m3,
        out Vector256<float> e0, out Vector256<float> e1, out Vector256<float> e2, out Vector256<float> e3)
    {
        Vector256<float> a, b, c, d;
        if (masked)
        {
            a = Avx.MaskLoad(at, m0);
            b = Avx.MaskLoad(at + 8, m1);
            c = Avx.MaskLoad(at + 2, m2);
            d = Avx.MaskLoad(at + 10, m3);
        }
        else
        {
            a = Vector256.Load(at);
            b = Vector256.Load(at + 8);
            c = Vector256.Load(at + 2);
            d = Vector256.Load(at + 10);
        }

        // shufps alone: [a0 a2 b0 b2 | a4 a6 b4 b6] is columns 0 of tiles 0, 1, 4, 5 | 2, 3, 6, 7.
        e0 = Avx.Shuffle(a, b, 0x88);
        e1 = Avx.Shuffle(a, b, 0xDD);
        e2 = Avx.Shuffle(c, d, 0x88);
        e3 = Avx.Shuffle(c, d, 0xDD);
    }

    // NarrowRow256 over the direct transform's V (the output in the shuffled tile order); a row of at most 8 tiles on
    // NarrowRowsOfOneVector256.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowRowDirect256<TAct>(TAct act, in Call run, int ty)
        where TAct : struct, IActivationOperator
    {
        if (run.Shape.TileColumns <= 8)
        {
            NarrowRowsOfOneVector256(act, in run, ty);
            return;
        }

        NarrowRow256<TAct, ShuffledTiles>(act, in run, ty);
    }

    // A row of at most 8 tiles (one vector): per block of up to 32 output channels, the products of 12, 8 or 4 of them at a time
    // (12 + 12 + 8 for 32, 8 + 8 for 16: no block of 4 whose 4 accumulators leave the FMA pipes waiting on their latency) into
    // M[ξ][k][8 tiles] (ξ 256 floats apart, as OutputTiles256 reads them), then the output transform. Each channel's sum is
    // Product256's, lane by lane: the same bits.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowRowsOfOneVector256<TAct>(TAct act, in Call run, int ty)
        where TAct : struct, IActivationOperator
    {
        int cin = run.Shape.Channels, pad = run.Shape.OutPad, tp = run.TilePad;
        for (int o0 = 0; o0 < pad; o0 += 32)
        {
            int o1 = Math.Min(32, run.Shape.OutChannels - o0), block = Math.Min(pad - o0, (o1 + 3) & ~3);
            for (int xi = 0; xi < 16; xi++)
            {
                float* v = run.V + ((nint)xi * run.VStep), u = run.Weights + ((nint)xi * cin * pad) + o0, m = run.M + (xi * 256);
                ProductsOfOneVector256(v, tp, u, pad, cin, m, block, 8);
            }

            if (run.Pool || run.Residual != null)
            {
                OutputOfOneVector256<TAct, RichEpilogue>(act, in run, ty, o0, o1);
            }
            else
            {
                OutputOfOneVector256<TAct, PlainEpilogue>(act, in run, ty, o0, o1);
            }
        }
    }

    // The products of one vector of tiles and `block` (a multiple of 4) output channels from u into m (`step` floats a channel): 12,
    // 8 or 4 of them at a time, no block of 4 where more are left (its 4 accumulators leave the FMA pipes waiting on their latency).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ProductsOfOneVector256(float* v, int tp, float* u, int pad, int cin, float* m, int block, int step)
    {
        for (int k = 0; k < block;)
        {
            int left = block - k;
            if (left >= 20 || left == 12)
            {
                ProductOfOneVector256<LanesConv.N6>(v, tp, u + k, pad, cin, m + (step * k), step);
                k += 12;
            }
            else if (left > 4)
            {
                ProductOfOneVector256<LanesConv.N4>(v, tp, u + k, pad, cin, m + (step * k), step);
                k += 8;
            }
            else
            {
                ProductOfOneVector256<LanesConv.N2>(v, tp, u + k, pad, cin, m + (step * k), step);
                k += 4;
            }
        }
    }

    // m[step·k + tile] = Σ_c v[c·tilePad + tile] · u[c·pad + k] for 8 tiles (one vector) and 2·TN.Count (12, 8 or 4) output
    // channels k, the channels in order (Product256's sums, lane by lane). Live: 12 accumulators, the tile vector and one broadcast.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ProductOfOneVector256<TN>(float* v, int tilePad, float* u, int pad, int channels, float* m, int step)
        where TN : struct, LanesConv.IPixels
    {
        int n = TN.Count;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        Vector256<float> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        for (int c = 0; c < channels; c++, v += tilePad, u += pad)
        {
            Vector256<float> x = Vector256.Load(v);
            a0 = Simd.Fma(x, Vector256.Create(u[0]), a0);
            a1 = Simd.Fma(x, Vector256.Create(u[1]), a1);
            a2 = Simd.Fma(x, Vector256.Create(u[2]), a2);
            a3 = Simd.Fma(x, Vector256.Create(u[3]), a3);
            if (n > 2)
            {
                a4 = Simd.Fma(x, Vector256.Create(u[4]), a4);
                a5 = Simd.Fma(x, Vector256.Create(u[5]), a5);
                a6 = Simd.Fma(x, Vector256.Create(u[6]), a6);
                a7 = Simd.Fma(x, Vector256.Create(u[7]), a7);
            }

            if (n > 4)
            {
                a8 = Simd.Fma(x, Vector256.Create(u[8]), a8);
                a9 = Simd.Fma(x, Vector256.Create(u[9]), a9);
                a10 = Simd.Fma(x, Vector256.Create(u[10]), a10);
                a11 = Simd.Fma(x, Vector256.Create(u[11]), a11);
            }
        }

        Vector256.Store(a0, m);
        Vector256.Store(a1, m + step);
        Vector256.Store(a2, m + (2 * step));
        Vector256.Store(a3, m + (3 * step));
        if (n > 2)
        {
            Vector256.Store(a4, m + (4 * step));
            Vector256.Store(a5, m + (5 * step));
            Vector256.Store(a6, m + (6 * step));
            Vector256.Store(a7, m + (7 * step));
        }

        if (n > 4)
        {
            Vector256.Store(a8, m + (8 * step));
            Vector256.Store(a9, m + (9 * step));
            Vector256.Store(a10, m + (10 * step));
            Vector256.Store(a11, m + (11 * step));
        }
    }

    // NarrowOutput256 for a row of one vector of tiles: channels o0 … o0 + o1 − 1, their products 8 floats apart.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OutputOfOneVector256<TAct, TEpilogue>(TAct act, in Call run, int ty, int o0, int o1)
        where TAct : struct, IActivationOperator
        where TEpilogue : struct, IEpilogue
    {
        bool second = (2 * ty) + 1 < run.Shape.OutHeight;
        int count = Math.Min(16, run.Shape.OutWidth);
        for (int k = 0; k < o1; k++)
        {
            Vector256<float> a = Vector256.Create(run.Scale[o0 + k]), h = Vector256.Create(run.Shift[o0 + k]);
            float* y = run.Output + ((nint)(o0 + k) * run.OutPlane) + ((nint)(2 * ty) * run.OutRow);
            OutputTiles256(run.M + (8 * k), second, out var y00, out var y01, out var y10, out var y11);
            if (TEpilogue.Rich)
            {
                Epilogue256<TAct, ShuffledTiles>(act, in run, o0 + k, ty, 0, count, second, Simd.Fma(y00, a, h), Simd.Fma(y01, a, h), Simd.Fma(y10, a, h), Simd.Fma(y11, a, h));
                continue;
            }

            StorePixels256<ShuffledTiles>(y, count, act.Invoke(Simd.Fma(y00, a, h)), act.Invoke(Simd.Fma(y01, a, h)));
            if (second)
            {
                StorePixels256<ShuffledTiles>(y + run.OutRow, count, act.Invoke(Simd.Fma(y10, a, h)), act.Invoke(Simd.Fma(y11, a, h)));
            }
        }
    }
}
