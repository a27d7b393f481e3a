using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>The strip kernel of <see cref="LanesConv"/> and its 16 × 16 transpose.</summary>
public static unsafe partial class LanesConv
{
    // Pixels per strip as a type, so each instantiation of the strip kernel has a constant count and drops the rest.
    internal interface IPixels
    {
        static abstract int Count { get; }
    }

    internal readonly struct N1 : IPixels
    {
        public static int Count => 1;
    }

    internal readonly struct N2 : IPixels
    {
        public static int Count => 2;
    }

    internal readonly struct N3 : IPixels
    {
        public static int Count => 3;
    }

    internal readonly struct N4 : IPixels
    {
        public static int Count => 4;
    }

    internal readonly struct N5 : IPixels
    {
        public static int Count => 5;
    }

    internal readonly struct N6 : IPixels
    {
        public static int Count => 6;
    }

    // Up to 6 pixels × 64 output channels in 24 accumulators over one channel block's taps: four weight vectors and one
    // broadcast input float per pixel per tap. Starts from the parked sums unless the block is the first; applies the
    // epilogue after the last. Pixel j's lines are written out by hand (a loop over them would not stay in registers).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Strip<TAct, TN>(TAct act, in Block b, int x0, float* sums)
        where TAct : struct, IActivationOperator
        where TN : struct, IPixels
    {
        int n = TN.Count;
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default, a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default, a40 = default, a41 = default, a42 = default, a43 = default, a50 = default, a51 = default, a52 = default, a53 = default;
        if (!b.First)
        {
            a00 = Vector512.Load(sums + 0); a01 = Vector512.Load(sums + 16); a02 = Vector512.Load(sums + 32); a03 = Vector512.Load(sums + 48);
            if (n > 1) { a10 = Vector512.Load(sums + 64); a11 = Vector512.Load(sums + 80); a12 = Vector512.Load(sums + 96); a13 = Vector512.Load(sums + 112); }
            if (n > 2) { a20 = Vector512.Load(sums + 128); a21 = Vector512.Load(sums + 144); a22 = Vector512.Load(sums + 160); a23 = Vector512.Load(sums + 176); }
            if (n > 3) { a30 = Vector512.Load(sums + 192); a31 = Vector512.Load(sums + 208); a32 = Vector512.Load(sums + 224); a33 = Vector512.Load(sums + 240); }
            if (n > 4) { a40 = Vector512.Load(sums + 256); a41 = Vector512.Load(sums + 272); a42 = Vector512.Load(sums + 288); a43 = Vector512.Load(sums + 304); }
            if (n > 5) { a50 = Vector512.Load(sums + 320); a51 = Vector512.Load(sums + 336); a52 = Vector512.Load(sums + 352); a53 = Vector512.Load(sums + 368); }
        }

        float* wk = b.Weights, xc = b.Input + x0;
        int* offsets = b.Offsets;
        for (int c = 0; c < b.Channels; c++, xc += b.Plane)
        {
            for (int t = 0; t < b.Taps; t++, wk += GroupWidth)
            {
                float* xt = xc + offsets[t];
                Vector512<float> w0 = Vector512.Load(wk), w1 = Vector512.Load(wk + 16), w2 = Vector512.Load(wk + 32), w3 = Vector512.Load(wk + 48);
                Vector512<float> v = Vector512.Create(xt[0]);
                a00 = Simd.Fma(v, w0, a00); a01 = Simd.Fma(v, w1, a01); a02 = Simd.Fma(v, w2, a02); a03 = Simd.Fma(v, w3, a03);
                if (n > 1)
                {
                    v = Vector512.Create(xt[1]);
                    a10 = Simd.Fma(v, w0, a10); a11 = Simd.Fma(v, w1, a11); a12 = Simd.Fma(v, w2, a12); a13 = Simd.Fma(v, w3, a13);
                }
                if (n > 2)
                {
                    v = Vector512.Create(xt[2]);
                    a20 = Simd.Fma(v, w0, a20); a21 = Simd.Fma(v, w1, a21); a22 = Simd.Fma(v, w2, a22); a23 = Simd.Fma(v, w3, a23);
                }
                if (n > 3)
                {
                    v = Vector512.Create(xt[3]);
                    a30 = Simd.Fma(v, w0, a30); a31 = Simd.Fma(v, w1, a31); a32 = Simd.Fma(v, w2, a32); a33 = Simd.Fma(v, w3, a33);
                }
                if (n > 4)
                {
                    v = Vector512.Create(xt[4]);
                    a40 = Simd.Fma(v, w0, a40); a41 = Simd.Fma(v, w1, a41); a42 = Simd.Fma(v, w2, a42); a43 = Simd.Fma(v, w3, a43);
                }
                if (n > 5)
                {
                    v = Vector512.Create(xt[5]);
                    a50 = Simd.Fma(v, w0, a50); a51 = Simd.Fma(v, w1, a51); a52 = Simd.Fma(v, w2, a52); a53 = Simd.Fma(v, w3, a53);
                }
            }
        }

        if (b.Last)
        {
            Vector512<float> s0 = Vector512.Load(b.Scale + 0), h0 = Vector512.Load(b.Shift + 0);
            Vector512<float> s1 = Vector512.Load(b.Scale + 16), h1 = Vector512.Load(b.Shift + 16);
            Vector512<float> s2 = Vector512.Load(b.Scale + 32), h2 = Vector512.Load(b.Shift + 32);
            Vector512<float> s3 = Vector512.Load(b.Scale + 48), h3 = Vector512.Load(b.Shift + 48);
            a00 = act.Invoke(Simd.Fma(a00, s0, h0)); a01 = act.Invoke(Simd.Fma(a01, s1, h1)); a02 = act.Invoke(Simd.Fma(a02, s2, h2)); a03 = act.Invoke(Simd.Fma(a03, s3, h3));
            if (n > 1)
            {
                a10 = act.Invoke(Simd.Fma(a10, s0, h0)); a11 = act.Invoke(Simd.Fma(a11, s1, h1)); a12 = act.Invoke(Simd.Fma(a12, s2, h2)); a13 = act.Invoke(Simd.Fma(a13, s3, h3));
            }
            if (n > 2)
            {
                a20 = act.Invoke(Simd.Fma(a20, s0, h0)); a21 = act.Invoke(Simd.Fma(a21, s1, h1)); a22 = act.Invoke(Simd.Fma(a22, s2, h2)); a23 = act.Invoke(Simd.Fma(a23, s3, h3));
            }
            if (n > 3)
            {
                a30 = act.Invoke(Simd.Fma(a30, s0, h0)); a31 = act.Invoke(Simd.Fma(a31, s1, h1)); a32 = act.Invoke(Simd.Fma(a32, s2, h2)); a33 = act.Invoke(Simd.Fma(a33, s3, h3));
            }
            if (n > 4)
            {
                a40 = act.Invoke(Simd.Fma(a40, s0, h0)); a41 = act.Invoke(Simd.Fma(a41, s1, h1)); a42 = act.Invoke(Simd.Fma(a42, s2, h2)); a43 = act.Invoke(Simd.Fma(a43, s3, h3));
            }
            if (n > 5)
            {
                a50 = act.Invoke(Simd.Fma(a50, s0, h0)); a51 = act.Invoke(Simd.Fma(a51, s1, h1)); a52 = act.Invoke(Simd.Fma(a52, s2, h2)); a53 = act.Invoke(Simd.Fma(a53, s3, h3));
            }
        }

        Vector512.Store(a00, sums + 0); Vector512.Store(a01, sums + 16); Vector512.Store(a02, sums + 32); Vector512.Store(a03, sums + 48);
        if (n > 1)
        {
            Vector512.Store(a10, sums + 64); Vector512.Store(a11, sums + 80); Vector512.Store(a12, sums + 96); Vector512.Store(a13, sums + 112);
        }
        if (n > 2)
        {
            Vector512.Store(a20, sums + 128); Vector512.Store(a21, sums + 144); Vector512.Store(a22, sums + 160); Vector512.Store(a23, sums + 176);
        }
        if (n > 3)
        {
            Vector512.Store(a30, sums + 192); Vector512.Store(a31, sums + 208); Vector512.Store(a32, sums + 224); Vector512.Store(a33, sums + 240);
        }
        if (n > 4)
        {
            Vector512.Store(a40, sums + 256); Vector512.Store(a41, sums + 272); Vector512.Store(a42, sums + 288); Vector512.Store(a43, sums + 304);
        }
        if (n > 5)
        {
            Vector512.Store(a50, sums + 320); Vector512.Store(a51, sums + 336); Vector512.Store(a52, sums + 352); Vector512.Store(a53, sums + 368);
        }
    }

