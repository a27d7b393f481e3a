using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// The Vector512 path for layers of few output channels (<see cref="Block"/>): tiles in the lanes instead of output
/// channels. With 16 or 32 output channels the channels-in-lanes block is 6 tiles × 1 or 2 vectors, 6 or 12 accumulators: too few
/// independent FMA chains (2 ports × 4 cycles of latency need 8) and a product buffer [ξ][tile][channel] that, with the
/// transformed input and weights, does not fit in L1. Here V[ξ][c][tile] (tiles already contiguous) is read one 16-tile vector at
/// a time against 16 broadcast output channels (16 accumulators); the 16 products of one tile vector and 16 channels (16 KB) are
/// transformed at once, over the tiles, and the even and odd output columns interleaved straight into the NCHW rows: no
/// transpose, no staging. The sums over channels and the output transform are the other paths' operations in the same order,
/// so the bits are the same as theirs. Where a tile row leaves a quarter of a vector or more idle (12 tiles a row or fewer) the tiles are packed
/// across tile rows instead of one row at a time (<see cref="Layout"/>, WinogradConv.Flat.cs), the same bits.
/// </content>
public static unsafe partial class WinogradConv
{
    /// <summary>
    /// Which register block the Vector512 path uses (default <see cref="WinogradBlock.Auto"/>). Process-wide, like
    /// <see cref="KernelOptions.MaxVectorBits"/>: for benchmarks and tests that compare the two blocks; the bits are the same.
    /// </summary>
    public static WinogradBlock Block { get; set; } = WinogradBlock.Auto;

    // Auto: tiles in the lanes for 16 output channels, and for 32 from at most 16 input channels. Measured with WinogradConv.Run
    // alone (one thread, identity epilogue, best of 9 alternating rounds, 2026-11-30), time on the channel block ÷ time on the
    // tile block: 16 → 16 on 28 × 28 1.32, 8 → 16 on 32 × 32 1.70, 32 → 16 on 32 × 32 1.25, 64 → 16 on 28 × 28 1.19, 16 → 32 on
    // 32 × 32 (case B) 1.29 and on 28 × 28 1.11; but 32 → 32 on 28 × 28 0.95 (1.09 on 32 × 32), 64 → 32 0.91, 16 → 48 1.00,
    // 48 → 48 0.84, 64 → 64 on 56 × 56 (case C) 0.77: from 32 channels on both sides the 24-accumulator channel block wins.
    private static bool TileLanes(in WinogradShape shape) => Block switch
    {
        WinogradBlock.TilesInLanes => true,
        WinogradBlock.ChannelsInLanes => false,
        _ => shape.OutChannels <= 16 || (shape.OutChannels <= 32 && shape.Channels <= 16),
    };

    // One tile row on the narrow path: per 16 output channels and 16 tiles, the 16 products, then their output transform.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowRow512<TAct>(TAct act, in Call run, int ty)
        where TAct : struct, IActivationOperator
    {
        int cin = run.Shape.Channels, pad = run.Shape.OutPad, tiles = run.Shape.TileColumns;
        for (int o0 = 0; o0 < pad; o0 += 16)
        {
            for (int t0 = 0; t0 < tiles; t0 += 16)
            {
                for (int xi = 0; xi < 16; xi++)
                {
                    NarrowProduct(run.V + ((nint)xi * run.VStep) + t0, run.TilePad, run.Weights + ((nint)xi * cin * pad) + o0, pad, cin, run.M + (xi * 256));
                }

                NarrowOutput(act, in run, ty, o0, t0);
            }
        }
    }

    // m[k][tile] = Σ_c v[c·tilePad + tile] · u[c·pad + k] for 16 tiles and 16 output channels k, the channels in order.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowProduct(float* v, int tilePad, float* u, int pad, int channels, float* m)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        for (int c = 0; c < channels; c++, v += tilePad, u += pad)
        {
            Vector512<float> x = Vector512.Load(v);
            a0 = Simd.Fma(x, Vector512.Create(u[0]), a0);
            a1 = Simd.Fma(x, Vector512.Create(u[1]), a1);
            a2 = Simd.Fma(x, Vector512.Create(u[2]), a2);
            a3 = Simd.Fma(x, Vector512.Create(u[3]), a3);
            a4 = Simd.Fma(x, Vector512.Create(u[4]), a4);
            a5 = Simd.Fma(x, Vector512.Create(u[5]), a5);
            a6 = Simd.Fma(x, Vector512.Create(u[6]), a6);
            a7 = Simd.Fma(x, Vector512.Create(u[7]), a7);
            a8 = Simd.Fma(x, Vector512.Create(u[8]), a8);
            a9 = Simd.Fma(x, Vector512.Create(u[9]), a9);
            a10 = Simd.Fma(x, Vector512.Create(u[10]), a10);
            a11 = Simd.Fma(x, Vector512.Create(u[11]), a11);
            a12 = Simd.Fma(x, Vector512.Create(u[12]), a12);
            a13 = Simd.Fma(x, Vector512.Create(u[13]), a13);
            a14 = Simd.Fma(x, Vector512.Create(u[14]), a14);
            a15 = Simd.Fma(x, Vector512.Create(u[15]), a15);
        }

