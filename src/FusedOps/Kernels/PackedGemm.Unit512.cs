using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// The Vector512 tiles for a row-major A (<c>aColStride == 1</c>: inference, the training forward), the depth loop unrolled
/// four times: 12 × 32, 8 × 32 and 16 × 16 (a single panel, e.g. a layer of up to 16 outputs). Each step is the one of
/// <c>Tile512x2x12</c>, in the same order, so the sums are bitwise those of the tiles with a general stride.
/// </summary>
/// <remarks>
/// Unrolled, A's next values are constant displacements from the row pointers (<c>[q + 4·rs + 4u]</c>) and the loop's pointer
/// increments, counter and branch come once per 96 FMAs instead of once per 24. The old 12 × 32 tile was already at 96 % of the
/// core's FMA peak on case M's first layer, so warm the gain is within noise (64 × 784 → 256, minimum thread CPU time of 40
/// rounds, the two builds alternating: 148.5–150.0 µs against 149.4–151.8); the prefetch of the next panel pair then ran in the
/// pair's first row tile only (the later ones find the pair in L2), and a call after an 8 MB sweep measured 162.6–162.9 µs
/// (median of 60) against 164.8–166.1; it is now spread over the pair's first four 12-row tiles (docs/performance.md, wt-mgemm). The 16 × 16 tile and the masked epilogue of a partial panel took case M's last
/// Linear (64 × 256 → 10) from 4.73–4.81 to 3.34–3.40 µs.
/// </remarks>
public static partial class PackedGemm
{
    // Depth steps per unrolled iteration.
    private const int Unroll = 4;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x2x12Unit(in GemmCall g, int p, int r, float* prefetch)
    {
        nint rs = g.ARowStride;
        float* q0 = g.A + (r * rs), q3 = q0 + (3 * rs), q6 = q0 + (6 * rs), q9 = q0 + (9 * rs);
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        nint next = (nint)g.Depth * PanelWidth;
        Vector512<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default, c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default, c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default, c8_0 = default, c8_1 = default, c9_0 = default, c9_1 = default, c10_0 = default, c10_1 = default, c11_0 = default, c11_1 = default;
        int t = 0;
        for (; t + Unroll <= g.Depth; t += Unroll, q0 += Unroll, q3 += Unroll, q6 += Unroll, q9 += Unroll, b += Unroll * PanelWidth)
        {
            if (prefetch != null && Sse.IsSupported)
            {
                // Two lines from `prefetch` into L2 per unrolled step: a quarter of the next panel pair (8·depth floats), which Range512
                // hands to each of a pair's first four 12-row tiles, so a call that finds the weights evicted (another model ran in
                // between) waits on memory for the first pair only. The JIT does not fold a prefetch's displacement: 4 uops per 96
                // FMAs. Until 2026-12-02 the pair's first tile prefetched all of it, 8 lines (19 uops) per step, and ran those steps
                // 10 % slower than the others (perf, case M); spread, the cost is the same in total but no step waits on it.
                // One loop with the prefetch under a branch (taken the same way every step), not a second copy of the loop:
                // the JIT compiled the method with two unrolled copies in 15–35 ms on this machine's first call of case M
                // (docs/performance.md, "First calls"), with one in 4.5–12 ms.
                Sse.Prefetch1(prefetch); Sse.Prefetch1(prefetch + PanelWidth);
                prefetch += 2 * PanelWidth;
            }

            Step12(q0, q3, q6, q9, rs, b, next, 0, ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1, ref c8_0, ref c8_1, ref c9_0, ref c9_1, ref c10_0, ref c10_1, ref c11_0, ref c11_1);
            Step12(q0, q3, q6, q9, rs, b, next, 1, ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1, ref c8_0, ref c8_1, ref c9_0, ref c9_1, ref c10_0, ref c10_1, ref c11_0, ref c11_1);
            Step12(q0, q3, q6, q9, rs, b, next, 2, ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1, ref c8_0, ref c8_1, ref c9_0, ref c9_1, ref c10_0, ref c10_1, ref c11_0, ref c11_1);
            Step12(q0, q3, q6, q9, rs, b, next, 3, ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1, ref c8_0, ref c8_1, ref c9_0, ref c9_1, ref c10_0, ref c10_1, ref c11_0, ref c11_1);
        }

        for (; t < g.Depth; t++, q0++, q3++, q6++, q9++, b += PanelWidth)
        {
            Step12(q0, q3, q6, q9, rs, b, next, 0, ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1, ref c8_0, ref c8_1, ref c9_0, ref c9_1, ref c10_0, ref c10_1, ref c11_0, ref c11_1);
        }

        Park512(g.Scratch, 0, c0_0, c0_1); Park512(g.Scratch, 1, c1_0, c1_1); Park512(g.Scratch, 2, c2_0, c2_1); Park512(g.Scratch, 3, c3_0, c3_1);
        Park512(g.Scratch, 4, c4_0, c4_1); Park512(g.Scratch, 5, c5_0, c5_1); Park512(g.Scratch, 6, c6_0, c6_1); Park512(g.Scratch, 7, c7_0, c7_1);
        Park512(g.Scratch, 8, c8_0, c8_1); Park512(g.Scratch, 9, c9_0, c9_1); Park512(g.Scratch, 10, c10_0, c10_1); Park512(g.Scratch, 11, c11_0, c11_1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x2x8Unit(in GemmCall g, int p, int r)
    {
        nint rs = g.ARowStride, rs2 = 2 * rs;
        float* q0 = g.A + (r * rs), q3 = q0 + (3 * rs), q6 = q0 + (6 * rs);
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        nint next = (nint)g.Depth * PanelWidth;
        Vector512<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default, c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default, c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default;
        int t = 0;
        for (; t + Unroll <= g.Depth; t += Unroll, q0 += Unroll, q3 += Unroll, q6 += Unroll, b += Unroll * PanelWidth)
        {
            Step8(q0, q3, q6, rs, rs2, b, next, 0, ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1);
            Step8(q0, q3, q6, rs, rs2, b, next, 1, ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1);
            Step8(q0, q3, q6, rs, rs2, b, next, 2, ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1);
            Step8(q0, q3, q6, rs, rs2, b, next, 3, ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1);
        }

        for (; t < g.Depth; t++, q0++, q3++, q6++, b += PanelWidth)
        {
            Step8(q0, q3, q6, rs, rs2, b, next, 0, ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1);
        }

        Park512(g.Scratch, 0, c0_0, c0_1); Park512(g.Scratch, 1, c1_0, c1_1); Park512(g.Scratch, 2, c2_0, c2_1); Park512(g.Scratch, 3, c3_0, c3_1);
        Park512(g.Scratch, 4, c4_0, c4_1); Park512(g.Scratch, 5, c5_0, c5_1); Park512(g.Scratch, 6, c6_0, c6_1); Park512(g.Scratch, 7, c7_0, c7_1);
    }

    // 16 rows × 16 columns (one panel: 16 accumulators, one B load and 16 broadcasts per 16 FMAs), so 64 rows run as four
    // tiles where 12 × 16 tiles left a 6-row tile doing the work of 4 (case M's last Linear, 64 × 256 → 10). All 16 rows exist.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile512x1x16Unit(in GemmCall g, int p, int r)
    {
        nint rs = g.ARowStride, rs2 = 2 * rs, rs3 = 3 * rs;
        float* q0 = g.A + (r * rs), q4 = q0 + (4 * rs), q8 = q0 + (8 * rs), q12 = q0 + (12 * rs);
        float* b = g.B + ((nint)p * g.Depth * PanelWidth);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default, c14 = default, c15 = default;
        int t = 0;
        for (; t + Unroll <= g.Depth; t += Unroll, q0 += Unroll, q4 += Unroll, q8 += Unroll, q12 += Unroll, b += Unroll * PanelWidth)
        {
            Step16(q0, q4, q8, q12, rs, rs2, rs3, b, 0, ref c0, ref c1, ref c2, ref c3, ref c4, ref c5, ref c6, ref c7, ref c8, ref c9, ref c10, ref c11, ref c12, ref c13, ref c14, ref c15);
            Step16(q0, q4, q8, q12, rs, rs2, rs3, b, 1, ref c0, ref c1, ref c2, ref c3, ref c4, ref c5, ref c6, ref c7, ref c8, ref c9, ref c10, ref c11, ref c12, ref c13, ref c14, ref c15);
            Step16(q0, q4, q8, q12, rs, rs2, rs3, b, 2, ref c0, ref c1, ref c2, ref c3, ref c4, ref c5, ref c6, ref c7, ref c8, ref c9, ref c10, ref c11, ref c12, ref c13, ref c14, ref c15);
            Step16(q0, q4, q8, q12, rs, rs2, rs3, b, 3, ref c0, ref c1, ref c2, ref c3, ref c4, ref c5, ref c6, ref c7, ref c8, ref c9, ref c10, ref c11, ref c12, ref c13, ref c14, ref c15);
        }

        for (; t < g.Depth; t++, q0++, q4++, q8++, q12++, b += PanelWidth)
        {
            Step16(q0, q4, q8, q12, rs, rs2, rs3, b, 0, ref c0, ref c1, ref c2, ref c3, ref c4, ref c5, ref c6, ref c7, ref c8, ref c9, ref c10, ref c11, ref c12, ref c13, ref c14, ref c15);
        }

        Park512(g.Scratch, 0, c0, default); Park512(g.Scratch, 1, c1, default); Park512(g.Scratch, 2, c2, default); Park512(g.Scratch, 3, c3, default);
        Park512(g.Scratch, 4, c4, default); Park512(g.Scratch, 5, c5, default); Park512(g.Scratch, 6, c6, default); Park512(g.Scratch, 7, c7, default);
        Park512(g.Scratch, 8, c8, default); Park512(g.Scratch, 9, c9, default); Park512(g.Scratch, 10, c10, default); Park512(g.Scratch, 11, c11, default);
        Park512(g.Scratch, 12, c12, default); Park512(g.Scratch, 13, c13, default); Park512(g.Scratch, 14, c14, default); Park512(g.Scratch, 15, c15, default);
    }

    // One depth step of the 12 × 32 tile, u steps on: rows q0 + i·rs for i < 3 (and q3, q6, q9 likewise), B at b + 16u and b + next + 16u.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Step12(float* q0, float* q3, float* q6, float* q9, nint rs, float* b, nint next, int u,
        ref Vector512<float> c0_0, ref Vector512<float> c0_1, ref Vector512<float> c1_0, ref Vector512<float> c1_1, ref Vector512<float> c2_0, ref Vector512<float> c2_1,
        ref Vector512<float> c3_0, ref Vector512<float> c3_1, ref Vector512<float> c4_0, ref Vector512<float> c4_1, ref Vector512<float> c5_0, ref Vector512<float> c5_1,
        ref Vector512<float> c6_0, ref Vector512<float> c6_1, ref Vector512<float> c7_0, ref Vector512<float> c7_1, ref Vector512<float> c8_0, ref Vector512<float> c8_1,
        ref Vector512<float> c9_0, ref Vector512<float> c9_1, ref Vector512<float> c10_0, ref Vector512<float> c10_1, ref Vector512<float> c11_0, ref Vector512<float> c11_1)
    {
        // Not a parameter: the JIT inlines no method of more than 32 arguments, and a call here would put every accumulator on the stack.
        nint rs2 = 2 * rs;
        Vector512<float> b0 = Vector512.Load(b + (u * PanelWidth)), b1 = Vector512.Load(b + next + (u * PanelWidth));
        Rows8(q0, q3, q6, rs, rs2, u, b0, b1, ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1);
        Vector512<float> x;
        x = Vector512.Create(*(q6 + rs2 + u)); c8_0 = Simd.Fma(x, b0, c8_0); c8_1 = Simd.Fma(x, b1, c8_1);
        x = Vector512.Create(q9[u]); c9_0 = Simd.Fma(x, b0, c9_0); c9_1 = Simd.Fma(x, b1, c9_1);
        x = Vector512.Create(*(q9 + rs + u)); c10_0 = Simd.Fma(x, b0, c10_0); c10_1 = Simd.Fma(x, b1, c10_1);
        x = Vector512.Create(*(q9 + rs2 + u)); c11_0 = Simd.Fma(x, b0, c11_0); c11_1 = Simd.Fma(x, b1, c11_1);
    }

    // One depth step of the 8 × 32 tile, u steps on.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Step8(float* q0, float* q3, float* q6, nint rs, nint rs2, float* b, nint next, int u,
        ref Vector512<float> c0_0, ref Vector512<float> c0_1, ref Vector512<float> c1_0, ref Vector512<float> c1_1, ref Vector512<float> c2_0, ref Vector512<float> c2_1,
        ref Vector512<float> c3_0, ref Vector512<float> c3_1, ref Vector512<float> c4_0, ref Vector512<float> c4_1, ref Vector512<float> c5_0, ref Vector512<float> c5_1,
        ref Vector512<float> c6_0, ref Vector512<float> c6_1, ref Vector512<float> c7_0, ref Vector512<float> c7_1) =>
        Rows8(q0, q3, q6, rs, rs2, u, Vector512.Load(b + (u * PanelWidth)), Vector512.Load(b + next + (u * PanelWidth)),
            ref c0_0, ref c0_1, ref c1_0, ref c1_1, ref c2_0, ref c2_1, ref c3_0, ref c3_1, ref c4_0, ref c4_1, ref c5_0, ref c5_1, ref c6_0, ref c6_1, ref c7_0, ref c7_1);

