using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// <see cref="SingleChannelConv.Run3x3{TAct}"/> at 128 bits (SSE, AdvSimd; <see cref="KernelDispatch.RuntimeBits"/> 128): the 256-bit
/// kernel's walk with vectors of 4 pixels and the same sums, one FMA a tap from zero in the order (ky, kx), then act(scale · sum +
/// shift): each output the 256-bit kernel's and the generated kernels' bits. Blocks of 4 output channels × 4, 3 or 2 vectors (16,
/// 12 or 8 accumulators; 16 only with 32 vector registers), the input vectors of a tap loaded once for the 4 broadcast weights.
/// </content>
public static unsafe partial class SingleChannelConv
{
    // Run3x3's rows at 128 bits: 4-pixel vectors, the last one of a row starting at width − 4 (overlapping the one before when the
    // width is not a multiple of 4). Each block of 4 output channels walks a row in steps of 4 vectors where there are 32 vector
    // registers (while 6 or more or exactly 4 are left), of 3 (12 accumulators, within x64's 16 xmm registers; while 5 or more or
    // exactly 3 are left), then of 2, so no vector is computed twice; the channels past a multiple of 4 in steps of 2 (an odd count
    // repeats the last vector, the same values stored twice).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run128<TAct>(TAct act, float* px, int height, int width, int outChannels, float* pw, float* ps, float* ph, float* py, float* pp)
        where TAct : struct, IActivationOperator
    {
        int wp = width + 2, plane = height * width, perRow = (width + 3) / 4, last = width - 4;
        Pad128(px, height, width, pp);
        for (int r = 0; r < height; r++)
        {
            float* window = pp + ((nint)r * wp);
            float* row = py + ((nint)r * width);
            int o = 0;
            for (; o + 4 <= outChannels; o += 4)
            {
                float* wo = pw + (9 * o), yo = row + ((nint)o * plane);
                int j = 0;
                for (; Registers32 && (perRow - j >= 6 || perRow - j == 4); j += 4)
                {
                    int xd = Math.Min(4 * (j + 3), last);
                    Block4x4(act, window, 4 * j, xd, wp, wo, ps + o, ph + o, yo, plane);
                }

                for (; perRow - j >= 5 || perRow - j == 3; j += 3)
                {
                    int xa = 4 * j, xb = 4 * (j + 1), xc = Math.Min(4 * (j + 2), last);
                    Block4x3(act, window, xa, xb, xc, wp, wo, ps + o, ph + o, yo, plane);
                }

                for (; j < perRow; j += 2)
                {
                    int xa = Math.Min(4 * j, last), xb = Math.Min(4 * (j + 1), last);
                    Block4x128(act, window + xa, window + xb, wp, wo, ps + o, ph + o, yo, xa, xb, plane);
                }
            }

            for (; o < outChannels; o++)
            {
                for (int j = 0; j < perRow; j += 2)
                {
                    int xa = Math.Min(4 * j, last), xb = Math.Min(4 * (j + 1), last);
                    Block1x128(act, window + xa, window + xb, wp, pw + (9 * o), ps[o], ph[o], row + ((nint)o * plane), xa, xb);
                }
            }
        }
    }

    // Pad's plane with 4-wide row copies, the last one overlapping.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pad128(float* x, int height, int width, float* p)
    {
        int wp = width + 2;
        new Span<float>(p, wp).Clear();
        new Span<float>(p + ((nint)(height + 1) * wp), wp).Clear();
        for (int r = 0; r < height; r++)
        {
            float* from = x + ((nint)r * width), to = p + ((nint)(r + 1) * wp);
            to[0] = 0f;
            to[width + 1] = 0f;
            for (int i = 0; i < width - 4; i += 4)
            {
                Vector128.Store(Vector128.Load(from + i), to + 1 + i);
            }

            Vector128.Store(Vector128.Load(from + width - 4), to + 1 + width - 4);
        }
    }

    // Whether the ISA has 32 vector registers (ARM64; x64 with AVX-512VL, where the JIT uses xmm16–31): room for 16 accumulators.
    private static bool Registers32 => AdvSimd.Arm64.IsSupported || Avx512F.VL.IsSupported;

