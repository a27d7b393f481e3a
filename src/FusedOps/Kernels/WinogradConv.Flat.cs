using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// The tiles-in-lanes block on flat tiles: the call's tiles numbered row by row (f = (ty − tileRow0)·TileColumns + tx) fill the
/// 16 lanes in order, so a vector may hold the end of one tile row and the start of the next (28 × 28 planes: 14 tiles a row, 196
/// tiles in 13 vectors instead of 14; 14 × 14: 49 tiles in 4 vectors instead of 7). Each vector's lanes are runs of one tile row
/// (segments); the input transform reads each segment's columns with masked loads into the lanes the row path's unmasked loads
/// fill, and the output transform writes each segment's pixels with masked stores. Each lane is an independent sum over the
/// channels in order, and the transforms are the row path's operations, so the bits are the same as the row path's.
/// </content>
public static unsafe partial class WinogradConv
{
#if NET9_0_OR_GREATER
    // Masks kept per segment: the input's a, b, c, d loads and the output's two 16-pixel stores.
    private const int SegmentMasks = 6;
#endif

    /// <summary>
    /// How the tiles-in-lanes block lays tiles in the lanes (default <see cref="WinogradTileLayout.Auto"/>). Process-wide, like
    /// <see cref="Block"/>: for benchmarks and tests that compare the layouts; the bits are the same.
    /// </summary>
    public static WinogradTileLayout Layout { get; set; } = WinogradTileLayout.Auto;

    // Auto: flat up to 12 tiles a row. Measured (WinogradConv.Run, batch 64, one thread, thread CPU time,
    // best of 15–20 alternating rounds, 2026-12-01), time on rows ÷ time flat: 16 → 32 and 32 → 16 on 14 × 14 (7 tiles a row)
    // 1.39–1.51, 16 → 16 on 8 × 8 2.68; but 16 → 16 on 28 × 28 (14 tiles a row: 13 vectors instead of 14, most with two segments,
    // twice the masked loads and stores of the transforms) 0.93–0.98; between them 16 → 16 on 24 × 24 (12 tiles) 1.24 and on
    // 18 × 18 (9 tiles) 1.13. From 16 tiles a row up the row path fills whole vectors but for the row's last (unmeasured: rows).
    private static bool FlatLayout(in WinogradShape shape) => Layout switch
    {
        WinogradTileLayout.Flat => true,
        WinogradTileLayout.Rows => false,
        _ => shape.TileColumns <= 12,
    };
#if NET9_0_OR_GREATER

    // One run of tiles of one tile row in a vector's lanes: lanes [Lane, Lane + Count) hold tiles [Tile, Tile + Count) of tile row
    // Row. In is the offset of the column 2·Tile − 2·Lane of the row's first input row (lane j's columns start 2j past it), Out the
    // same for its first output row; Rows the input rows of the plane it reads (4, fewer at the bottom), Second whether its second
    // output row exists.
    [StructLayout(LayoutKind.Auto)]
    private struct Segment
    {
        public nint In, Out;
        public int Rows;
        public bool Second, Low, High;
    }

    // Tile rows [tileRow0, tileRow1) on the narrow block, 16 flat tiles at a time.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FlatRows512<TAct>(TAct act, in Call run, int tileRow0, int tileRow1)
        where TAct : struct, IActivationOperator
    {
        int tiles = run.Shape.TileColumns, total = (tileRow1 - tileRow0) * tiles, cin = run.Shape.Channels, pad = run.Shape.OutPad;
        Segment* segments = stackalloc Segment[16];
        Vector512<float>* masks = stackalloc Vector512<float>[16 * SegmentMasks];
        for (int f0 = 0; f0 < total; f0 += 16)
        {
            int count = Segments(in run, tileRow0, f0, total, segments, masks);
            FlatInput512(in run, segments, count, masks);
            for (int o0 = 0; o0 < pad; o0 += 16)
            {
                for (int xi = 0; xi < 16; xi++)
                {
                    NarrowProduct(run.V + ((nint)xi * run.VStep), 16, run.Weights + ((nint)xi * cin * pad) + o0, pad, cin, run.M + (xi * 256));
                }

                FlatOutput512(act, in run, segments, count, o0, masks);
            }
        }
    }

