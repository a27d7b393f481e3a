using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// <see cref="WeightGradientSample"/> at 128 bits (<see cref="Enabled128"/>): the same F(3 × 3, 2 × 2) sums M[ξ][c][o], with the
/// tiles in the lanes of both transforms, 4 a vector. Per band of tile rows (about 128 tiles, each row padded to a multiple of 4):
/// V[ξ][c][tile] = Bᵀ d B (each input row's 4 loads de-interleaved into the 4 columns of 4 tiles) and U′[ξ][o][tile] = A g Aᵀ
/// (the output gradient's two rows de-interleaved likewise; zero past the plane, so padding tiles add nothing), then per ξ,
/// 4 input channels × 2 output channels the band's tiles in 8 accumulators, each summed across its lanes and added to M.
/// Samples and bands add in call order, so the bits do not depend on the thread count (the per-part sums as at the other widths);
/// they are not the other widths' (another summation order).
/// </content>
public static unsafe partial class WinogradConv
{
    // Tiles a row padded to a whole vector, and tile rows a band (about 128 tiles).
    private static int RowSlots128(in WinogradShape shape) => (shape.TileColumns + 3) & ~3;

    private static int BandRows128(in WinogradShape shape) => Math.Max(1, 128 / RowSlots128(in shape));

    // Output channels the products run over: whole pairs.
    private static int PairedOut128(in WinogradShape shape) => (shape.OutChannels + 1) & ~1;

    // Floats of the 128-bit weight gradient's scratch: a band's V and U′, and a staged row.
    private static int WeightGradientScratchLength128(in WinogradShape shape) =>
        (16 * (shape.Channels + PairedOut128(in shape)) * BandRows128(in shape) * RowSlots128(in shape)) + 16;

    // WeightGradientSample at 128 bits: input channels a multiple of 4.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradient128(in WinogradShape shape, float* x, int inPlane, int inRow, float* dz, int dzPlane, int dzRow, float* sums, float* scratch)
    {
        int rowSlots = RowSlots128(in shape), bandRows = BandRows128(in shape), rows = shape.TileRows, cin = shape.Channels, pairs = PairedOut128(in shape);
        int capacity = bandRows * rowSlots;
        float* v = scratch, u = v + (16 * cin * capacity), stage = u + (16 * pairs * capacity);
        for (int ty0 = 0; ty0 < rows; ty0 += bandRows)
        {
            int band = Math.Min(bandRows, rows - ty0), slots = band * rowSlots;
            for (int b = 0; b < band; b++)
            {
                InputRow128(in shape, x, inPlane, inRow, ty0 + b, v + (b * rowSlots), slots, stage);
                GradientRow128(in shape, dz, dzPlane, dzRow, ty0 + b, u + (b * rowSlots), slots, stage);
            }

            for (int xi = 0; xi < 16; xi++)
            {
                WeightProducts128(v + ((nint)xi * cin * slots), u + ((nint)xi * pairs * slots), cin, pairs, slots, sums + ((nint)xi * cin * shape.OutPad), shape.OutPad);
            }
        }
    }