        Vector512.Store(a0, m);
        Vector512.Store(a1, m + 16);
        Vector512.Store(a2, m + 32);
        Vector512.Store(a3, m + 48);
        Vector512.Store(a4, m + 64);
        Vector512.Store(a5, m + 80);
        Vector512.Store(a6, m + 96);
        Vector512.Store(a7, m + 112);
        Vector512.Store(a8, m + 128);
        Vector512.Store(a9, m + 144);
        Vector512.Store(a10, m + 160);
        Vector512.Store(a11, m + 176);
        Vector512.Store(a12, m + 192);
        Vector512.Store(a13, m + 208);
        Vector512.Store(a14, m + 224);
        Vector512.Store(a15, m + 240);
    }

    // Y = Aᵀ M A over 16 tiles for each of the 16 channels from o0 (M[ξ][k][tile] at run.M + 256ξ + 16k), the epilogue, and the
    // columns 2t (from Y's first column) and 2t + 1 (its second) interleaved into two vectors of 32 consecutive pixels per row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowOutput<TAct>(TAct act, in Call run, int ty, int o0, int t0)
        where TAct : struct, IActivationOperator
    {
        Vector512<int> low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        Vector512<int> high = low + Vector512.Create(8);
        int count = Math.Min(32, run.Shape.OutWidth - (2 * t0)), o1 = Math.Min(16, run.Shape.OutChannels - o0);
        bool second = (2 * ty) + 1 < run.Shape.OutHeight;
        for (int k = 0; k < o1; k++)
        {
            float* m = run.M + (16 * k);
            Vector512<float> s0 = Vector512.Load(m) + Vector512.Load(m + (4 * 256)) + Vector512.Load(m + (8 * 256));
            Vector512<float> s1 = Vector512.Load(m + 256) + Vector512.Load(m + (5 * 256)) + Vector512.Load(m + (9 * 256));
            Vector512<float> s2 = Vector512.Load(m + (2 * 256)) + Vector512.Load(m + (6 * 256)) + Vector512.Load(m + (10 * 256));
            Vector512<float> s3 = Vector512.Load(m + (3 * 256)) + Vector512.Load(m + (7 * 256)) + Vector512.Load(m + (11 * 256));
            Vector512<float> a = Vector512.Create(run.Scale[o0 + k]), h = Vector512.Create(run.Shift[o0 + k]);
            float* y = run.Output + ((nint)(o0 + k) * run.OutPlane) + ((nint)(2 * ty) * run.OutRow) + (2 * t0);
            Vector512<float> y0 = act.Invoke(Simd.Fma(s0 + s1 + s2, a, h)), y1 = act.Invoke(Simd.Fma(s1 - s2 - s3, a, h));
            StorePixels(y, count, Avx512F.PermuteVar16x32x2(y0, low, y1), Avx512F.PermuteVar16x32x2(y0, high, y1));
            if (second)
            {
                Vector512<float> d0 = Vector512.Load(m + (4 * 256)) - Vector512.Load(m + (8 * 256)) - Vector512.Load(m + (12 * 256));
                Vector512<float> d1 = Vector512.Load(m + (5 * 256)) - Vector512.Load(m + (9 * 256)) - Vector512.Load(m + (13 * 256));
                Vector512<float> d2 = Vector512.Load(m + (6 * 256)) - Vector512.Load(m + (10 * 256)) - Vector512.Load(m + (14 * 256));
                Vector512<float> d3 = Vector512.Load(m + (7 * 256)) - Vector512.Load(m + (11 * 256)) - Vector512.Load(m + (15 * 256));
                y0 = act.Invoke(Simd.Fma(d0 + d1 + d2, a, h));
                y1 = act.Invoke(Simd.Fma(d1 - d2 - d3, a, h));
                StorePixels(y + run.OutRow, count, Avx512F.PermuteVar16x32x2(y0, low, y1), Avx512F.PermuteVar16x32x2(y0, high, y1));
            }
        }
    }

    // The first `count` (1…32) of the 32 pixels lo, hi to y: whole vectors where they fit, the rest masked (net8.0: by element).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePixels(float* y, int count, Vector512<float> lo, Vector512<float> hi)
    {
        if (count == 32)
        {
            Vector512.Store(lo, y);
            Vector512.Store(hi, y + 16);
            return;
        }

        if (count >= 16)
        {
            Vector512.Store(lo, y);
            StorePartial(y + 16, count - 16, hi);
        }
        else
        {
            StorePartial(y, count, lo);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StorePartial(float* y, int count, Vector512<float> v)
    {
#if NET9_0_OR_GREATER
        Avx512F.MaskStore(y, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle(), v);
#else
        for (int i = 0; i < count; i++)
        {
            y[i] = v.GetElement(i);
        }
#endif
    }
}

/// <summary>The register block of <see cref="WinogradConv"/>'s Vector512 products (<see cref="WinogradConv.Block"/>).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum WinogradBlock
{
    /// <summary>Chosen per shape from the channel counts (the measured faster one).</summary>
    Auto,

    /// <summary>Output channels in the lanes: up to 6 tiles × 64 channels, for many output channels.</summary>
    ChannelsInLanes,

    /// <summary>Tiles in the lanes: 16 tiles × 16 output channels, for few output channels.</summary>
    TilesInLanes,
}