    // The segments of flat tiles [f0, f0 + 16) and their masks; returns how many.
    private static int Segments(in Call run, int tileRow0, int f0, int total, Segment* segments, Vector512<float>* masks)
    {
        int tiles = run.Shape.TileColumns, count = 0;
        Vector512<int> j = Vector512<int>.Indices, j16 = j + Vector512.Create(16);
        for (int lane = 0, f = f0; lane < 16 && f < total; count++)
        {
            int tx = f % tiles, ty = tileRow0 + (f / tiles), n = Math.Min(Math.Min(tiles - tx, 16 - lane), total - f);
            int shift = (2 * tx) - (2 * lane), first = 2 * lane, end = 2 * (lane + n);

            // Positions p (0…31 over the a|b and c|d pairs) of the segment whose columns shift + p (+ 2) exist.
            int ab = Math.Min(end, run.Shape.InWidth - shift), cd = Math.Min(end, run.Shape.InWidth - shift - 2);
            int pixels = Math.Min(end, run.Shape.OutWidth - shift);
            Vector512<float>* m = masks + (count * SegmentMasks);
            m[0] = Between(j, first, ab);
            m[1] = Between(j16, first, ab);
            m[2] = Between(j, first, cd);
            m[3] = Between(j16, first, cd);
            m[4] = Between(j, first, pixels);
            m[5] = Between(j16, first, pixels);
            segments[count] = new Segment
            {
                In = ((nint)(2 * ty) * run.InRow) + shift,
                Out = ((nint)(2 * ty) * run.OutRow) + shift,
                Rows = Math.Min(4, run.Shape.InHeight - (2 * ty)),
                Second = (2 * ty) + 1 < run.Shape.OutHeight,
                Low = first < 16,
                High = end > 16,
            };
            lane += n;
            f += n;
        }

        return count;
    }

    private static Vector512<float> Between(Vector512<int> p, int first, int end) =>
        (Vector512.GreaterThanOrEqual(p, Vector512.Create(first)) & Vector512.LessThan(p, Vector512.Create(end))).AsSingle();

    // The input transform of one group of flat tiles into V[ξ][c][16] (ξ VStep apart): InputRow512's operations on the lanes the
    // segments fill (zeros in the others).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FlatInput512(in Call run, Segment* segments, int count, Vector512<float>* masks)
    {
        int cin = run.Shape.Channels;
        nint step = run.VStep, len = run.InRow;
        Vector512<int> even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        Vector512<int> odd = even + Vector512<int>.One;
        for (int c = 0; c < cin; c++)
        {
            float* plane = run.Input + ((nint)c * run.InPlane), v = run.V + ((nint)c * 16);
            FlatRow(plane, 0, segments, count, masks, even, odd, out var e00, out var e01, out var e02, out var e03);
            FlatRow(plane + len, 1, segments, count, masks, even, odd, out var e10, out var e11, out var e12, out var e13);
            FlatRow(plane + (2 * len), 2, segments, count, masks, even, odd, out var e20, out var e21, out var e22, out var e23);
            FlatRow(plane + (3 * len), 3, segments, count, masks, even, odd, out var e30, out var e31, out var e32, out var e33);
            Columns(v, step, 0, e00 - e20, e01 - e21, e02 - e22, e03 - e23);
            Columns(v, step, 4, e10 + e20, e11 + e21, e12 + e22, e13 + e23);
            Columns(v, step, 8, e20 - e10, e21 - e11, e22 - e12, e23 - e13);
            Columns(v, step, 12, e10 - e30, e11 - e31, e12 - e32, e13 - e33);
        }
    }

    // Row's columns 2t + k of each lane's tile from input row q of its tile row (`at` is row q of the plane).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FlatRow(float* at, int q, Segment* segments, int count, Vector512<float>* masks, Vector512<int> even, Vector512<int> odd, out Vector512<float> e0, out Vector512<float> e1, out Vector512<float> e2, out Vector512<float> e3)
    {
        Vector512<float> a = Vector512<float>.Zero, b = a, c = a, d = a;
        for (int s = 0; s < count; s++)
        {
            if (q < segments[s].Rows)
            {
                // Only the halves the segment's positions reach (a segment of 7 tiles or fewer fills one or spans both).
                float* p = at + segments[s].In;
                Vector512<float>* m = masks + (s * SegmentMasks);
                if (segments[s].Low)
                {
                    a = Avx512F.MaskLoad(p, m[0], a);
                    c = Avx512F.MaskLoad(p + 2, m[2], c);
                }

                if (segments[s].High)
                {
                    b = Avx512F.MaskLoad(p + 16, m[1], b);
                    d = Avx512F.MaskLoad(p + 18, m[3], d);
                }
            }
        }

        e0 = Avx512F.PermuteVar16x32x2(a, even, b);
        e1 = Avx512F.PermuteVar16x32x2(a, odd, b);
        e2 = Avx512F.PermuteVar16x32x2(c, even, d);
        e3 = Avx512F.PermuteVar16x32x2(c, odd, d);
    }

