using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// The Vector256 path (AVX2 + FMA, <see cref="KernelDispatch.Level"/> 1, 16 ymm registers): the tiles-in-lanes block of
/// WinogradConv.Narrow.cs at 8 tiles a vector. The input transform runs on 8 tiles at a time (the row transform on 2 × 8
/// consecutive columns de-interleaved by a shuffle and a lane permute, then the column transform) into V[ξ][c][tile] for every
/// tile up to TilePad (zeros past the row); the products take 16 tiles (2 vectors) × 6 or 4 broadcast output channels over all
/// input channels: 12 (or 8) accumulators, 2 tile loads and 1 broadcast live, 15 of the 16 registers (no spills); the output
/// transform runs on 8 tiles and interleaves the two output columns into 16 consecutive pixels per row. The channel sums and both
/// transforms are the Vector512 and scalar paths' operations in the same order: the same bits.
/// </content>
public static unsafe partial class WinogradConv
{
    // V[ξ][c][tile] for every tile of row ty (8 at a time, up to TilePad: tiles past the row read zeros).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputRow256(in Call run, int ty)
    {
        int cin = run.Shape.Channels, tp = run.TilePad, width = run.Shape.InWidth;
        int below = run.Shape.InHeight - (2 * ty);
        nint step = run.VStep, len = run.InRow;
        for (int c = 0; c < cin; c++)
        {
            float* rows = run.Input + ((nint)c * run.InPlane) + ((nint)(2 * ty) * run.InRow);
            for (int t = 0; t < tp; t += 8)
            {
                // Columns of each row the block may read (18 or more: all its loads whole; always where the caller lets whole loads
                // read past the row); none for a row below the plane.
                int valid = run.WholeRows ? 18 : width - (2 * t), last = below < 4 ? 0 : valid;
                float* r = rows + (2 * t), v = run.V + ((nint)c * tp) + t;

                // Rows 1 and 2 first, then each of rows 0 and 3 used up as soon as it is read: at most 12 of the 16 transformed
                // columns live (all 16 at once spilled one to the stack), the same operations as ever.
                Row256(r + len, valid, out var e10, out var e11, out var e12, out var e13);
                Row256(r + (2 * len), valid, out var e20, out var e21, out var e22, out var e23);
                Row256(r, valid, out var e00, out var e01, out var e02, out var e03);
                Columns256(v, step, 0, e00 - e20, e01 - e21, e02 - e22, e03 - e23);
                Row256(r + (3 * len), last, out var e30, out var e31, out var e32, out var e33);
                Columns256(v, step, 12, e10 - e30, e11 - e31, e12 - e32, e13 - e33);
                Columns256(v, step, 4, e10 + e20, e11 + e21, e12 + e22, e13 + e23);
                Columns256(v, step, 8, e20 - e10, e21 - e11, e22 - e12, e23 - e13);
            }
        }
    }

    // Columns 2t + k (k = 0…3) of the 8 tiles from the input row at `at`, of which `valid` columns exist (zeros past them).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row256(float* at, int valid, out Vector256<float> e0, out Vector256<float> e1, out Vector256<float> e2, out Vector256<float> e3)
    {
        Vector256<float> a, b, c, d;
        if (valid >= 18)
        {
            a = Vector256.Load(at);
            b = Vector256.Load(at + 8);
            c = Vector256.Load(at + 2);
            d = Vector256.Load(at + 10);
        }
        else
        {
            a = LoadPartial256(at, valid);
            b = LoadPartial256(at + 8, valid - 8);
            c = LoadPartial256(at + 2, valid - 2);
            d = LoadPartial256(at + 10, valid - 10);
        }

        Deinterleave256(a, b, out e0, out e1);
        Deinterleave256(c, d, out e2, out e3);
    }

