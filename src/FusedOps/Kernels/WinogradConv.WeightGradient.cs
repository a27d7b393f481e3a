using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// The weight gradient on Winograd F(3 × 3, 2 × 2) (Lavin and Gray): for each 4 × 4 input tile d (the forward's tiles) and its
/// 2 × 2 output-gradient tile g, V = Bᵀ d B (the forward's input transform, <see cref="InputRow512"/>) and U′ = A g Aᵀ with
/// Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]; M[ξ][c][o] = Σ_tiles V[ξ][c][t]·U′[ξ][t][o] (16 products, output channels in the lanes,
/// 16 input channels broadcast), and dW[o][c] = Gᵀ M G (G the forward's 4 × 3 weight transform). 16 multiplies per tile and
/// channel pair where the direct sum needs 36. Samples add into the same M in call order; the caller closes it once.
/// </content>
public static unsafe partial class WinogradConv
{
    // Tile rows whose transforms are formed before the products run over them (the products keep their sums in registers across them).
    private const int WeightBand = 4;

    /// <summary>
    /// Fewest tiles per tile row (<see cref="WinogradShape.TileColumns"/>) for which <see cref="WeightGradientRuns"/> holds at 256
    /// bits. Process-wide, for benchmarks and tests that compare the routes; read per call.
    /// </summary>
    public static int MinWeightGradientTiles256 { get; set; } = 14;

    /// <summary>
    /// Whether <see cref="WeightGradientSample"/> runs on this shape: input channels a multiple of 16, on the Vector512 path, or
    /// on the Vector256 path for rows of <see cref="MinWeightGradientTiles256"/> tiles and more; at 128 bits
    /// (<see cref="Enabled128"/>, WinogradConv.WeightGradient128.cs) input channels a multiple of 4.
    /// </summary>
    public static bool WeightGradientRuns(in WinogradShape shape) =>
        (shape.Channels % 16 == 0
        && ((KernelDispatch.Level == 2 && Vector512.IsHardwareAccelerated) || (KernelDispatch.Level == 1 && shape.TileColumns >= MinWeightGradientTiles256)))
        || (Enabled128 && shape.Channels % 4 == 0);

    /// <summary>Floats of <see cref="WeightGradientSample"/>'s sums M: [ξ = 16][Channels][OutPad].</summary>
    public static int WeightGradientSumsLength(in WinogradShape shape) => 16 * shape.Channels * shape.OutPad;

    /// <summary>Floats of <see cref="WeightGradientSample"/>'s scratch (one per thread).</summary>
    public static int WeightGradientScratchLength(in WinogradShape shape) =>
        Math.Max((WeightBand * 16 * shape.VStep) + (WeightBand * 16 * UStep(in shape)) + (16 * 256), WeightGradientScratchLength128(in shape));

    private static int UStep(in WinogradShape shape) => (shape.TilePad * shape.OutPad) + 16;

