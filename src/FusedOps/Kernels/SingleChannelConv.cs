using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// Inference of a 3 × 3 convolution (stride 1, padding 1) of a one-channel image, such as a grey network's first layer, at
/// 256 bits (<see cref="KernelDispatch.Level"/> 1) and at 128 (<see cref="KernelDispatch.RuntimeBits"/> 128: the same walk with
/// vectors of 4 pixels, SingleChannelConv.Vector128.cs). The generated grid kernels spread such a layer's 9 taps over panels of the
/// padded grid and compress the panels that straddle rows; here each output row is read as vectors of 8 pixels straight from
/// the padded plane (the last vector of a row ending in a partial one overlaps the one before), and a register block of
/// 2 vectors × 4 output channels (8 accumulators, 2 input vectors, 4 broadcast weights) runs over the 9 taps. Each output is
/// the generated kernels' sum: Σ over the taps in order (ky, kx) of one FMA each from zero, then act(scale · sum + shift):
/// the same bits.
/// </summary>
public static unsafe partial class SingleChannelConv
{
    /// <summary>
    /// Whether <see cref="Run3x3{TAct}"/> runs: AVX2 + FMA without the Vector512 path (<see cref="KernelDispatch.Level"/> 1), or
    /// 128-bit vectors (<see cref="KernelDispatch.RuntimeBits"/> 128 where Vector128 is accelerated: SSE, AdvSimd). The name is the
    /// one generated code asks; it predates the 128-bit path.
    /// </summary>
    public static bool Enabled256 => KernelDispatch.Level == 1 || (KernelDispatch.RuntimeBits == 128 && Vector128.IsHardwareAccelerated);

    /// <summary>Floats of scratch <see cref="Run3x3{TAct}"/> needs: the padded plane, (height + 2) × (width + 2).</summary>
    public static int ScratchLength(int height, int width) => (height + 2) * (width + 2);

