using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>The Vector512 path of <see cref="WinogradConv"/>: input transform, the 16 products and the output transform.</summary>
public static unsafe partial class WinogradConv
{
    // 16 tiles at a time: the row transform on 2 × 16 consecutive columns at 2·tile and 2·tile + 2, de-interleaved into the
    // columns 2t, 2t + 1, 2t + 2, 2t + 3 of the 16 tiles, then the column transform; V[ξ][c][tile] stores whole vectors. The rows
    // are read in place; a block that reaches past the row (fewer than 16 tiles left, an odd width) or below the plane (the last
    // tile row of an odd height) reads zeros there through masked loads, as if the plane were padded (the products of those
    // lanes only reach outputs that are dropped). Copying each row into a zero-padded buffer first cost as much as the transform
    // and, on 14 tiles a row (28 × 28), more: twice the Fashion-MNIST 16 → 16 convolution's time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputRow512(in Call run, int ty)
    {
        int cin = run.Shape.Channels, tiles = run.Shape.TileColumns, tp = run.TilePad, width = run.Shape.InWidth;
        int below = run.Shape.InHeight - (2 * ty);
        nint step = run.VStep, len = run.InRow;
        Vector512<int> even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Vector512<int> odd = even + Vector512<int>.One;
        for (int c = 0; c < cin; c++)
        {
            float* rows = run.Input + ((nint)c * run.InPlane) + ((nint)(2 * ty) * run.InRow);
            for (int t = 0; t < tiles; t += 16)
            {
                // Columns of each row the block may read (34 or more: all its loads whole); none for a row below the plane.
                int valid = width - (2 * t), last = below < 4 ? 0 : valid;
                float* r = rows + (2 * t), v = run.V + ((nint)c * tp) + t;
                Row(r, valid, even, odd, out var e00, out var e01, out var e02, out var e03);
                Row(r + len, valid, even, odd, out var e10, out var e11, out var e12, out var e13);
                Row(r + (2 * len), valid, even, odd, out var e20, out var e21, out var e22, out var e23);
                Row(r + (3 * len), last, even, odd, out var e30, out var e31, out var e32, out var e33);
                Columns(v, step, 0, e00 - e20, e01 - e21, e02 - e22, e03 - e23);
                Columns(v, step, 4, e10 + e20, e11 + e21, e12 + e22, e13 + e23);
                Columns(v, step, 8, e20 - e10, e21 - e11, e22 - e12, e23 - e13);
                Columns(v, step, 12, e10 - e30, e11 - e31, e12 - e32, e13 - e33);
            }
        }
    }

    // Columns 2t + k (k = 0…3) of the 16 tiles from the input row at `at`, of which `valid` columns exist (zeros past them).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(float* at, int valid, Vector512<int> even, Vector512<int> odd, out Vector512<float> e0, out Vector512<float> e1, out Vector512<float> e2, out Vector512<float> e3)
    {
        Vector512<float> a, b, c, d;
        if (valid >= 34)
        {
            a = Vector512.Load(at);
            b = Vector512.Load(at + 16);
            c = Vector512.Load(at + 2);
            d = Vector512.Load(at + 18);
        }
        else
        {
            a = LoadPartial(at, valid);
            b = LoadPartial(at + 16, valid - 16);
            c = LoadPartial(at + 2, valid - 2);
            d = LoadPartial(at + 18, valid - 18);
        }

        e0 = Avx512F.PermuteVar16x32x2(a, even, b);
        e1 = Avx512F.PermuteVar16x32x2(a, odd, b);
        e2 = Avx512F.PermuteVar16x32x2(c, even, d);
        e3 = Avx512F.PermuteVar16x32x2(c, odd, d);
    }

    // The first `count` floats at p (any count: none at or below 0, 16 at or above it), zeros after; nothing past them is read.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LoadPartial(float* p, int count)
    {
        if (count >= 16)
        {
            return Vector512.Load(p);
        }

#if NET9_0_OR_GREATER
        return Avx512F.MaskLoad(p, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle(), Vector512<float>.Zero);
#else
        Vector512<float> v = Vector512<float>.Zero;
        for (int i = 0; i < count; i++)
        {
            v = v.WithElement(i, p[i]);
        }

        return v;
#endif
    }

    // The column transform of one transformed row: V[ξ0 + j] for j = 0…3.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(float* v, nint step, int xi0, Vector512<float> e0, Vector512<float> e1, Vector512<float> e2, Vector512<float> e3)
    {
        Vector512.Store(e0 - e2, v + (xi0 * step));
        Vector512.Store(e1 + e2, v + ((xi0 + 1) * step));
        Vector512.Store(e2 - e1, v + ((xi0 + 2) * step));
        Vector512.Store(e1 - e3, v + ((xi0 + 3) * step));
    }