    // Output channels o … o + 3 of the 16 pixels from column x (the last vector from xd): 16 accumulators (4 × 128-bit FMA pipes of
    // latency 4 need 16 independent chains), the 4 input vectors of a tap loaded once for the 4 channels' broadcast weights.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x4<TAct>(TAct act, float* window, int x, int xd, int wp, float* w, float* scale, float* shift, float* y, int plane)
        where TAct : struct, IActivationOperator
    {
        Vector128<float> c0a = Vector128<float>.Zero, c0b = Vector128<float>.Zero, c0c = Vector128<float>.Zero, c0d = Vector128<float>.Zero;
        Vector128<float> c1a = Vector128<float>.Zero, c1b = Vector128<float>.Zero, c1c = Vector128<float>.Zero, c1d = Vector128<float>.Zero;
        Vector128<float> c2a = Vector128<float>.Zero, c2b = Vector128<float>.Zero, c2c = Vector128<float>.Zero, c2d = Vector128<float>.Zero;
        Vector128<float> c3a = Vector128<float>.Zero, c3b = Vector128<float>.Zero, c3c = Vector128<float>.Zero, c3d = Vector128<float>.Zero;
        float* a = window + x, d = window + xd;
        for (int ky = 0; ky < 3; ky++, a += wp, d += wp, w += 3)
        {
            for (int kx = 0; kx < 3; kx++)
            {
                Vector128<float> ia = Vector128.Load(a + kx), ib = Vector128.Load(a + 4 + kx), ic = Vector128.Load(a + 8 + kx), id = Vector128.Load(d + kx);
                Vector128<float> wk = Vector128.Create(w[kx]);
                c0a = Simd.Fma(wk, ia, c0a);
                c0b = Simd.Fma(wk, ib, c0b);
                c0c = Simd.Fma(wk, ic, c0c);
                c0d = Simd.Fma(wk, id, c0d);
                wk = Vector128.Create(w[9 + kx]);
                c1a = Simd.Fma(wk, ia, c1a);
                c1b = Simd.Fma(wk, ib, c1b);
                c1c = Simd.Fma(wk, ic, c1c);
                c1d = Simd.Fma(wk, id, c1d);
                wk = Vector128.Create(w[18 + kx]);
                c2a = Simd.Fma(wk, ia, c2a);
                c2b = Simd.Fma(wk, ib, c2b);
                c2c = Simd.Fma(wk, ic, c2c);
                c2d = Simd.Fma(wk, id, c2d);
                wk = Vector128.Create(w[27 + kx]);
                c3a = Simd.Fma(wk, ia, c3a);
                c3b = Simd.Fma(wk, ib, c3b);
                c3c = Simd.Fma(wk, ic, c3c);
                c3d = Simd.Fma(wk, id, c3d);
            }
        }

        Store4x128(act, c0a, c0b, c0c, c0d, scale[0], shift[0], y, x, xd);
        Store4x128(act, c1a, c1b, c1c, c1d, scale[1], shift[1], y + plane, x, xd);
        Store4x128(act, c2a, c2b, c2c, c2d, scale[2], shift[2], y + (2 * plane), x, xd);
        Store4x128(act, c3a, c3b, c3c, c3d, scale[3], shift[3], y + (3 * plane), x, xd);
    }

    // Block4x4's four vectors of one channel: columns x, x + 4, x + 8 and xd.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4x128<TAct>(TAct act, Vector128<float> sa, Vector128<float> sb, Vector128<float> sc, Vector128<float> sd, float scale, float shift, float* y, int x, int xd)
        where TAct : struct, IActivationOperator
    {
        Store128(act, sa, sb, scale, shift, y, x, x + 4);
        Store128(act, sc, sd, scale, shift, y, x + 8, xd);
    }

    // Output channels o … o + 3 of the 4 pixels from columns xa, xb and xc of one row (its windows at window + x): 12 accumulators,
    // the 3 input vectors of a tap loaded once for the 4 channels' broadcast weights.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x3<TAct>(TAct act, float* window, int xa, int xb, int xc, int wp, float* w, float* scale, float* shift, float* y, int plane)
        where TAct : struct, IActivationOperator
    {
        Vector128<float> c0a = Vector128<float>.Zero, c0b = Vector128<float>.Zero, c0c = Vector128<float>.Zero;
        Vector128<float> c1a = Vector128<float>.Zero, c1b = Vector128<float>.Zero, c1c = Vector128<float>.Zero;
        Vector128<float> c2a = Vector128<float>.Zero, c2b = Vector128<float>.Zero, c2c = Vector128<float>.Zero;
        Vector128<float> c3a = Vector128<float>.Zero, c3b = Vector128<float>.Zero, c3c = Vector128<float>.Zero;
        float* a = window + xa, b = window + xb, c = window + xc;
        for (int ky = 0; ky < 3; ky++, a += wp, b += wp, c += wp, w += 3)
        {
            for (int kx = 0; kx < 3; kx++)
            {
                Vector128<float> ia = Vector128.Load(a + kx), ib = Vector128.Load(b + kx), ic = Vector128.Load(c + kx);
                Vector128<float> wk = Vector128.Create(w[kx]);
                c0a = Simd.Fma(wk, ia, c0a);
                c0b = Simd.Fma(wk, ib, c0b);
                c0c = Simd.Fma(wk, ic, c0c);
                wk = Vector128.Create(w[9 + kx]);
                c1a = Simd.Fma(wk, ia, c1a);
                c1b = Simd.Fma(wk, ib, c1b);
                c1c = Simd.Fma(wk, ic, c1c);
                wk = Vector128.Create(w[18 + kx]);
                c2a = Simd.Fma(wk, ia, c2a);
                c2b = Simd.Fma(wk, ib, c2b);
                c2c = Simd.Fma(wk, ic, c2c);
                wk = Vector128.Create(w[27 + kx]);
                c3a = Simd.Fma(wk, ia, c3a);
                c3b = Simd.Fma(wk, ib, c3b);
                c3c = Simd.Fma(wk, ic, c3c);
            }
        }

        Store128(act, c0a, c0b, scale[0], shift[0], y, xa, xb);
        Store1x128(act, c0c, scale[0], shift[0], y + xc);
        Store128(act, c1a, c1b, scale[1], shift[1], y + plane, xa, xb);
        Store1x128(act, c1c, scale[1], shift[1], y + plane + xc);
        Store128(act, c2a, c2b, scale[2], shift[2], y + (2 * plane), xa, xb);
        Store1x128(act, c2c, scale[2], shift[2], y + (2 * plane) + xc);
        Store128(act, c3a, c3b, scale[3], shift[3], y + (3 * plane), xa, xb);
        Store1x128(act, c3c, scale[3], shift[3], y + (3 * plane) + xc);
    }

