using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// Winograd F(4 × 4, 3 × 3) at 128 bits (SSE on old x64, AdvSimd on ARM64; <see cref="KernelDispatch.RuntimeBits"/> 128) for the
/// training products (Conv2dTrainer.Winograd.cs): the forward on the padded planes and the input gradient on the output gradient's
/// grid, as <see cref="RunStrided43x256{TAct}"/> reads them with padding 0 (y = conv, no epilogue). The same transforms and
/// <see cref="Packed43"/>'s weights, tiles in the lanes, 4 a vector, in order. A sample's tile rows go in bands of about 32 tiles
/// (each row padded to a multiple of 4): the input transform of the band (each input row's 5 loads transposed 4 × 4 into the
/// 6 columns of 4 tiles, then Bᵀ d B), per 4 output channels the 36 products M[ξ] = Σ_c U[ξ][c] V[ξ][c] (4 channels × 8 tiles in
/// 8 accumulators, the input channels in order, one fused multiply-add each), then Aᵀ M A transposed back to pixels. Every output
/// is computed the same way whatever else runs, so the bits do not depend on the thread count; they are not the 256-bit route's
/// (its own summation order).
/// </content>
public static unsafe partial class WinogradConv
{
    /// <summary>
    /// Whether the 128-bit F(4 × 4, 3 × 3) kernel runs now: <see cref="KernelDispatch.RuntimeBits"/> 128 with SSE or ARM64's
    /// AdvSimd (for its 4 × 4 transposes).
    /// </summary>
    public static bool Enabled128 => KernelDispatch.RuntimeBits == 128 && (Sse.IsSupported || AdvSimd.Arm64.IsSupported);

    // Tiles a row padded to a whole vector, tile rows a band, and a band's tile slots (a multiple of the product's 8).
    private static int RowSlots43x128(in WinogradShape shape) => (((shape.OutWidth + 3) / 4) + 3) & ~3;

    private static int BandRows43x128(in WinogradShape shape) => Math.Max(1, 32 / RowSlots43x128(in shape));

    private static int BandSlots43x128(in WinogradShape shape) => ((BandRows43x128(in shape) * RowSlots43x128(in shape)) + 7) & ~7;

    /// <summary>
    /// Floats of the scratch of <see cref="RunStrided43x128"/>: the band's transformed input [36][Channels][slots], the products of
    /// 4 output channels [36][4][slots], and a staging row.
    /// </summary>
    public static int ScratchLength43x128(in WinogradShape shape) => (36 * (shape.Channels + 4) * BandSlots43x128(in shape)) + 32;

    /// <summary>
    /// <c>y = conv(x)</c> of one sample on F(4 × 4, 3 × 3) at 128 bits: input planes of <see cref="WinogradShape.InHeight"/> ×
    /// <see cref="WinogradShape.InWidth"/> (the padding already in them; rows InWidth apart, planes <paramref name="inPlane"/>
    /// apart), output planes OutHeight × OutWidth one after another; <paramref name="w"/> is <see cref="Packed43"/>'s,
    /// <paramref name="scratch"/> has <see cref="ScratchLength43x128"/> floats. Needs <see cref="Enabled128"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunStrided43x128(in WinogradShape shape, ref float x, int inPlane, ref float w, ref float y, ref float scratch)
    {
        shape.Check();
        if (!Enabled128)
        {
            throw new InvalidOperationException("The 128-bit F(4 × 4, 3 × 3) kernel needs KernelDispatch.RuntimeBits 128 with SSE or ARM64 AdvSimd.");
        }

        if (inPlane < shape.InHeight * shape.InWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(inPlane), $"Expected planes at least {shape.InHeight * shape.InWidth} floats apart, got {inPlane}.");
        }