    // The 16 products M[ξ] = V[ξ]ᵀ U[ξ]: ξ outermost so U[ξ] (Channels × OutPad floats) stays in L1 while every strip of the
    // tile row runs over it; strips of up to 6 tiles as even as possible (28 = 6 + 6 + 6 + 5 + 5) × 64 output channels.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Products512(in Call run)
    {
        int cin = run.Shape.Channels, tiles = run.Shape.TileColumns, pad = run.Shape.OutPad, tp = run.TilePad;
        int strips = (tiles + 5) / 6, small = tiles / strips, large = tiles % strips;
        for (int xi = 0; xi < 16; xi++)
        {
            float* v = run.V + ((nint)xi * run.VStep), u = run.Weights + ((nint)xi * cin * pad), m = run.M + ((nint)xi * run.MStep);
            for (int g = 0; g < pad; g += 64)
            {
                int nv = Math.Min(4, (pad - g) / 16);
                for (int s = 0, t0 = 0; s < strips; s++)
                {
                    int n = s < large ? small + 1 : small;
                    var block = new Strip(v + t0, tp, u + g, pad, cin, m + ((nint)t0 * pad) + g);
                    switch (nv)
                    {
                        case 4: Product<LanesConv.N4>(in block, n); break;
                        case 3: Product<LanesConv.N3>(in block, n); break;
                        case 2: Product<LanesConv.N2>(in block, n); break;
                        default: Product<LanesConv.N1>(in block, n); break;
                    }

                    t0 += n;
                }
            }
        }
    }