    // Block4 at 128 bits: output channels o … o + 3 of the 4 pixels from columns xa and xb.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x128<TAct>(TAct act, float* a, float* b, int wp, float* w, float* scale, float* shift, float* y, int xa, int xb, int plane)
        where TAct : struct, IActivationOperator
    {
        Vector128<float> c0a = Vector128<float>.Zero, c0b = Vector128<float>.Zero, c1a = Vector128<float>.Zero, c1b = Vector128<float>.Zero;
        Vector128<float> c2a = Vector128<float>.Zero, c2b = Vector128<float>.Zero, c3a = Vector128<float>.Zero, c3b = Vector128<float>.Zero;
        for (int ky = 0; ky < 3; ky++, a += wp, b += wp, w += 3)
        {
            for (int kx = 0; kx < 3; kx++)
            {
                Vector128<float> ia = Vector128.Load(a + kx), ib = Vector128.Load(b + kx);
                Vector128<float> w0 = Vector128.Create(w[kx]);
                c0a = Simd.Fma(w0, ia, c0a);
                c0b = Simd.Fma(w0, ib, c0b);
                Vector128<float> w1 = Vector128.Create(w[9 + kx]);
                c1a = Simd.Fma(w1, ia, c1a);
                c1b = Simd.Fma(w1, ib, c1b);
                Vector128<float> w2 = Vector128.Create(w[18 + kx]);
                c2a = Simd.Fma(w2, ia, c2a);
                c2b = Simd.Fma(w2, ib, c2b);
                Vector128<float> w3 = Vector128.Create(w[27 + kx]);
                c3a = Simd.Fma(w3, ia, c3a);
                c3b = Simd.Fma(w3, ib, c3b);
            }
        }

        Store128(act, c0a, c0b, scale[0], shift[0], y, xa, xb);
        Store128(act, c1a, c1b, scale[1], shift[1], y + plane, xa, xb);
        Store128(act, c2a, c2b, scale[2], shift[2], y + (2 * plane), xa, xb);
        Store128(act, c3a, c3b, scale[3], shift[3], y + (3 * plane), xa, xb);
    }

    // Block1 at 128 bits: one output channel, two vectors.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1x128<TAct>(TAct act, float* a, float* b, int wp, float* w, float scale, float shift, float* y, int xa, int xb)
        where TAct : struct, IActivationOperator
    {
        Vector128<float> ca = Vector128<float>.Zero, cb = Vector128<float>.Zero;
        for (int ky = 0; ky < 3; ky++, a += wp, b += wp, w += 3)
        {
            for (int kx = 0; kx < 3; kx++)
            {
                Vector128<float> wk = Vector128.Create(w[kx]);
                ca = Simd.Fma(wk, Vector128.Load(a + kx), ca);
                cb = Simd.Fma(wk, Vector128.Load(b + kx), cb);
            }
        }

        Store128(act, ca, cb, scale, shift, y, xa, xb);
    }

    // act(scale · sum + shift) of both vectors to their columns of one output row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store128<TAct>(TAct act, Vector128<float> sa, Vector128<float> sb, float scale, float shift, float* y, int xa, int xb)
        where TAct : struct, IActivationOperator
    {
        Store1x128(act, sa, scale, shift, y + xa);
        Store1x128(act, sb, scale, shift, y + xb);
    }

    // act(scale · sum + shift) of one vector to y.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store1x128<TAct>(TAct act, Vector128<float> sum, float scale, float shift, float* y)
        where TAct : struct, IActivationOperator =>
        Vector128.Store(act.Invoke(Simd.Fma(sum, Vector128.Create(scale), Vector128.Create(shift))), y);
}