    /// <summary>
    /// Adds one sample's M[ξ][c][o] = Σ_tiles V[ξ][c][t]·U′[ξ][t][o] to <paramref name="sums"/>. <paramref name="input"/> holds
    /// Channels padded planes (InHeight × InWidth, rows <paramref name="inRowStride"/> and planes <paramref name="inPlaneStride"/>
    /// apart), <paramref name="dz"/> OutChannels output-gradient planes of OutHeight × OutWidth (rows <paramref name="dzRowStride"/>,
    /// planes <paramref name="dzPlaneStride"/> apart). Needs <see cref="WeightGradientRuns"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGradientSample(
        in WinogradShape shape, ReadOnlySpan<float> input, int inPlaneStride, int inRowStride, ReadOnlySpan<float> dz, int dzPlaneStride,
        int dzRowStride, Span<float> sums, Span<float> scratch)
    {
        if (!WeightGradientRuns(in shape))
        {
            throw new NotSupportedException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"The Winograd weight gradient needs input channels in multiples of 16 and the Vector512 path, or the Vector256 path with rows of {MinWeightGradientTiles256} tiles or more, or in multiples of 4 at 128 bits; this shape has {shape.Channels} input channels and {shape.TileColumns} tiles a row, kernel level {KernelDispatch.Level}."));
        }

        CheckPlanes(shape.Channels, shape.InHeight, shape.InWidth, input.Length, inPlaneStride, inRowStride, nameof(input));
        CheckPlanes(shape.OutChannels, shape.OutHeight, shape.OutWidth, dz.Length, dzPlaneStride, dzRowStride, nameof(dz));
        CheckLength(sums.Length, WeightGradientSumsLength(in shape), nameof(sums));
        CheckLength(scratch.Length, WeightGradientScratchLength(in shape), nameof(scratch));
        int rows = shape.TileRows, vBand = 16 * shape.VStep, uBand = 16 * UStep(in shape);
        fixed (float* px = input, pg = dz, pm = sums, pb = scratch)
        {
            float* u = pb + (WeightBand * vBand), stage = u + (WeightBand * uBand);
            if (Enabled128)
            {
                WeightGradient128(in shape, px, inPlaneStride, inRowStride, pg, dzPlaneStride, dzRowStride, pm, pb);
                return;
            }

            if (KernelDispatch.Level == 1)
            {
                WeightGradientRows256(in shape, px, inPlaneStride, inRowStride, pg, dzPlaneStride, dzRowStride, pm, pb, u, stage);
                return;
            }

#if NET9_0_OR_GREATER
            if (FlatLayout(in shape))
            {
                FlatWeightGradient(in shape, px, inPlaneStride, inRowStride, pg, dzPlaneStride, dzRowStride, pm, pb, u, stage);
                return;
            }
#endif
            for (int ty0 = 0; ty0 < rows; ty0 += WeightBand)
            {
                int band = Math.Min(WeightBand, rows - ty0);
                for (int r = 0; r < band; r++)
                {
                    var run = new Call(in shape, px, inPlaneStride, inRowStride, null, null, 0, 0, pb + (r * vBand));
                    InputRow512(in run, ty0 + r);
                    GradientRow512(in shape, pg, dzPlaneStride, dzRowStride, ty0 + r, u + (r * uBand), stage);
                }

                WeightProducts512(in shape, pb, u, band, pm);
            }
        }
    }

    /// <summary>
    /// dW[o][c][3 × 3] = Gᵀ M[·][c][o] G from <see cref="WeightGradientSample"/>'s sums, in double and rounded once, into
    /// <paramref name="dw"/> ([OutChannels][Channels × 9], rows <paramref name="dwRow"/> floats apart; overwritten).
    /// </summary>
    public static void CloseWeightGradient(in WinogradShape shape, ReadOnlySpan<float> sums, Span<float> dw, int dwRow)
    {
        int cin = shape.Channels, cout = shape.OutChannels, pad = shape.OutPad;
        CheckLength(sums.Length, WeightGradientSumsLength(in shape), nameof(sums));
        CheckLength(dw.Length, ((cout - 1) * dwRow) + (cin * 9), nameof(dw));
        if (Avx.IsSupported)
        {
            fixed (float* ps = sums, pw = dw)
            {
                CloseLanes(ps, cin, cout, pad, pw, dwRow);
            }

            return;
        }

        Span<double> m = stackalloc double[16];
        Span<double> t = stackalloc double[12];
        for (int o = 0; o < cout; o++)
        {
            for (int c = 0; c < cin; c++)
            {
                for (int xi = 0; xi < 16; xi++)
                {
                    m[xi] = sums[(((xi * cin) + c) * pad) + o];
                }

                // Gᵀ M: row k of the result from the rows ρ of M (G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]).
                for (int j = 0; j < 4; j++)
                {
                    double m0 = m[j], m1 = m[4 + j], m2 = m[8 + j], m3 = m[12 + j];
                    t[j] = m0 + (0.5 * (m1 + m2));
                    t[4 + j] = 0.5 * (m1 - m2);
                    t[8 + j] = (0.5 * (m1 + m2)) + m3;
                }

                Span<float> to = dw.Slice((o * dwRow) + (c * 9), 9);
                for (int k = 0; k < 3; k++)
                {
                    double a0 = t[4 * k], a1 = t[(4 * k) + 1], a2 = t[(4 * k) + 2], a3 = t[(4 * k) + 3];
                    to[3 * k] = (float)(a0 + (0.5 * (a1 + a2)));
                    to[(3 * k) + 1] = (float)(0.5 * (a1 - a2));
                    to[(3 * k) + 2] = (float)((0.5 * (a1 + a2)) + a3);
                }
            }
        }
    }

    // CloseWeightGradient with 4 output channels in the lanes of Vector256<double> (M's rows hold them side by side): each lane
    // takes the scalar loop's operations in its order, in double, rounded once (the same bits). Channel by channel with 16
    // strided loads per value and the arithmetic on the stack, the scalar loop took 175–200 µs for case C's 64 → 64 (4 % of its
    // training step) and 13 µs per part for case B's 16 → 32, closed once per sample at batch 8.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CloseLanes(float* sums, int cin, int cout, int pad, float* dw, int dwRow)
    {
        var half = Vector256.Create(0.5);
        nint xiStep = (nint)cin * pad;
        for (int c = 0; c < cin; c++)
        {
            float* mc = sums + ((nint)c * pad);
            for (int o0 = 0; o0 < cout; o0 += 4)
            {
                float* p = mc + o0;

                // Gᵀ M: row k of the result from the rows ρ of M, then G on the columns, as in the scalar loop.
                Vector256<double> t00 = default, t01 = default, t02 = default, t03 = default;
                Vector256<double> t10 = default, t11 = default, t12 = default, t13 = default;
                Vector256<double> t20 = default, t21 = default, t22 = default, t23 = default;
                Rows(p, xiStep, 0, half, ref t00, ref t10, ref t20);
                Rows(p, xiStep, 1, half, ref t01, ref t11, ref t21);
                Rows(p, xiStep, 2, half, ref t02, ref t12, ref t22);
                Rows(p, xiStep, 3, half, ref t03, ref t13, ref t23);
                float* to = dw + ((nint)o0 * dwRow) + (c * 9);
                int lanes = Math.Min(4, cout - o0);
                Columns(to, dwRow, lanes, 0, half, t00, t01, t02, t03);
                Columns(to, dwRow, lanes, 3, half, t10, t11, t12, t13);
                Columns(to, dwRow, lanes, 6, half, t20, t21, t22, t23);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Rows(float* p, nint xiStep, int j, Vector256<double> half, ref Vector256<double> r0, ref Vector256<double> r1, ref Vector256<double> r2)
        {
            Vector256<double> m0 = Avx.ConvertToVector256Double(Vector128.Load(p + (j * xiStep)));
            Vector256<double> m1 = Avx.ConvertToVector256Double(Vector128.Load(p + ((4 + j) * xiStep)));
            Vector256<double> m2 = Avx.ConvertToVector256Double(Vector128.Load(p + ((8 + j) * xiStep)));
            Vector256<double> m3 = Avx.ConvertToVector256Double(Vector128.Load(p + ((12 + j) * xiStep)));
            r0 = m0 + (half * (m1 + m2));
            r1 = half * (m1 - m2);
            r2 = (half * (m1 + m2)) + m3;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Columns(float* to, int dwRow, int lanes, int k3, Vector256<double> half, Vector256<double> a0, Vector256<double> a1, Vector256<double> a2, Vector256<double> a3)
        {
            Vector128<float> w0 = Avx.ConvertToVector128Single(a0 + (half * (a1 + a2)));
            Vector128<float> w1 = Avx.ConvertToVector128Single(half * (a1 - a2));
            Vector128<float> w2 = Avx.ConvertToVector128Single((half * (a1 + a2)) + a3);
            for (int l = 0; l < lanes; l++)
            {
                float* d = to + ((nint)l * dwRow) + k3;
                d[0] = w0.GetElement(l);
                d[1] = w1.GetElement(l);
                d[2] = w2.GetElement(l);
            }
        }
    }

    // U′[ξ][t][o] of tile row ty for every output channel (zeros past OutChannels): per 16 output channels and 16 tiles, the rows
    // 2ty and 2ty + 1 of the 16 planes (zeros past the plane) staged as [row][channel][32 columns], transposed 16 × 16 into
    // [row][column][channel], then g Aᵀ and A on the rows with the channels in the lanes, stored whole. (Transforming with the
    // tiles in the lanes and transposing each ξ after took 16 transposes a block instead of 4.)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientRow512(in WinogradShape shape, float* dz, int plane, int row, int ty, float* u, float* stage)
    {
        int cout = shape.OutChannels, pad = shape.OutPad, tiles = shape.TileColumns, ow = shape.OutWidth;
        bool second = (2 * ty) + 1 < shape.OutHeight;
        nint step = UStep(in shape);
        float* columns = stage + 1024;
        for (int o0 = 0; o0 < pad; o0 += 16)
        {
            for (int t0 = 0; t0 < tiles; t0 += 16)
            {
                int valid = ow - (2 * t0);
                for (int k = 0; k < 16; k++)
                {
                    int o = o0 + k;
                    float* s0 = stage + (k * 32), s1 = s0 + 512;
                    float* r0 = dz + ((nint)o * plane) + ((nint)(2 * ty) * row) + (2 * t0);
                    bool here = o < cout, below = here && second;
                    Vector512.Store(here ? LoadPartial(r0, valid) : Vector512<float>.Zero, s0);
                    Vector512.Store(here ? LoadPartial(r0 + 16, valid - 16) : Vector512<float>.Zero, s0 + 16);
                    Vector512.Store(below ? LoadPartial(r0 + row, valid) : Vector512<float>.Zero, s1);
                    Vector512.Store(below ? LoadPartial(r0 + row + 16, valid - 16) : Vector512<float>.Zero, s1 + 16);
                }

                LanesConv.Transpose16(stage, 32, columns, 16);
                LanesConv.Transpose16(stage + 16, 32, columns + 256, 16);
                LanesConv.Transpose16(stage + 512, 32, columns + 512, 16);
                LanesConv.Transpose16(stage + 528, 32, columns + 768, 16);
                int n = Math.Min(16, tiles - t0);
                for (int t = 0; t < n; t++)
                {
                    float* g = columns + (t * 32);
                    Vector512<float> a0 = Vector512.Load(g), b0 = Vector512.Load(g + 16), a1 = Vector512.Load(g + 512), b1 = Vector512.Load(g + 528);
                    float* to = u + (((nint)t0 + t) * pad) + o0;

                    // g Aᵀ per row: (a, a + b, a − b, −b); A on the rows: (r0, r0 + r1, r0 − r1, −r1).
                    GradientColumns(to, step, 0, a0, b0);
                    GradientColumns(to, step, 4, a0 + a1, b0 + b1);
                    GradientColumns(to, step, 8, a0 - a1, b0 - b1);
                    GradientColumns(to, step, 12, -a1, -b1);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientColumns(float* to, nint step, int xi0, Vector512<float> a, Vector512<float> b)
    {
        Vector512.Store(a, to + (xi0 * step));
        Vector512.Store(a + b, to + ((xi0 + 1) * step));
        Vector512.Store(a - b, to + ((xi0 + 2) * step));
        Vector512.Store(-b, to + ((xi0 + 3) * step));
    }

#if NET9_0_OR_GREATER
    // WeightGradientSample on flat tiles (WinogradConv.Flat.cs) where the forward packs them so: bands of WeightBand vectors of 16
    // tiles, each V[ξ][c][16] (the forward's flat input transform) and U′[ξ][16 tiles][o], then the products over the vectors' tiles.
    // The tiles are added in the row path's order (row after row), so the bits are the same; 14 × 14 planes (7 tiles a row)
    // transform 4 vectors instead of 7. Measured (Conv2dTrainer's Backward without dX, 16 → 32 on 14 × 14, batch 64, one thread,
    // thread CPU time, best / median of 25 alternating rounds, 2026-12-01): rows 1.153 / 1.455 ms, flat 1.083 / 1.274.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FlatWeightGradient(in WinogradShape shape, float* px, int inPlane, int inRow, float* pg, int dzPlane, int dzRow, float* pm, float* pb, float* u, float* stage)
    {
        int total = shape.TileRows * shape.TileColumns, vBand = 16 * shape.VStep, uBand = 16 * UStep(in shape);
        Segment* segments = stackalloc Segment[16];
        Vector512<float>* masks = stackalloc Vector512<float>[16 * SegmentMasks];
        for (int f0 = 0; f0 < total; f0 += WeightBand * 16)
        {
            int band = Math.Min(WeightBand, (total - f0 + 15) / 16);
            for (int r = 0; r < band; r++)
            {
                var run = new Call(in shape, px, inPlane, inRow, null, pg, dzPlane, dzRow, pb + (r * vBand));
                int count = Segments(in run, 0, f0 + (16 * r), total, segments, masks);
                FlatInput512(in run, segments, count, masks);
                FlatGradient512(in run, segments, count, masks, u + (r * uBand), stage, Math.Min(16, total - f0 - (16 * r)));
            }

            WeightProducts512(in shape, pb, u, band, pm, 16, 16, Math.Min(16, total - f0 - (16 * (band - 1))));
        }
    }

    // GradientRow512 on one vector of flat tiles: each segment's two rows of the output gradient staged at its lanes' positions
    // (the output transform's store masks), then the same transposes and transforms for all 16 lanes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FlatGradient512(in Call run, Segment* segments, int count, Vector512<float>* masks, float* u, float* stage, int tiles)
    {
        int cout = run.Shape.OutChannels, pad = run.Shape.OutPad;
        nint step = UStep(in run.Shape);
        float* columns = stage + 1024;
        for (int o0 = 0; o0 < pad; o0 += 16)
        {
            for (int k = 0; k < 16; k++)
            {
                int o = o0 + k;
                Vector512<float> a0 = Vector512<float>.Zero, b0 = a0, a1 = a0, b1 = a0;
                if (o < cout)
                {
                    float* plane = run.Output + ((nint)o * run.OutPlane);
                    for (int s = 0; s < count; s++)
                    {
                        float* p = plane + segments[s].Out;
                        Vector512<float>* m = masks + (s * SegmentMasks);
                        a0 = Avx512F.MaskLoad(p, m[4], a0);
                        b0 = Avx512F.MaskLoad(p + 16, m[5], b0);
                        if (segments[s].Second)
                        {
                            a1 = Avx512F.MaskLoad(p + run.OutRow, m[4], a1);
                            b1 = Avx512F.MaskLoad(p + run.OutRow + 16, m[5], b1);
                        }
                    }
                }

                float* s0 = stage + (k * 32);
                Vector512.Store(a0, s0);
                Vector512.Store(b0, s0 + 16);
                Vector512.Store(a1, s0 + 512);
                Vector512.Store(b1, s0 + 528);
            }

            LanesConv.Transpose16(stage, 32, columns, 16);
            LanesConv.Transpose16(stage + 16, 32, columns + 256, 16);
            LanesConv.Transpose16(stage + 512, 32, columns + 512, 16);
            LanesConv.Transpose16(stage + 528, 32, columns + 768, 16);
            for (int t = 0; t < tiles; t++)
            {
                float* g = columns + (t * 32);
                Vector512<float> a = Vector512.Load(g), b = Vector512.Load(g + 16), c = Vector512.Load(g + 512), d = Vector512.Load(g + 528);
                float* to = u + ((nint)t * pad) + o0;
                GradientColumns(to, step, 0, a, b);
                GradientColumns(to, step, 4, a + c, b + d);
                GradientColumns(to, step, 8, a - c, b - d);
                GradientColumns(to, step, 12, -c, -d);
            }
        }
    }
#endif

    // M[ξ][c][o] += Σ over the band's tile rows and tiles of V[ξ][c][t]·U′[ξ][t][o]: per ξ, 16 output channels in the lanes × 16
    // input channels in registers, one U′ load and 16 broadcasts of V per tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightProducts512(in WinogradShape shape, float* v, float* u, int band, float* m) =>
        WeightProducts512(in shape, v, u, band, m, shape.TileColumns, shape.TilePad, shape.TileColumns);

    // The same over `tiles` tiles a band row (`last` in its last row) whose V rows are `tp` floats apart (flat tiles: 16 and 16).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightProducts512(in WinogradShape shape, float* v, float* u, int band, float* m, int tiles, int tp, int last)
    {
        int cin = shape.Channels, pad = shape.OutPad;
        nint vBand = 16 * shape.VStep, uBand = 16 * UStep(in shape), vStep = shape.VStep, uStep = UStep(in shape);
        for (int xi = 0; xi < 16; xi++)
        {
            for (int o0 = 0; o0 < pad; o0 += 16)
            {
                for (int c0 = 0; c0 < cin; c0 += 16)
                {
                    float* mm = m + ((((nint)xi * cin) + c0) * pad) + o0;
                    if (tp == 16)
                    {
                        WeightBlock(mm, pad, v + (xi * vStep) + ((nint)c0 * 16), 16, vBand, u + (xi * uStep) + o0, pad, uBand, band, tiles, last);
                    }
                    else
                    {
                        WeightBlock(mm, pad, v + (xi * vStep) + ((nint)c0 * tp), tp, vBand, u + (xi * uStep) + o0, pad, uBand, band, tiles, last);
                    }
                }
            }
        }
    }

    // 16 rows of M (rows `pad` apart) += Σ_r Σ_t v[r][k·tp + t] · u[r][t·pad]: the sums stay in registers over the band.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightBlock(float* m, int pad, float* v, nint tp, nint vBand, float* u, int uRow, nint uBand, int band, int tiles, int last)
    {
        Vector512<float> s0 = Vector512.Load(m), s1 = Vector512.Load(m + pad), s2 = Vector512.Load(m + (2 * pad)), s3 = Vector512.Load(m + (3 * pad));
        Vector512<float> s4 = Vector512.Load(m + (4 * pad)), s5 = Vector512.Load(m + (5 * pad)), s6 = Vector512.Load(m + (6 * pad)), s7 = Vector512.Load(m + (7 * pad));
        Vector512<float> s8 = Vector512.Load(m + (8 * pad)), s9 = Vector512.Load(m + (9 * pad)), s10 = Vector512.Load(m + (10 * pad)), s11 = Vector512.Load(m + (11 * pad));
        Vector512<float> s12 = Vector512.Load(m + (12 * pad)), s13 = Vector512.Load(m + (13 * pad)), s14 = Vector512.Load(m + (14 * pad)), s15 = Vector512.Load(m + (15 * pad));
        for (int r = 0; r < band; r++)
        {
            float* vr = v + (r * vBand), ur = u + (r * uBand);
            for (int t = 0, n = r == band - 1 ? last : tiles; t < n; t++)
            {
                Vector512<float> x = Vector512.Load(ur + ((nint)t * uRow));
                float* p = vr + t;
                s0 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[0]), x, s0);
                s1 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[tp]), x, s1);
                s2 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[2 * tp]), x, s2);
                s3 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[3 * tp]), x, s3);
                s4 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[4 * tp]), x, s4);
                s5 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[5 * tp]), x, s5);
                s6 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[6 * tp]), x, s6);
                s7 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[7 * tp]), x, s7);
                s8 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[8 * tp]), x, s8);
                s9 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[9 * tp]), x, s9);
                s10 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[10 * tp]), x, s10);
                s11 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[11 * tp]), x, s11);
                s12 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[12 * tp]), x, s12);
                s13 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[13 * tp]), x, s13);
                s14 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[14 * tp]), x, s14);
                s15 = Avx512F.FusedMultiplyAdd(Vector512.Create(p[15 * tp]), x, s15);
            }
        }

        Vector512.Store(s0, m);
        Vector512.Store(s1, m + pad);
        Vector512.Store(s2, m + (2 * pad));
        Vector512.Store(s3, m + (3 * pad));
        Vector512.Store(s4, m + (4 * pad));
        Vector512.Store(s5, m + (5 * pad));
        Vector512.Store(s6, m + (6 * pad));
        Vector512.Store(s7, m + (7 * pad));
        Vector512.Store(s8, m + (8 * pad));
        Vector512.Store(s9, m + (9 * pad));
        Vector512.Store(s10, m + (10 * pad));
        Vector512.Store(s11, m + (11 * pad));
        Vector512.Store(s12, m + (12 * pad));
        Vector512.Store(s13, m + (13 * pad));
        Vector512.Store(s14, m + (14 * pad));
        Vector512.Store(s15, m + (15 * pad));
    }
}