        int rowSlots = RowSlots43x128(in shape), bandRows = BandRows43x128(in shape), slots = BandSlots43x128(in shape);
        int tileRows = TileRows43(in shape), cin = shape.Channels;
        fixed (float* px = &x, pw = &w, py = &y, pv = &scratch)
        {
            float* m = pv + (36 * cin * slots), stage = m + (36 * 4 * slots);
            for (int ty0 = 0; ty0 < tileRows; ty0 += bandRows)
            {
                int rows = Math.Min(bandRows, tileRows - ty0);
                if (rows * rowSlots < slots)
                {
                    // A short band: its idle slots read zeros (their products are never stored).
                    for (int k = 0; k < 36 * cin; k++)
                    {
                        new Span<float>(pv + ((nint)k * slots) + (rows * rowSlots), slots - (rows * rowSlots)).Clear();
                    }
                }

                for (int b = 0; b < rows; b++)
                {
                    InputRow43x128(in shape, px, inPlane, ty0 + b, pv + (b * rowSlots), slots, stage);
                }

                for (int o0 = 0; o0 < shape.OutChannels; o0 += 4)
                {
                    for (int xi = 0; xi < 36; xi++)
                    {
                        Products43x128(pv + ((nint)xi * cin * slots), pw + ((nint)xi * cin * shape.OutPad) + o0, cin, shape.OutPad, m + (xi * 4 * slots), slots);
                    }

                    for (int k = 0; k < 4 && o0 + k < shape.OutChannels; k++)
                    {
                        float* yo = py + ((nint)(o0 + k) * shape.OutHeight * shape.OutWidth);
                        for (int b = 0; b < rows; b++)
                        {
                            for (int t = 0; t < rowSlots; t += 4)
                            {
                                Output43x128(in shape, m + (k * slots) + (b * rowSlots) + t, 4 * slots, yo, ty0 + b, t);
                            }
                        }
                    }
                }
            }
        }
    }

    // V[ξ][c][slot + t] for the tiles of tile row ty, 4 a vector: tile t's 6 × 6 input is rows 4·ty … 4·ty + 5 and columns 4t … 4t + 5,
    // zeros outside the planes. Each input row's 5 loads transposed into its 6 columns (d B per row), then Bᵀ · per column.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void InputRow43x128(in WinogradShape shape, float* x, int inPlane, int ty, float* v, int slots, float* stage)
    {
        int height = shape.InHeight, width = shape.InWidth, tiles = (shape.OutWidth + 3) / 4;
        nint step = (nint)shape.Channels * slots, end = ((nint)(shape.Channels - 1) * inPlane) + ((nint)height * width);
        Vector128<float>* e = stackalloc Vector128<float>[36];
        for (int c = 0; c < shape.Channels; c++)
        {
            float* plane = x + ((nint)c * inPlane);
            for (int t = 0; t < tiles; t += 4)
            {
                int col = 4 * t;
                for (int i = 0; i < 6; i++)
                {
                    int r = (4 * ty) + i;
                    Vector128<float> l0, l4, l8, l12, l16;
                    if (r >= height)
                    {
                        l0 = l4 = l8 = l12 = l16 = Vector128<float>.Zero;
                    }
                    else
                    {
                        float* p = plane + ((nint)r * width) + col;
                        if (col + 20 > width && (p - x) + 20 > end)
                        {
                            // The last plane's last row end: its columns staged with zeros past it (never a read past the planes).
                            new Span<float>(stage, 20).Clear();
                            new Span<float>(p, width - col).CopyTo(new Span<float>(stage, 20));
                            p = stage;
                        }

                        l0 = Vector128.Load(p);
                        l4 = Vector128.Load(p + 4);
                        l8 = Vector128.Load(p + 8);
                        l12 = Vector128.Load(p + 12);
                        l16 = Vector128.Load(p + 16);
                        if (col + 20 > width && p != stage)
                        {
                            // A row's end read on into what follows it: the columns past the row cleared.
                            l0 = Vector128.BitwiseAnd(l0, Below128(width - col));
                            l4 = Vector128.BitwiseAnd(l4, Below128(width - col - 4));
                            l8 = Vector128.BitwiseAnd(l8, Below128(width - col - 8));
                            l12 = Vector128.BitwiseAnd(l12, Below128(width - col - 12));
                            l16 = Vector128.BitwiseAnd(l16, Below128(width - col - 16));
                        }
                    }

                    // Columns 0…3 of the 4 tiles from the loads at +0 … +12, columns 4 and 5 (0 and 1 of the next tile) from +4 … +16.
                    Vector128<float> d0 = l0, d1 = l4, d2 = l8, d3 = l12, d4 = l4, d5 = l8, unused0 = l12, unused1 = l16;
                    Transpose4x128(ref d0, ref d1, ref d2, ref d3);
                    Transpose4x128(ref d4, ref d5, ref unused0, ref unused1);
                    Transform43x128(d0, d1, d2, d3, d4, d5, out e[6 * i], out e[(6 * i) + 1], out e[(6 * i) + 2], out e[(6 * i) + 3], out e[(6 * i) + 4], out e[(6 * i) + 5]);
                }

                float* vc = v + ((nint)c * slots) + t;
                for (int j = 0; j < 6; j++)
                {
                    Transform43x128(e[j], e[6 + j], e[12 + j], e[18 + j], e[24 + j], e[30 + j], out var b0, out var b1, out var b2, out var b3, out var b4, out var b5);
                    Vector128.Store(b0, vc + (j * step));
                    Vector128.Store(b1, vc + ((6 + j) * step));
                    Vector128.Store(b2, vc + ((12 + j) * step));
                    Vector128.Store(b3, vc + ((18 + j) * step));
                    Vector128.Store(b4, vc + ((24 + j) * step));
                    Vector128.Store(b5, vc + ((30 + j) * step));
                }
            }
        }
    }

    // One ξ's products of 4 output channels: m[k·slots + t] = Σ_c u[c·pad + k]·v[c·slots + t], 8 tiles a block, c in order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Products43x128(float* v, float* u, int cin, int pad, float* m, int slots)
    {
        for (int t = 0; t < slots; t += 8)
        {
            Vector128<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
            float* vc = v + t, uc = u;
            for (int c = 0; c < cin; c++)
            {
                Vector128<float> lo = Vector128.Load(vc), hi = Vector128.Load(vc + 4);
                Vector128<float> s = Vector128.Create(uc[0]);
                a0 = Lanes128.Fma(s, lo, a0);
                b0 = Lanes128.Fma(s, hi, b0);
                s = Vector128.Create(uc[1]);
                a1 = Lanes128.Fma(s, lo, a1);
                b1 = Lanes128.Fma(s, hi, b1);
                s = Vector128.Create(uc[2]);
                a2 = Lanes128.Fma(s, lo, a2);
                b2 = Lanes128.Fma(s, hi, b2);
                s = Vector128.Create(uc[3]);
                a3 = Lanes128.Fma(s, lo, a3);
                b3 = Lanes128.Fma(s, hi, b3);
                vc += slots;
                uc += pad;
            }

            float* mt = m + t;
            Vector128.Store(a0, mt);
            Vector128.Store(b0, mt + 4);
            Vector128.Store(a1, mt + slots);
            Vector128.Store(b1, mt + slots + 4);
            Vector128.Store(a2, mt + (2 * slots));
            Vector128.Store(b2, mt + (2 * slots) + 4);
            Vector128.Store(a3, mt + (3 * slots));
            Vector128.Store(b3, mt + (3 * slots) + 4);
        }
    }

    // Y = Aᵀ M A of 4 tiles (products at m + ξ·ms) from tile t of tile row ty, transposed back to pixels: the rows and columns
    // inside the output plane stored.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Output43x128(in WinogradShape shape, float* m, nint ms, float* y, int ty, int t)
    {
        int oh = shape.OutHeight, ow = shape.OutWidth, tiles = (ow + 3) / 4;
        Vector128<float>* s = stackalloc Vector128<float>[24];
        for (int j = 0; j < 6; j++)
        {
            float* mj = m + (j * ms);
            Output43x128(
                Vector128.Load(mj), Vector128.Load(mj + (6 * ms)), Vector128.Load(mj + (12 * ms)), Vector128.Load(mj + (18 * ms)),
                Vector128.Load(mj + (24 * ms)), Vector128.Load(mj + (30 * ms)), out s[j], out s[6 + j], out s[12 + j], out s[18 + j]);
        }

        int count = Math.Min(4, tiles - t);
        for (int i = 0; i < 4 && (4 * ty) + i < oh; i++)
        {
            Vector128<float>* si = s + (6 * i);
            Output43x128(si[0], si[1], si[2], si[3], si[4], si[5], out var y0, out var y1, out var y2, out var y3);
            Transpose4x128(ref y0, ref y1, ref y2, ref y3);
            float* row = y + ((nint)((4 * ty) + i) * ow) + (4 * t);
            StoreTile43x128(row, ow - (4 * t), y0);
            if (count > 1)
            {
                StoreTile43x128(row + 4, ow - (4 * t) - 4, y1);
            }

            if (count > 2)
            {
                StoreTile43x128(row + 8, ow - (4 * t) - 8, y2);
            }

            if (count > 3)
            {
                StoreTile43x128(row + 12, ow - (4 * t) - 12, y3);
            }
        }
    }

    // All ones in the lanes below `count`, zeros from it on.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Below128(int count) =>
        Vector128.LessThan(Vector128.Create(0, 1, 2, 3), Vector128.Create(count)).AsSingle();

    // A tile's 4 pixels of a row, the first `left` of them (at least 1) where fewer are inside the row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTile43x128(float* y, int left, Vector128<float> v)
    {
        if (left >= 4)
        {
            Vector128.Store(v, y);
            return;
        }

        for (int q = 0; q < left; q++)
        {
            y[q] = v.GetElement(q);
        }
    }

    // The 4 × 4 transpose of a, b, c, d (rows) into their columns.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x128(ref Vector128<float> a, ref Vector128<float> b, ref Vector128<float> c, ref Vector128<float> d)
    {
        if (Sse.IsSupported)
        {
            Vector128<float> l0 = Sse.UnpackLow(a, b), l1 = Sse.UnpackLow(c, d), h0 = Sse.UnpackHigh(a, b), h1 = Sse.UnpackHigh(c, d);
            a = Sse.MoveLowToHigh(l0, l1);
            b = Sse.MoveHighToLow(l1, l0);
            c = Sse.MoveLowToHigh(h0, h1);
            d = Sse.MoveHighToLow(h1, h0);
        }
        else if (AdvSimd.Arm64.IsSupported)
        {
            Vector128<float> l0 = AdvSimd.Arm64.ZipLow(a, b), l1 = AdvSimd.Arm64.ZipLow(c, d), h0 = AdvSimd.Arm64.ZipHigh(a, b), h1 = AdvSimd.Arm64.ZipHigh(c, d);
            a = AdvSimd.Arm64.ZipLow(l0.AsDouble(), l1.AsDouble()).AsSingle();
            b = AdvSimd.Arm64.ZipHigh(l0.AsDouble(), l1.AsDouble()).AsSingle();
            c = AdvSimd.Arm64.ZipLow(h0.AsDouble(), h1.AsDouble()).AsSingle();
            d = AdvSimd.Arm64.ZipHigh(h0.AsDouble(), h1.AsDouble()).AsSingle();
        }
        else
        {
            throw new PlatformNotSupportedException();
        }
    }

    // Bᵀ applied to six vectors (Transform43's operations at 128 bits).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transform43x128(
        Vector128<float> d0, Vector128<float> d1, Vector128<float> d2, Vector128<float> d3, Vector128<float> d4, Vector128<float> d5,
        out Vector128<float> r0, out Vector128<float> r1, out Vector128<float> r2, out Vector128<float> r3, out Vector128<float> r4, out Vector128<float> r5) =>
        Transform43<Vector128<float>, Lanes128>(d0, d1, d2, d3, d4, d5, out r0, out r1, out r2, out r3, out r4, out r5);

    // Aᵀ applied to six vectors (Output43's operations at 128 bits).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Output43x128(
        Vector128<float> m0, Vector128<float> m1, Vector128<float> m2, Vector128<float> m3, Vector128<float> m4, Vector128<float> m5,
        out Vector128<float> y0, out Vector128<float> y1, out Vector128<float> y2, out Vector128<float> y3) =>
        Output43<Vector128<float>, Lanes128>(m0, m1, m2, m3, m4, m5, out y0, out y1, out y2, out y3);
}