    // The even (a0 a2 … b6) and odd (a1 a3 … b7) floats of the 16 in a, b.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Deinterleave256(Vector256<float> a, Vector256<float> b, out Vector256<float> even, out Vector256<float> odd)
    {
        // shufps picks [a0 a2 b0 b2 | a4 a6 b4 b6] (even) and the odd ones; the 64-bit permute 0, 2, 1, 3 orders the pairs.
        even = Avx2.Permute4x64(Avx.Shuffle(a, b, 0x88).AsDouble(), 0xD8).AsSingle();
        odd = Avx2.Permute4x64(Avx.Shuffle(a, b, 0xDD).AsDouble(), 0xD8).AsSingle();
    }

    // The first `count` floats at p (none at or below 0, 8 at or above it), zeros after; nothing past them is read.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> LoadPartial256(float* p, int count)
    {
        if (count >= 8)
        {
            return Vector256.Load(p);
        }

        return count <= 0 ? Vector256<float>.Zero : Avx.MaskLoad(p, Below256(count));
    }

    // Lanes i < count all ones.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Below256(int count) =>
        Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(count)).AsSingle();

    // The column transform of one transformed row: V[ξ0 + j] for j = 0…3.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns256(float* v, nint step, int xi0, Vector256<float> e0, Vector256<float> e1, Vector256<float> e2, Vector256<float> e3)
    {
        Vector256.Store(e0 - e2, v + (xi0 * step));
        Vector256.Store(e1 + e2, v + ((xi0 + 1) * step));
        Vector256.Store(e2 - e1, v + ((xi0 + 2) * step));
        Vector256.Store(e1 - e3, v + ((xi0 + 3) * step));
    }

    // One tile row: per 16 output channels and 16 tiles, the 16 products (M[ξ][k][tile] at run.M + 256ξ + 16k), then their
    // output transform, the tiles of V in TOrder's order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowRow256<TAct, TOrder>(TAct act, in Call run, int ty)
        where TAct : struct, IActivationOperator
        where TOrder : struct, ITileOrder256
    {
        int cin = run.Shape.Channels, pad = run.Shape.OutPad, tiles = run.Shape.TileColumns, tp = run.TilePad;
        for (int o0 = 0; o0 < pad; o0 += 16)
        {
            int o1 = Math.Min(16, run.Shape.OutChannels - o0);
            for (int t0 = 0; t0 < tiles; t0 += 16)
            {
                for (int xi = 0; xi < 16; xi++)
                {
                    float* v = run.V + ((nint)xi * run.VStep) + t0, u = run.Weights + ((nint)xi * cin * pad) + o0, m = run.M + (xi * 256);
                    if (tiles <= 8)
                    {
                        // One vector of tiles holds the row (14 × 14 planes: 7 tiles): 12 and 4 output channels on 8 tiles
                        // (ProductOfOneVector256, WinogradConv.Direct256.cs), not 6 on 16 with half the lanes past the row; the same sums per lane.
                        ProductOfOneVector256<LanesConv.N6>(v, tp, u, pad, cin, m, 16);
                        if (o1 > 12)
                        {
                            ProductOfOneVector256<LanesConv.N2>(v, tp, u + 12, pad, cin, m + 192, 16);
                        }

                        continue;
                    }

                    ProductsOfTwoVectors256(v, tp, u, pad, cin, m, o1);
                }

                if (run.Pool || run.Residual != null)
                {
                    NarrowOutput256<TAct, RichEpilogue, TOrder>(act, in run, ty, o0, o1, t0);
                }
                else
                {
                    NarrowOutput256<TAct, PlainEpilogue, TOrder>(act, in run, ty, o0, o1, t0);
                }
            }
        }
    }

    // The products of 16 tiles (two vectors) and o1 (up to 16) output channels from u into m (16 floats a channel): 6, 6 and 4.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ProductsOfTwoVectors256(float* v, int tp, float* u, int pad, int cin, float* m, int o1)
    {
        Product256<LanesConv.N6>(v, tp, u, pad, cin, m);
        if (o1 > 6)
        {
            Product256<LanesConv.N6>(v, tp, u + 6, pad, cin, m + 96);
        }

        if (o1 > 12)
        {
            Product256<LanesConv.N4>(v, tp, u + 12, pad, cin, m + 192);
        }
    }

    // m[k][tile] = Σ_c v[c·tilePad + tile] · u[c·pad + k] for 16 tiles (two vectors) and TN.Count (6 or 4) output channels k, the
    // channels in order. Live: 12 accumulators, the two tile vectors and one broadcast.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product256<TN>(float* v, int tilePad, float* u, int pad, int channels, float* m)
        where TN : struct, LanesConv.IPixels
    {
        int n = TN.Count;
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default;
        Vector256<float> a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default;
        for (int c = 0; c < channels; c++, v += tilePad, u += pad)
        {
            Vector256<float> x0 = Vector256.Load(v), x1 = Vector256.Load(v + 8), b = Vector256.Create(u[0]);
            a00 = Simd.Fma(x0, b, a00);
            a01 = Simd.Fma(x1, b, a01);
            b = Vector256.Create(u[1]);
            a10 = Simd.Fma(x0, b, a10);
            a11 = Simd.Fma(x1, b, a11);
            b = Vector256.Create(u[2]);
            a20 = Simd.Fma(x0, b, a20);
            a21 = Simd.Fma(x1, b, a21);
            b = Vector256.Create(u[3]);
            a30 = Simd.Fma(x0, b, a30);
            a31 = Simd.Fma(x1, b, a31);
            if (n > 4)
            {
                b = Vector256.Create(u[4]);
                a40 = Simd.Fma(x0, b, a40);
                a41 = Simd.Fma(x1, b, a41);
                b = Vector256.Create(u[5]);
                a50 = Simd.Fma(x0, b, a50);
                a51 = Simd.Fma(x1, b, a51);
            }
        }

        Vector256.Store(a00, m);
        Vector256.Store(a01, m + 8);
        Vector256.Store(a10, m + 16);
        Vector256.Store(a11, m + 24);
        Vector256.Store(a20, m + 32);
        Vector256.Store(a21, m + 40);
        Vector256.Store(a30, m + 48);
        Vector256.Store(a31, m + 56);
        if (n > 4)
        {
            Vector256.Store(a40, m + 64);
            Vector256.Store(a41, m + 72);
            Vector256.Store(a50, m + 80);
            Vector256.Store(a51, m + 88);
        }
    }

    // Y = Aᵀ M A over 8 tiles at a time for each of the o1 channels from o0, the epilogue, and the columns 2t (from Y's first
    // column) and 2t + 1 (its second) interleaved into 16 consecutive pixels per row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowOutput256<TAct, TEpilogue, TOrder>(TAct act, in Call run, int ty, int o0, int o1, int t0)
        where TAct : struct, IActivationOperator
        where TEpilogue : struct, IEpilogue
        where TOrder : struct, ITileOrder256
    {
        bool second = (2 * ty) + 1 < run.Shape.OutHeight;
        for (int k = 0; k < o1; k++)
        {
            Vector256<float> a = Vector256.Create(run.Scale[o0 + k]), h = Vector256.Create(run.Shift[o0 + k]);
            float* row = run.Output + ((nint)(o0 + k) * run.OutPlane) + ((nint)(2 * ty) * run.OutRow);
            for (int half = 0; half < 16; half += 8)
            {
                int count = Math.Min(16, run.Shape.OutWidth - (2 * (t0 + half)));
                if (count <= 0)
                {
                    break;
                }

                float* m = run.M + (16 * k) + half, y = row + (2 * (t0 + half));
                OutputTiles256(m, second, out var y00, out var y01, out var y10, out var y11);
                if (TEpilogue.Rich)
                {
                    // The residual, the pool, or both (ProductOfOneVector256, WinogradConv.Direct256.cs); compiled out of the plain instantiation.
                    Epilogue256<TAct, TOrder>(act, in run, o0 + k, ty, t0 + half, count, second, Simd.Fma(y00, a, h), Simd.Fma(y01, a, h), Simd.Fma(y10, a, h), Simd.Fma(y11, a, h));
                    continue;
                }

                StorePixels256<TOrder>(y, count, act.Invoke(Simd.Fma(y00, a, h)), act.Invoke(Simd.Fma(y01, a, h)));
                if (second)
                {
                    StorePixels256<TOrder>(y + run.OutRow, count, act.Invoke(Simd.Fma(y10, a, h)), act.Invoke(Simd.Fma(y11, a, h)));
                }
            }
        }
    }

    // Aᵀ M A of 8 tiles from their products at m (M[ξ][k][tile] with ξ 256 floats apart): the first output row's columns 2t (y00)
    // and 2t + 1 (y01), and with `second` the second row's (else zeros).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OutputTiles256(
        float* m, bool second, out Vector256<float> y00, out Vector256<float> y01, out Vector256<float> y10, out Vector256<float> y11)
    {
        Vector256<float> s0 = Vector256.Load(m) + Vector256.Load(m + (4 * 256)) + Vector256.Load(m + (8 * 256));
        Vector256<float> s1 = Vector256.Load(m + 256) + Vector256.Load(m + (5 * 256)) + Vector256.Load(m + (9 * 256));
        Vector256<float> s2 = Vector256.Load(m + (2 * 256)) + Vector256.Load(m + (6 * 256)) + Vector256.Load(m + (10 * 256));
        Vector256<float> s3 = Vector256.Load(m + (3 * 256)) + Vector256.Load(m + (7 * 256)) + Vector256.Load(m + (11 * 256));
        y00 = s0 + s1 + s2;
        y01 = s1 - s2 - s3;
        y10 = y11 = Vector256<float>.Zero;
        if (second)
        {
            Vector256<float> d0 = Vector256.Load(m + (4 * 256)) - Vector256.Load(m + (8 * 256)) - Vector256.Load(m + (12 * 256));
            Vector256<float> d1 = Vector256.Load(m + (5 * 256)) - Vector256.Load(m + (9 * 256)) - Vector256.Load(m + (13 * 256));
            Vector256<float> d2 = Vector256.Load(m + (6 * 256)) - Vector256.Load(m + (10 * 256)) - Vector256.Load(m + (14 * 256));
            Vector256<float> d3 = Vector256.Load(m + (7 * 256)) - Vector256.Load(m + (11 * 256)) - Vector256.Load(m + (15 * 256));
            y10 = d0 + d1 + d2;
            y11 = d1 - d2 - d3;
        }
    }

    // Columns y0 (2t) and y1 (2t + 1) of 8 tiles (in TOrder's order) interleaved, the first `count` (1…16) of the 16 pixels to y.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePixels256<TOrder>(float* y, int count, Vector256<float> y0, Vector256<float> y1)
        where TOrder : struct, ITileOrder256
    {
        TOrder.Interleave(y0, y1, out var lo, out var hi);
        StorePartial256x2(y, count, lo, hi);
    }

    // The first `count` (1…7) floats of v to y, in 4-, 2- and 1-float stores: a masked store (vmaskmovps) took about as long as
    // the 8 tiles' whole output transform on Zen 3 (rows of 28 and 14 pixels end in partial vectors).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePartial256(float* y, int count, Vector256<float> v)
    {
        Vector128<float> part = v.GetLower();
        if ((count & 4) != 0)
        {
            part.Store(y);
            y += 4;
            part = v.GetUpper();
        }

        if ((count & 2) != 0)
        {
            *(double*)y = part.AsDouble().ToScalar();
            y += 2;
            part = Sse.MoveHighToLow(part, part);
        }

        if ((count & 1) != 0)
        {
            *y = part.ToScalar();
        }
    }
}