    // NarrowOutput on one group of flat tiles: each segment's pixels of the two interleaved vectors to its output rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FlatOutput512<TAct>(TAct act, in Call run, Segment* segments, int count, int o0, Vector512<float>* masks)
        where TAct : struct, IActivationOperator
    {
        Vector512<int> low = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        Vector512<int> high = low + Vector512.Create(8);
        int o1 = Math.Min(16, run.Shape.OutChannels - o0);
        bool second = segments[0].Second;
        for (int k = 0; k < o1; k++)
        {
            float* m = run.M + (16 * k), y = run.Output + ((nint)(o0 + k) * run.OutPlane);
            Vector512<float> s0 = Vector512.Load(m) + Vector512.Load(m + (4 * 256)) + Vector512.Load(m + (8 * 256));
            Vector512<float> s1 = Vector512.Load(m + 256) + Vector512.Load(m + (5 * 256)) + Vector512.Load(m + (9 * 256));
            Vector512<float> s2 = Vector512.Load(m + (2 * 256)) + Vector512.Load(m + (6 * 256)) + Vector512.Load(m + (10 * 256));
            Vector512<float> s3 = Vector512.Load(m + (3 * 256)) + Vector512.Load(m + (7 * 256)) + Vector512.Load(m + (11 * 256));
            Vector512<float> a = Vector512.Create(run.Scale[o0 + k]), h = Vector512.Create(run.Shift[o0 + k]);
            Vector512<float> y0 = act.Invoke(Simd.Fma(s0 + s1 + s2, a, h)), y1 = act.Invoke(Simd.Fma(s1 - s2 - s3, a, h));
            Vector512<float> lo = Avx512F.PermuteVar16x32x2(y0, low, y1), hi = Avx512F.PermuteVar16x32x2(y0, high, y1);
            for (int s = 0; s < count; s++)
            {
                Store(y + segments[s].Out, in segments[s], masks + (s * SegmentMasks), lo, hi);
            }

            if (second)
            {
                Vector512<float> d0 = Vector512.Load(m + (4 * 256)) - Vector512.Load(m + (8 * 256)) - Vector512.Load(m + (12 * 256));
                Vector512<float> d1 = Vector512.Load(m + (5 * 256)) - Vector512.Load(m + (9 * 256)) - Vector512.Load(m + (13 * 256));
                Vector512<float> d2 = Vector512.Load(m + (6 * 256)) - Vector512.Load(m + (10 * 256)) - Vector512.Load(m + (14 * 256));
                Vector512<float> d3 = Vector512.Load(m + (7 * 256)) - Vector512.Load(m + (11 * 256)) - Vector512.Load(m + (15 * 256));
                y0 = act.Invoke(Simd.Fma(d0 + d1 + d2, a, h));
                y1 = act.Invoke(Simd.Fma(d1 - d2 - d3, a, h));
                lo = Avx512F.PermuteVar16x32x2(y0, low, y1);
                hi = Avx512F.PermuteVar16x32x2(y0, high, y1);
                for (int s = 0; s < count && segments[s].Second; s++)
                {
                    Store(y + segments[s].Out + run.OutRow, in segments[s], masks + (s * SegmentMasks), lo, hi);
                }
            }
        }
    }

    // A segment's pixels of the 32 interleaved ones (lo, hi) to p: only the halves its positions reach.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* p, in Segment segment, Vector512<float>* m, Vector512<float> lo, Vector512<float> hi)
    {
        if (segment.Low)
        {
            Avx512F.MaskStore(p, m[4], lo);
        }

        if (segment.High)
        {
            Avx512F.MaskStore(p + 16, m[5], hi);
        }
    }
#endif
}

/// <summary>How <see cref="WinogradConv"/>'s tiles-in-lanes block lays tiles in the lanes (<see cref="WinogradConv.Layout"/>).</summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public enum WinogradTileLayout
{
    /// <summary>Chosen per shape from the tiles per row (the measured faster one).</summary>
    Auto,

    /// <summary>One tile row at a time: lanes past a row's tiles stay idle.</summary>
    Rows,

    /// <summary>The tiles numbered row after row fill the lanes: a vector may hold the end of one tile row and the start of the next.</summary>
    Flat,
}
