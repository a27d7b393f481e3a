using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// The Vector256 inference route's richer epilogue: <c>y = act(scale · conv + shift + residual)</c>, optionally max-pooled 2 × 2.
/// A 2 × 2 output tile is exactly one MaxPool2d(2) window (tiles start on even rows and columns), so the pool is the maximum of
/// the output transform's four vectors of 8 tiles, and its 8 pooled pixels are consecutive in the pooled row: no interleave, a
/// quarter of the stores. The residual's two rows per tile row are read de-interleaved into even and odd columns. Only at
/// <see cref="KernelDispatch.Level"/> 1 (the tiles-in-lanes block of WinogradConv.Narrow256.cs); the generated code calls it there
/// for the shapes that route takes at 256 bits only, and keeps its direct kernels elsewhere.
/// </content>
public static unsafe partial class WinogradConv
{
    /// <summary>
    /// Whether <see cref="RunUnpadded256{TAct}"/> runs: AVX2 + FMA without the Vector512 path (<see cref="KernelDispatch.Level"/> 1).
    /// </summary>
    public static bool Enabled256 => KernelDispatch.Level == 1;

    /// <summary>
    /// <see cref="RunUnpadded{TAct}"/> at 256 bits (<see cref="Enabled256"/>) with a residual and a pool: <c>y = act(scale·conv +
    /// shift + res)</c>, where <paramref name="res"/> is read only with <paramref name="residual"/> (OutChannels × OutHeight ×
    /// OutWidth, the convolution's output layout), and with <paramref name="pool"/> (even OutHeight and OutWidth) <paramref name="y"/>
    /// receives the MaxPool2d(2) of it: OutChannels × OutHeight/2 × OutWidth/2. Tile row t is pooled row t, so any split of the
    /// tile rows gives the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunUnpadded256<TAct>(
        TAct act, in WinogradShape shape, int padding, ref float x, ref float w, ref float scale, ref float shift, ref float y, ref float res,
        bool residual, bool pool, ref float scratch, int tileRow0, int tileRow1)
        where TAct : struct, IActivationOperator
    {
        CheckUnpadded256(in shape, pool, tileRow0, tileRow1, shape.TileRows);
        int oh = shape.OutHeight, ow = shape.OutWidth, plane = oh * ow, wp = shape.InWidth, bandRows = BandTileRows(in shape);

        int height = shape.InHeight - (2 * padding), width = shape.InWidth - (2 * padding), band = BandLength(in shape);
        int outPlane = pool ? plane / 4 : plane, outRow = pool ? ow / 2 : ow;
        fixed (float* px = &x, pw = &w, ps = &scale, ph = &shift, py = &y, pr = &res, pb = &scratch)
        {
            if (DirectInput256)
            {
                // The unpadded input transformed directly, no padded band (WinogradConv.Direct256.cs): the same bits.
                RunDirect256(act, in shape, padding, px, pw, ps, ph, py, residual ? pr : null, pool, pb, tileRow0, tileRow1);
                return;
            }

            for (int t0 = tileRow0; t0 < tileRow1; t0 += bandRows)
            {
                int t1 = Math.Min(t0 + bandRows, tileRow1), rows = Math.Min(2 * t1, oh) - (2 * t0);
                ConvHelpers.PadRows(px, shape.Channels, height, width, padding, 2 * t0, rows + 2, pb);
                var part = shape with { OutHeight = rows };
                float* output = py + (pool ? (nint)t0 * outRow : (nint)(2 * t0) * ow);
                var run = new Call(
                    in part, pb, (rows + 2) * wp, wp, pw, output, outPlane, outRow, pb + band,
                    residual ? pr + ((nint)(2 * t0) * ow) : null, plane, ow, pool, wholeRows: true);
                for (int o = 0; o < shape.OutPad; o++)
                {
                    run.Scale[o] = o < shape.OutChannels ? ps[o] : 0f;
                    run.Shift[o] = o < shape.OutChannels ? ph[o] : 0f;
                }

                for (int ty = 0; ty < part.TileRows; ty++)
                {
                    InputRow256(in run, ty);
                    NarrowRow256<TAct, TilesInOrder>(act, in run, ty);
                }
            }
        }
    }

    // The arguments of RunUnpadded256 and RunUnpadded43x256 (tile rows of `tileRows`): a valid shape, the 256-bit path, an even size
    // to pool, a range of tile rows.
    private static void CheckUnpadded256(in WinogradShape shape, bool pool, int tileRow0, int tileRow1, int tileRows)
    {
        shape.Check();
        if (!Enabled256)
        {
            throw new InvalidOperationException("WinogradConv's 256-bit inference route needs KernelDispatch.Level 1 (AVX2 + FMA, no Vector512 path).");
        }

        if (pool && (shape.OutHeight % 2 != 0 || shape.OutWidth % 2 != 0))
        {
            throw new ArgumentException($"The 2 × 2 pool needs an even output size, got {shape.OutHeight} × {shape.OutWidth}.", nameof(pool));
        }

        if (tileRow0 < 0 || tileRow0 > tileRow1 || tileRow1 > tileRows)
        {
            throw new ArgumentOutOfRangeException(nameof(tileRow1), $"Expected 0 ≤ tileRow0 ≤ tileRow1 ≤ {tileRows}, got [{tileRow0}, {tileRow1}).");
        }
    }

    // Which epilogue NarrowOutput256 is compiled for: the plain one (act(scale · conv + shift), interleaved stores) or the one with a
    // residual and a pool (Epilogue256). Its own instantiation each, so the plain one's loop is as small as it was.
    private interface IEpilogue
    {
        static abstract bool Rich { get; }
    }

    private readonly struct PlainEpilogue : IEpilogue
    {
        public static bool Rich => false;
    }

    private readonly struct RichEpilogue : IEpilogue
    {
        public static bool Rich => true;
    }

    // The order of the 8 tiles in a vector where NarrowOutput256 and Epilogue256 read them: tile order (InputRow256's transform) or
    // the order shufps leaves them in, [0 1 4 5 | 2 3 6 7] (InputRowDirect256's). Only where pixels are stored or loaded does it
    // matter; the arithmetic is the same, so both give the same bits.
    private interface ITileOrder256
    {
        // The columns 2t (y0) and 2t + 1 (y1) of 8 tiles as 16 consecutive pixels.
        static abstract void Interleave(Vector256<float> y0, Vector256<float> y1, out Vector256<float> lo, out Vector256<float> hi);

        // 16 consecutive pixels a, b as columns 2t (even) and 2t + 1 (odd) of 8 tiles.
        static abstract void Deinterleave(Vector256<float> a, Vector256<float> b, out Vector256<float> even, out Vector256<float> odd);

        // The 8 pooled pixels of 8 tiles in pixel order.
        static abstract Vector256<float> Pooled(Vector256<float> p);
    }

    private readonly struct TilesInOrder : ITileOrder256
    {
        // unpack: [p0 p1 p2 p3 | p8 p9 p10 p11] and [p4 … p7 | p12 … p15]; the 128-bit permutes put the halves in order.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Interleave(Vector256<float> y0, Vector256<float> y1, out Vector256<float> lo, out Vector256<float> hi)
        {
            Vector256<float> l = Avx.UnpackLow(y0, y1), u = Avx.UnpackHigh(y0, y1);
            lo = Avx.Permute2x128(l, u, 0x20);
            hi = Avx.Permute2x128(l, u, 0x31);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Deinterleave(Vector256<float> a, Vector256<float> b, out Vector256<float> even, out Vector256<float> odd) =>
            Deinterleave256(a, b, out even, out odd);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Pooled(Vector256<float> p) => p;
    }

    private readonly struct ShuffledTiles : ITileOrder256
    {
        // unpcklps gives pixels 0…7 and unpckhps 8…15: no lane permute.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Interleave(Vector256<float> y0, Vector256<float> y1, out Vector256<float> lo, out Vector256<float> hi)
        {
            lo = Avx.UnpackLow(y0, y1);
            hi = Avx.UnpackHigh(y0, y1);
        }

        // shufps alone de-interleaves 16 pixels into the tiles' order.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Deinterleave(Vector256<float> a, Vector256<float> b, out Vector256<float> even, out Vector256<float> odd)
        {
            even = Avx.Shuffle(a, b, 0x88);
            odd = Avx.Shuffle(a, b, 0xDD);
        }

        // The pairs (0 1) (4 5) (2 3) (6 7) put in order by one 64-bit permute.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Pooled(Vector256<float> p) => Avx2.Permute4x64(p.AsDouble(), 0xD8).AsSingle();
    }

    // The epilogue of 8 tiles (from `tile`) of output channel `channel` in tile row ty, given scale · conv + shift of their first
    // row's columns 2t (e00) and 2t + 1 (e01) and the second row's (e10, e11; that row exists with `second`); `count` pixels a row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Epilogue256<TAct, TOrder>(
        TAct act, in Call run, int channel, int ty, int tile, int count, bool second,
        Vector256<float> e00, Vector256<float> e01, Vector256<float> e10, Vector256<float> e11)
        where TAct : struct, IActivationOperator
        where TOrder : struct, ITileOrder256
    {
        if (run.Residual != null)
        {
            float* r = run.Residual + ((nint)channel * run.ResPlane) + ((nint)(2 * ty) * run.ResRow) + (2 * tile);
            TOrder.Deinterleave(LoadPartial256(r, count), LoadPartial256(r + 8, count - 8), out var r00, out var r01);
            e00 += r00;
            e01 += r01;
            if (second)
            {
                TOrder.Deinterleave(LoadPartial256(r + run.ResRow, count), LoadPartial256(r + run.ResRow + 8, count - 8), out var r10, out var r11);
                e10 += r10;
                e11 += r11;
            }
        }

        e00 = act.Invoke(e00);
        e01 = act.Invoke(e01);
        e10 = act.Invoke(e10);
        e11 = act.Invoke(e11);
        if (run.Pool)
        {
            // Both rows exist (even height); `count` is even: count / 2 pooled pixels.
            Vector256<float> p = TOrder.Pooled(ConvHelpers.PoolMax(ConvHelpers.PoolMax(e00, e10), ConvHelpers.PoolMax(e01, e11)));
            float* yp = run.Output + ((nint)channel * run.OutPlane) + ((nint)ty * run.OutRow) + tile;
            if (count == 16)
            {
                Vector256.Store(p, yp);
            }
            else
            {
                StorePartial256(yp, count / 2, p);
            }

            return;
        }

        float* y = run.Output + ((nint)channel * run.OutPlane) + ((nint)(2 * ty) * run.OutRow) + (2 * tile);
        StorePixels256<TOrder>(y, count, e00, e01);
        if (second)
        {
            StorePixels256<TOrder>(y + run.OutRow, count, e10, e11);
        }
    }
}