    // A 16 × 16 tile: row i (pixel i, 16 channels, `from` floats apart) becomes column i of 16 output rows `to` floats apart.
    // Four shuffle stages: 32-bit and 64-bit interleaves within 128-bit lanes, then two 128-bit lane shuffles.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Transpose16(float* tile, int from, float* y, int to)
    {
        Vector512<float> r0 = Vector512.Load(tile), r1 = Vector512.Load(tile + (1 * from)), r2 = Vector512.Load(tile + (2 * from)), r3 = Vector512.Load(tile + (3 * from)), r4 = Vector512.Load(tile + (4 * from)), r5 = Vector512.Load(tile + (5 * from)), r6 = Vector512.Load(tile + (6 * from)), r7 = Vector512.Load(tile + (7 * from)), r8 = Vector512.Load(tile + (8 * from)), r9 = Vector512.Load(tile + (9 * from)), r10 = Vector512.Load(tile + (10 * from)), r11 = Vector512.Load(tile + (11 * from)), r12 = Vector512.Load(tile + (12 * from)), r13 = Vector512.Load(tile + (13 * from)), r14 = Vector512.Load(tile + (14 * from)), r15 = Vector512.Load(tile + (15 * from));
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3), t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5), t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7), t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9), t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11), t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13), t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);
        Vector512<float> u0 = Lo(t0, t2), u1 = Hi(t0, t2), u2 = Lo(t1, t3), u3 = Hi(t1, t3), u4 = Lo(t4, t6), u5 = Hi(t4, t6), u6 = Lo(t5, t7), u7 = Hi(t5, t7), u8 = Lo(t8, t10), u9 = Hi(t8, t10), u10 = Lo(t9, t11), u11 = Hi(t9, t11), u12 = Lo(t12, t14), u13 = Hi(t12, t14), u14 = Lo(t13, t15), u15 = Hi(t13, t15);
        Vector512<float> v0 = Avx512F.Shuffle4x128(u0, u4, 0x88), v4 = Avx512F.Shuffle4x128(u0, u4, 0xDD), v8 = Avx512F.Shuffle4x128(u8, u12, 0x88), v12 = Avx512F.Shuffle4x128(u8, u12, 0xDD), v1 = Avx512F.Shuffle4x128(u1, u5, 0x88), v5 = Avx512F.Shuffle4x128(u1, u5, 0xDD), v9 = Avx512F.Shuffle4x128(u9, u13, 0x88), v13 = Avx512F.Shuffle4x128(u9, u13, 0xDD), v2 = Avx512F.Shuffle4x128(u2, u6, 0x88), v6 = Avx512F.Shuffle4x128(u2, u6, 0xDD), v10 = Avx512F.Shuffle4x128(u10, u14, 0x88), v14 = Avx512F.Shuffle4x128(u10, u14, 0xDD), v3 = Avx512F.Shuffle4x128(u3, u7, 0x88), v7 = Avx512F.Shuffle4x128(u3, u7, 0xDD), v11 = Avx512F.Shuffle4x128(u11, u15, 0x88), v15 = Avx512F.Shuffle4x128(u11, u15, 0xDD);
        Vector512.Store(Avx512F.Shuffle4x128(v0, v8, 0x88), y + (0 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v4, v12, 0x88), y + (4 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v0, v8, 0xDD), y + (8 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v4, v12, 0xDD), y + (12 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v1, v9, 0x88), y + (1 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v5, v13, 0x88), y + (5 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v1, v9, 0xDD), y + (9 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v5, v13, 0xDD), y + (13 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v2, v10, 0x88), y + (2 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v6, v14, 0x88), y + (6 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v2, v10, 0xDD), y + (10 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v6, v14, 0xDD), y + (14 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v3, v11, 0x88), y + (3 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v7, v15, 0x88), y + (7 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v3, v11, 0xDD), y + (11 * to));
        Vector512.Store(Avx512F.Shuffle4x128(v7, v15, 0xDD), y + (15 * to));
    }

    private static Vector512<float> Lo(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    private static Vector512<float> Hi(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();
}