    // V[ξ][c][slot + t] (ξ every cin·slots floats) for the tiles of tile row ty: tile t is rows 2·ty … 2·ty + 3 and columns 2t … 2t + 3
    // of the padded plane (zeros past it), transformed as InputRow512 does (rows ρ0 − ρ2, ρ1 + ρ2, ρ2 − ρ1, ρ1 − ρ3, then the columns).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputRow128(in WinogradShape shape, float* x, int inPlane, int inRow, int ty, float* v, int slots, float* stage)
    {
        int tiles = shape.TileColumns, width = shape.InWidth, height = shape.InHeight;
        nint step = (nint)shape.Channels * slots;
        for (int c = 0; c < shape.Channels; c++)
        {
            float* plane = x + ((nint)c * inPlane);
            for (int t = 0; t < tiles; t += 4)
            {
                int col = 2 * t;
                Columns128(plane, inRow, 2 * ty, height, col, width, 10, stage, out var a0, out var a1, out var a2, out var a3, 0);
                Columns128(plane, inRow, (2 * ty) + 1, height, col, width, 10, stage, out var b0, out var b1, out var b2, out var b3, 0);
                Columns128(plane, inRow, (2 * ty) + 2, height, col, width, 10, stage, out var c0, out var c1, out var c2, out var c3, 0);
                Columns128(plane, inRow, (2 * ty) + 3, height, col, width, 10, stage, out var d0, out var d1, out var d2, out var d3, 0);
                float* vc = v + ((nint)c * slots) + t;
                InputColumns128(vc, step, 0, a0 - c0, a1 - c1, a2 - c2, a3 - c3);
                InputColumns128(vc, step, 4, b0 + c0, b1 + c1, b2 + c2, b3 + c3);
                InputColumns128(vc, step, 8, c0 - b0, c1 - b1, c2 - b2, c3 - b3);
                InputColumns128(vc, step, 12, b0 - d0, b1 - d1, b2 - d2, b3 - d3);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputColumns128(float* v, nint step, int xi0, Vector128<float> e0, Vector128<float> e1, Vector128<float> e2, Vector128<float> e3)
    {
        Vector128.Store(e0 - e2, v + (xi0 * step));
        Vector128.Store(e1 + e2, v + ((xi0 + 1) * step));
        Vector128.Store(e2 - e1, v + ((xi0 + 2) * step));
        Vector128.Store(e1 - e3, v + ((xi0 + 3) * step));
    }

    // U′[ξ][o][slot + t] (ξ every pairs·slots floats) for the tiles of tile row ty: the output gradient's rows 2·ty and 2·ty + 1,
    // columns 2t and 2t + 1 (zeros past the plane), as GradientRow512 forms them (rows r0, r0 + r1, r0 − r1, −r1; columns
    // a, a + b, a − b, −b); the unpaired last output channel's rows are zeros.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientRow128(in WinogradShape shape, float* dz, int dzPlane, int dzRow, int ty, float* u, int slots, float* stage)
    {
        int tiles = shape.TileColumns, pairs = PairedOut128(in shape);
        nint step = (nint)pairs * slots;
        for (int o = 0; o < pairs; o++)
        {
            float* plane = dz + ((nint)o * dzPlane);
            int height = o < shape.OutChannels ? shape.OutHeight : 0;
            for (int t = 0; t < tiles; t += 4)
            {
                int col = 2 * t;
                Columns128(plane, dzRow, 2 * ty, height, col, shape.OutWidth, 8, stage, out var a0, out var b0, out _, out _, 1);
                Columns128(plane, dzRow, (2 * ty) + 1, height, col, shape.OutWidth, 8, stage, out var a1, out var b1, out _, out _, 1);
                float* uo = u + ((nint)o * slots) + t;
                GradientColumns128(uo, step, 0, a0, b0);
                GradientColumns128(uo, step, 4, a0 + a1, b0 + b1);
                GradientColumns128(uo, step, 8, a0 - a1, b0 - b1);
                GradientColumns128(uo, step, 12, -a1, -b1);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientColumns128(float* to, nint step, int xi0, Vector128<float> a, Vector128<float> b)
    {
        Vector128.Store(a, to + (xi0 * step));
        Vector128.Store(a + b, to + ((xi0 + 1) * step));
        Vector128.Store(a - b, to + ((xi0 + 2) * step));
        Vector128.Store(-b, to + ((xi0 + 3) * step));
    }

    // Columns col + 2L + k (k = 0…3, or with `two` k = 0, 1) of row r for lanes L = 0…3: `reach` floats from col read, zeros for a
    // row outside [0, height) and for columns at or past `width` (the row's end staged, never a read past it).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns128(
        float* plane, int rowStride, int r, int height, int col, int width, int reach, float* stage,
        out Vector128<float> e0, out Vector128<float> e1, out Vector128<float> e2, out Vector128<float> e3, int two)
    {
        if (r >= height)
        {
            e0 = e1 = e2 = e3 = Vector128<float>.Zero;
            return;
        }

        float* p = plane + ((nint)r * rowStride) + col;
        if (col + reach > width)
        {
            new Span<float>(stage, 12).Clear();
            new Span<float>(p, width - col).CopyTo(new Span<float>(stage, 12));
            p = stage;
        }

        Vector128<float> l0 = Vector128.Load(p), l4 = Vector128.Load(p + 4);
        e0 = Even128(l0, l4);
        e1 = Odd128(l0, l4);
        if (two != 0)
        {
            e2 = e3 = default;
            return;
        }

        Vector128<float> l2 = Vector128.Load(p + 2), l6 = Vector128.Load(p + 6);
        e2 = Even128(l2, l6);
        e3 = Odd128(l2, l6);
    }

    // [a0, a2, b0, b2] and [a1, a3, b1, b3].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Even128(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Sse.Shuffle(a, b, 0x88) : AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.UnzipEven(a, b) : throw new PlatformNotSupportedException();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Odd128(Vector128<float> a, Vector128<float> b) =>
        Sse.IsSupported ? Sse.Shuffle(a, b, 0xDD) : AdvSimd.Arm64.IsSupported ? AdvSimd.Arm64.UnzipOdd(a, b) : throw new PlatformNotSupportedException();

    // One ξ: M[c·pad + o] += Σ_t V[c][t]·U′[o][t] over the band's `slots` tiles, 4 input × 2 output channels in 8 accumulators,
    // each summed across its lanes at the end.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WeightProducts128(float* v, float* u, int cin, int pairs, int slots, float* m, int pad)
    {
        for (int c = 0; c < cin; c += 4)
        {
            float* v0 = v + ((nint)c * slots), v1 = v0 + slots, v2 = v1 + slots, v3 = v2 + slots;
            for (int o = 0; o < pairs; o += 2)
            {
                float* u0 = u + ((nint)o * slots), u1 = u0 + slots;
                Vector128<float> s00 = default, s01 = default, s10 = default, s11 = default, s20 = default, s21 = default, s30 = default, s31 = default;
                for (int t = 0; t < slots; t += 4)
                {
                    Vector128<float> g0 = Vector128.Load(u0 + t), g1 = Vector128.Load(u1 + t);
                    Vector128<float> d = Vector128.Load(v0 + t);
                    s00 = Lanes128.Fma(d, g0, s00);
                    s01 = Lanes128.Fma(d, g1, s01);
                    d = Vector128.Load(v1 + t);
                    s10 = Lanes128.Fma(d, g0, s10);
                    s11 = Lanes128.Fma(d, g1, s11);
                    d = Vector128.Load(v2 + t);
                    s20 = Lanes128.Fma(d, g0, s20);
                    s21 = Lanes128.Fma(d, g1, s21);
                    d = Vector128.Load(v3 + t);
                    s30 = Lanes128.Fma(d, g0, s30);
                    s31 = Lanes128.Fma(d, g1, s31);
                }

                float* mc = m + ((nint)c * pad) + o;
                mc[0] += Vector128.Sum(s00);
                mc[1] += Vector128.Sum(s01);
                mc[pad] += Vector128.Sum(s10);
                mc[pad + 1] += Vector128.Sum(s11);
                mc[2 * pad] += Vector128.Sum(s20);
                mc[(2 * pad) + 1] += Vector128.Sum(s21);
                mc[3 * pad] += Vector128.Sum(s30);
                mc[(3 * pad) + 1] += Vector128.Sum(s31);
            }
        }
    }
}