    /// <summary>
    /// <c>y[o][r][c] = act(scale[o] · Σ_{ky, kx} w[9o + 3ky + kx] · x[r + ky − 1][c + kx − 1] + shift[o])</c>, zeros outside
    /// the image, for the <paramref name="outChannels"/> output planes of one height × width sample; <paramref name="scratch"/>
    /// holds <see cref="ScratchLength"/> floats (the padded plane).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run3x3<TAct>(
        TAct act, ref float x, int height, int width, int outChannels, ref float w, ref float scale, ref float shift, ref float y, ref float scratch)
        where TAct : struct, IActivationOperator
    {
        if (!Enabled256)
        {
            throw new InvalidOperationException("SingleChannelConv.Run3x3 needs KernelDispatch.Level 1 (AVX2 + FMA, no Vector512 path) or 128-bit vectors (RuntimeBits 128).");
        }

        if (height < 1 || width < 8 || outChannels < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"Expected height ≥ 1, width ≥ 8 and at least one output channel, got {height} × {width}, {outChannels}.");
        }

        int wp = width + 2, plane = height * width, perRow = (width + 7) / 8;
        fixed (float* px = &x, pw = &w, ps = &scale, ph = &shift, py = &y, pp = &scratch)
        {
            if (KernelDispatch.Level == 0)
            {
                Run128(act, px, height, width, outChannels, pw, ps, ph, py, pp);
                return;
            }

            Pad(px, height, width, pp);
            for (int r = 0; r < height; r++)
            {
                // The 3 × 3 window of output (r, c) starts at padded (r, c).
                float* window = pp + ((nint)r * wp);
                float* row = py + ((nint)r * width);
                for (int j = 0; j < perRow; j += 2)
                {
                    // Two vectors of the row; the last one starts at width − 8, and an odd count repeats it (the same values stored twice).
                    int xa = Math.Min(8 * j, width - 8), xb = Math.Min(8 * (j + 1), width - 8);
                    int o = 0;
                    for (; o + 4 <= outChannels; o += 4)
                    {
                        Block4(act, window + xa, window + xb, wp, pw + (9 * o), ps + o, ph + o, row + ((nint)o * plane), xa, xb, plane);
                    }

                    for (; o < outChannels; o++)
                    {
                        Block1(act, window + xa, window + xb, wp, pw + (9 * o), ps[o], ph[o], row + ((nint)o * plane), xa, xb);
                    }
                }
            }
        }
    }

    // The padded plane: a zero row above and below, a zero column either side.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pad(float* x, int height, int width, float* p)
    {
        int wp = width + 2;
        new Span<float>(p, wp).Clear();
        new Span<float>(p + ((nint)(height + 1) * wp), wp).Clear();
        for (int r = 0; r < height; r++)
        {
            float* from = x + ((nint)r * width), to = p + ((nint)(r + 1) * wp);
            to[0] = 0f;
            to[width + 1] = 0f;
            for (int i = 0; i < width - 8; i += 8)
            {
                Vector256.Store(Vector256.Load(from + i), to + 1 + i);
            }

            Vector256.Store(Vector256.Load(from + width - 8), to + 1 + width - 8);
        }
    }

    // Output channels o … o + 3 (weights at w, 9 a channel) of the 8 pixels from columns xa and xb of one row (windows at a, b).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4<TAct>(TAct act, float* a, float* b, int wp, float* w, float* scale, float* shift, float* y, int xa, int xb, int plane)
        where TAct : struct, IActivationOperator
    {
        Vector256<float> c0a = Vector256<float>.Zero, c0b = Vector256<float>.Zero, c1a = Vector256<float>.Zero, c1b = Vector256<float>.Zero;
        Vector256<float> c2a = Vector256<float>.Zero, c2b = Vector256<float>.Zero, c3a = Vector256<float>.Zero, c3b = Vector256<float>.Zero;
        for (int ky = 0; ky < 3; ky++, a += wp, b += wp, w += 3)
        {
            for (int kx = 0; kx < 3; kx++)
            {
                Vector256<float> ia = Vector256.Load(a + kx), ib = Vector256.Load(b + kx);
                Vector256<float> w0 = Vector256.Create(w[kx]);
                c0a = Simd.Fma(w0, ia, c0a);
                c0b = Simd.Fma(w0, ib, c0b);
                Vector256<float> w1 = Vector256.Create(w[9 + kx]);
                c1a = Simd.Fma(w1, ia, c1a);
                c1b = Simd.Fma(w1, ib, c1b);
                Vector256<float> w2 = Vector256.Create(w[18 + kx]);
                c2a = Simd.Fma(w2, ia, c2a);
                c2b = Simd.Fma(w2, ib, c2b);
                Vector256<float> w3 = Vector256.Create(w[27 + kx]);
                c3a = Simd.Fma(w3, ia, c3a);
                c3b = Simd.Fma(w3, ib, c3b);
            }
        }

        Store(act, c0a, c0b, scale[0], shift[0], y, xa, xb);
        Store(act, c1a, c1b, scale[1], shift[1], y + plane, xa, xb);
        Store(act, c2a, c2b, scale[2], shift[2], y + (2 * plane), xa, xb);
        Store(act, c3a, c3b, scale[3], shift[3], y + (3 * plane), xa, xb);
    }

    // One output channel (the remainder past a multiple of 4): the same sums, two vectors.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1<TAct>(TAct act, float* a, float* b, int wp, float* w, float scale, float shift, float* y, int xa, int xb)
        where TAct : struct, IActivationOperator
    {
        Vector256<float> ca = Vector256<float>.Zero, cb = Vector256<float>.Zero;
        for (int ky = 0; ky < 3; ky++, a += wp, b += wp, w += 3)
        {
            for (int kx = 0; kx < 3; kx++)
            {
                Vector256<float> wk = Vector256.Create(w[kx]);
                ca = Simd.Fma(wk, Vector256.Load(a + kx), ca);
                cb = Simd.Fma(wk, Vector256.Load(b + kx), cb);
            }
        }

        Store(act, ca, cb, scale, shift, y, xa, xb);
    }

    // act(scale · sum + shift) of both vectors to their columns of one output row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<TAct>(TAct act, Vector256<float> sa, Vector256<float> sb, float scale, float shift, float* y, int xa, int xb)
        where TAct : struct, IActivationOperator
    {
        Vector256<float> s = Vector256.Create(scale), h = Vector256.Create(shift);
        Vector256.Store(act.Invoke(Simd.Fma(sa, s, h)), y + xa);
        Vector256.Store(act.Invoke(Simd.Fma(sb, s, h)), y + xb);
    }
}