    private readonly struct Strip(float* v, int tilePad, float* u, int pad, int channels, float* m)
    {
        public readonly float* V = v, U = u, M = m;
        public readonly int TilePad = tilePad, Pad = pad, Channels = channels;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product<TV>(in Strip b, int n)
        where TV : struct, LanesConv.IPixels
    {
        switch (n)
        {
            case 6: Product<LanesConv.N6, TV>(in b); break;
            case 5: Product<LanesConv.N5, TV>(in b); break;
            case 4: Product<LanesConv.N4, TV>(in b); break;
            case 3: Product<LanesConv.N3, TV>(in b); break;
            case 2: Product<LanesConv.N2, TV>(in b); break;
            default: Product<LanesConv.N1, TV>(in b); break;
        }
    }

    // Counts as LanesConv's pixel types, so each instantiation has constant tile and vector counts and drops the rest.
    // Up to 6 tiles × 4 vectors of output channels in 24 accumulators over all input channels: nv weight loads and one
    // broadcast per tile per channel. Tile j's lines are written out by hand (a loop over them would not stay in registers).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Product<TN, TV>(in Strip b)
        where TN : struct, LanesConv.IPixels
        where TV : struct, LanesConv.IPixels
    {
        int n = TN.Count, nv = TV.Count, pad = b.Pad;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default, a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default, a40 = default, a41 = default, a42 = default, a43 = default, a50 = default, a51 = default, a52 = default, a53 = default;
        Vector512<float> w0, w1 = default, w2 = default, w3 = default, v;
        float* vt = b.V, wk = b.U;
        for (int c = 0; c < b.Channels; c++, vt += b.TilePad, wk += pad)
        {
            w0 = Vector512.Load(wk);
            if (nv > 1) { w1 = Vector512.Load(wk + 16); }
            if (nv > 2) { w2 = Vector512.Load(wk + 32); }
            if (nv > 3) { w3 = Vector512.Load(wk + 48); }
                v = Vector512.Create(vt[0]);
                a00 = Simd.Fma(v, w0, a00);
                if (nv > 1) { a01 = Simd.Fma(v, w1, a01); }
                if (nv > 2) { a02 = Simd.Fma(v, w2, a02); }
                if (nv > 3) { a03 = Simd.Fma(v, w3, a03); }
                if (n > 1)
                {
                    v = Vector512.Create(vt[1]);
                    a10 = Simd.Fma(v, w0, a10);
                    if (nv > 1) { a11 = Simd.Fma(v, w1, a11); }
                    if (nv > 2) { a12 = Simd.Fma(v, w2, a12); }
                    if (nv > 3) { a13 = Simd.Fma(v, w3, a13); }
                }
                if (n > 2)
                {
                    v = Vector512.Create(vt[2]);
                    a20 = Simd.Fma(v, w0, a20);
                    if (nv > 1) { a21 = Simd.Fma(v, w1, a21); }
                    if (nv > 2) { a22 = Simd.Fma(v, w2, a22); }
                    if (nv > 3) { a23 = Simd.Fma(v, w3, a23); }
                }
                if (n > 3)
                {
                    v = Vector512.Create(vt[3]);
                    a30 = Simd.Fma(v, w0, a30);
                    if (nv > 1) { a31 = Simd.Fma(v, w1, a31); }
                    if (nv > 2) { a32 = Simd.Fma(v, w2, a32); }
                    if (nv > 3) { a33 = Simd.Fma(v, w3, a33); }
                }
                if (n > 4)
                {
                    v = Vector512.Create(vt[4]);
                    a40 = Simd.Fma(v, w0, a40);
                    if (nv > 1) { a41 = Simd.Fma(v, w1, a41); }
                    if (nv > 2) { a42 = Simd.Fma(v, w2, a42); }
                    if (nv > 3) { a43 = Simd.Fma(v, w3, a43); }
                }
                if (n > 5)
                {
                    v = Vector512.Create(vt[5]);
                    a50 = Simd.Fma(v, w0, a50);
                    if (nv > 1) { a51 = Simd.Fma(v, w1, a51); }
                    if (nv > 2) { a52 = Simd.Fma(v, w2, a52); }
                    if (nv > 3) { a53 = Simd.Fma(v, w3, a53); }
                }
        }

        float* m = b.M;
        Vector512.Store(a00, m + (0 * pad) + 0);
        if (nv > 1) { Vector512.Store(a01, m + (0 * pad) + 16); }
        if (nv > 2) { Vector512.Store(a02, m + (0 * pad) + 32); }
        if (nv > 3) { Vector512.Store(a03, m + (0 * pad) + 48); }
        if (n > 1)
        {
            Vector512.Store(a10, m + (1 * pad) + 0);
            if (nv > 1) { Vector512.Store(a11, m + (1 * pad) + 16); }
            if (nv > 2) { Vector512.Store(a12, m + (1 * pad) + 32); }
            if (nv > 3) { Vector512.Store(a13, m + (1 * pad) + 48); }
        }
        if (n > 2)
        {
            Vector512.Store(a20, m + (2 * pad) + 0);
            if (nv > 1) { Vector512.Store(a21, m + (2 * pad) + 16); }
            if (nv > 2) { Vector512.Store(a22, m + (2 * pad) + 32); }
            if (nv > 3) { Vector512.Store(a23, m + (2 * pad) + 48); }
        }
        if (n > 3)
        {
            Vector512.Store(a30, m + (3 * pad) + 0);
            if (nv > 1) { Vector512.Store(a31, m + (3 * pad) + 16); }
            if (nv > 2) { Vector512.Store(a32, m + (3 * pad) + 32); }
            if (nv > 3) { Vector512.Store(a33, m + (3 * pad) + 48); }
        }
        if (n > 4)
        {
            Vector512.Store(a40, m + (4 * pad) + 0);
            if (nv > 1) { Vector512.Store(a41, m + (4 * pad) + 16); }
            if (nv > 2) { Vector512.Store(a42, m + (4 * pad) + 32); }
            if (nv > 3) { Vector512.Store(a43, m + (4 * pad) + 48); }
        }
        if (n > 5)
        {
            Vector512.Store(a50, m + (5 * pad) + 0);
            if (nv > 1) { Vector512.Store(a51, m + (5 * pad) + 16); }
            if (nv > 2) { Vector512.Store(a52, m + (5 * pad) + 32); }
            if (nv > 3) { Vector512.Store(a53, m + (5 * pad) + 48); }
        }
    }

    // Y = Aᵀ M A for 16 output channels of one tile at a time, then the epilogue, into the stage's two rows [r][x][OutPad].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void OutputRow512<TAct>(TAct act, in Call run)
        where TAct : struct, IActivationOperator
    {
        int tiles = run.Shape.TileColumns, pad = run.Shape.OutPad;
        nint step = run.MStep, below = (nint)run.Pixels * pad;
        for (int t = 0; t < tiles; t++)
        {
            float* m = run.M + ((nint)t * pad), at = run.Stage + ((nint)(2 * t) * pad);
            for (int o = 0; o < pad; o += 16, m += 16, at += 16)
            {
                Vector512<float> s0 = Vector512.Load(m) + Vector512.Load(m + (4 * step)) + Vector512.Load(m + (8 * step));
                Vector512<float> s1 = Vector512.Load(m + step) + Vector512.Load(m + (5 * step)) + Vector512.Load(m + (9 * step));
                Vector512<float> s2 = Vector512.Load(m + (2 * step)) + Vector512.Load(m + (6 * step)) + Vector512.Load(m + (10 * step));
                Vector512<float> s3 = Vector512.Load(m + (3 * step)) + Vector512.Load(m + (7 * step)) + Vector512.Load(m + (11 * step));
                Vector512<float> d0 = Vector512.Load(m + (4 * step)) - Vector512.Load(m + (8 * step)) - Vector512.Load(m + (12 * step));
                Vector512<float> d1 = Vector512.Load(m + (5 * step)) - Vector512.Load(m + (9 * step)) - Vector512.Load(m + (13 * step));
                Vector512<float> d2 = Vector512.Load(m + (6 * step)) - Vector512.Load(m + (10 * step)) - Vector512.Load(m + (14 * step));
                Vector512<float> d3 = Vector512.Load(m + (7 * step)) - Vector512.Load(m + (11 * step)) - Vector512.Load(m + (15 * step));
                Vector512<float> a = Vector512.Load(run.Scale + o), h = Vector512.Load(run.Shift + o);
                Vector512.Store(act.Invoke(Simd.Fma(s0 + s1 + s2, a, h)), at);
                Vector512.Store(act.Invoke(Simd.Fma(s1 - s2 - s3, a, h)), at + pad);
                Vector512.Store(act.Invoke(Simd.Fma(d0 + d1 + d2, a, h)), at + below);
                Vector512.Store(act.Invoke(Simd.Fma(d1 - d2 - d3, a, h)), at + below + pad);
            }
        }
    }
}