    // The first 8 rows of a two-panel step on B's vectors b0, b1: rows q0 + i·rs for i < 3, q3 + i·rs likewise, q6 and q6 + rs.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Rows8(float* q0, float* q3, float* q6, nint rs, nint rs2, int u, Vector512<float> b0, Vector512<float> b1,
        ref Vector512<float> c0_0, ref Vector512<float> c0_1, ref Vector512<float> c1_0, ref Vector512<float> c1_1, ref Vector512<float> c2_0, ref Vector512<float> c2_1,
        ref Vector512<float> c3_0, ref Vector512<float> c3_1, ref Vector512<float> c4_0, ref Vector512<float> c4_1, ref Vector512<float> c5_0, ref Vector512<float> c5_1,
        ref Vector512<float> c6_0, ref Vector512<float> c6_1, ref Vector512<float> c7_0, ref Vector512<float> c7_1)
    {
        Vector512<float> x;
        x = Vector512.Create(q0[u]); c0_0 = Simd.Fma(x, b0, c0_0); c0_1 = Simd.Fma(x, b1, c0_1);
        x = Vector512.Create(*(q0 + rs + u)); c1_0 = Simd.Fma(x, b0, c1_0); c1_1 = Simd.Fma(x, b1, c1_1);
        x = Vector512.Create(*(q0 + rs2 + u)); c2_0 = Simd.Fma(x, b0, c2_0); c2_1 = Simd.Fma(x, b1, c2_1);
        x = Vector512.Create(q3[u]); c3_0 = Simd.Fma(x, b0, c3_0); c3_1 = Simd.Fma(x, b1, c3_1);
        x = Vector512.Create(*(q3 + rs + u)); c4_0 = Simd.Fma(x, b0, c4_0); c4_1 = Simd.Fma(x, b1, c4_1);
        x = Vector512.Create(*(q3 + rs2 + u)); c5_0 = Simd.Fma(x, b0, c5_0); c5_1 = Simd.Fma(x, b1, c5_1);
        x = Vector512.Create(q6[u]); c6_0 = Simd.Fma(x, b0, c6_0); c6_1 = Simd.Fma(x, b1, c6_1);
        x = Vector512.Create(*(q6 + rs + u)); c7_0 = Simd.Fma(x, b0, c7_0); c7_1 = Simd.Fma(x, b1, c7_1);
    }

    // One depth step of the 16 × 16 tile, u steps on: rows q0 + i·rs for i < 4 (and q4, q8, q12 likewise).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Step16(float* q0, float* q4, float* q8, float* q12, nint rs, nint rs2, nint rs3, float* b, int u,
        ref Vector512<float> c0, ref Vector512<float> c1, ref Vector512<float> c2, ref Vector512<float> c3, ref Vector512<float> c4, ref Vector512<float> c5,
        ref Vector512<float> c6, ref Vector512<float> c7, ref Vector512<float> c8, ref Vector512<float> c9, ref Vector512<float> c10, ref Vector512<float> c11,
        ref Vector512<float> c12, ref Vector512<float> c13, ref Vector512<float> c14, ref Vector512<float> c15)
    {
        Vector512<float> b0 = Vector512.Load(b + (u * PanelWidth));
        c0 = Simd.Fma(Vector512.Create(q0[u]), b0, c0); c1 = Simd.Fma(Vector512.Create(*(q0 + rs + u)), b0, c1);
        c2 = Simd.Fma(Vector512.Create(*(q0 + rs2 + u)), b0, c2); c3 = Simd.Fma(Vector512.Create(*(q0 + rs3 + u)), b0, c3);
        c4 = Simd.Fma(Vector512.Create(q4[u]), b0, c4); c5 = Simd.Fma(Vector512.Create(*(q4 + rs + u)), b0, c5);
        c6 = Simd.Fma(Vector512.Create(*(q4 + rs2 + u)), b0, c6); c7 = Simd.Fma(Vector512.Create(*(q4 + rs3 + u)), b0, c7);
        c8 = Simd.Fma(Vector512.Create(q8[u]), b0, c8); c9 = Simd.Fma(Vector512.Create(*(q8 + rs + u)), b0, c9);
        c10 = Simd.Fma(Vector512.Create(*(q8 + rs2 + u)), b0, c10); c11 = Simd.Fma(Vector512.Create(*(q8 + rs3 + u)), b0, c11);
        c12 = Simd.Fma(Vector512.Create(q12[u]), b0, c12); c13 = Simd.Fma(Vector512.Create(*(q12 + rs + u)), b0, c13);
        c14 = Simd.Fma(Vector512.Create(*(q12 + rs2 + u)), b0, c14); c15 = Simd.Fma(Vector512.Create(*(q12 + rs3 + u)), b0, c15);
    }
}
