using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// <see cref="SingleChannelConv.Run3x3{TAct}"/> at 128 bits (SSE, AdvSimd; <see cref="KernelDispatch.RuntimeBits"/> 128): the 256-bit
/// kernel's walk with vectors of 4 pixels, the same register block (2 vectors × 4 output channels: 8 accumulators, 2 input vectors
/// and a broadcast weight, within x64's 16 xmm registers) and the same sums, one FMA a tap from zero in the order (ky, kx), then
/// act(scale · sum + shift): each output the 256-bit kernel's and the generated kernels' bits.
/// </content>
public static unsafe partial class SingleChannelConv
{
    // Run3x3's rows at 128 bits: pairs of 4-pixel vectors, the last one of a row starting at width − 4 (overlapping the one before
    // when the width is not a multiple of 4; an odd count repeats it, the same values stored twice).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run128<TAct>(TAct act, float* px, int height, int width, int outChannels, float* pw, float* ps, float* ph, float* py, float* pp)
        where TAct : struct, IActivationOperator
    {
        int wp = width + 2, plane = height * width, perRow = (width + 3) / 4;
        Pad128(px, height, width, pp);
        for (int r = 0; r < height; r++)
        {
            float* window = pp + ((nint)r * wp);
            float* row = py + ((nint)r * width);
            for (int j = 0; j < perRow; j += 2)
            {
                int xa = Math.Min(4 * j, width - 4), xb = Math.Min(4 * (j + 1), width - 4);
                int o = 0;
                for (; o + 4 <= outChannels; o += 4)
                {
                    Block4x128(act, window + xa, window + xb, wp, pw + (9 * o), ps + o, ph + o, row + ((nint)o * plane), xa, xb, plane);
                }

                for (; o < outChannels; o++)
                {
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store128<TAct>(TAct act, Vector128<float> sa, Vector128<float> sb, float scale, float shift, float* y, int xa, int xb)
        where TAct : struct, IActivationOperator
    {
        Vector128<float> s = Vector128.Create(scale), h = Vector128.Create(shift);
        Vector128.Store(act.Invoke(Simd.Fma(sa, s, h)), y + xa);
        Vector128.Store(act.Invoke(Simd.Fma(sb, s, h)), y + xb);
    }
}
