using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>MaxPool2d(2) forward, 8 outputs at a time: the scalar loop's data-dependent branches cost more than the rest of a training step's pooling.</content>
public static partial class Pooling
{
    // Whether the 2 × 2 paths run: 8 windows a step with AVX2 (Level ≥ 1), 4 at 128 bits (SSE, AdvSimd).
    private static bool Vector2x2 => (KernelDispatch.Level >= 1 && Avx2.IsSupported) || KernelDispatch.RuntimeBits == 128;

    // Whether the 2 × 2 paths take 8 windows a step (AVX2's lane-crossing permutes) before their 4-wide steps.
    private static bool Wide2x2 => KernelDispatch.Level >= 1 && Avx2.IsSupported;

    /// <summary>
    /// <see cref="MaxForward"/> for a 2×2 window, stride 2, no padding (AVX2, or 4 windows a step at 128 bits): the same comparisons
    /// in the same order (top-left, top-right, bottom-left, bottom-right; a later element wins when greater or NaN), as vector selects.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxForward2x2(ref float x, ref float y, ref int argMax, int planes, Window g, bool save)
    {
        Vector256<int> lanes = Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
        int wide = Wide2x2 ? 8 : int.MaxValue;
        for (int plane = 0; plane < planes; plane++)
        {
            ref float xp = ref Unsafe.Add(ref x, plane * g.InPlane);
            int o = plane * g.OutPlane;
            for (int oh = 0; oh < g.OutH; oh++)
            {
                int top = 2 * oh * g.W;
                ref float r0 = ref Unsafe.Add(ref xp, top);
                ref float r1 = ref Unsafe.Add(ref r0, g.W);
                int ow = 0;
                for (; ow <= g.OutW - wide; ow += 8, o += 8)
                {
                    (Vector256<float> a, Vector256<float> b) = Split(ref Unsafe.Add(ref r0, 2 * ow));
                    (Vector256<float> c, Vector256<float> d) = Split(ref Unsafe.Add(ref r1, 2 * ow));
                    Vector256<int> first = Vector256.Create(top + (2 * ow)) + lanes, at = first;
                    Vector256<float> max = a;
                    Take(ref max, ref at, b, first + Vector256.Create(1));
                    Take(ref max, ref at, c, first + Vector256.Create(g.W));
                    Take(ref max, ref at, d, first + Vector256.Create(g.W + 1));
                    max.StoreUnsafe(ref Unsafe.Add(ref y, o));
                    if (save)
                    {
                        at.StoreUnsafe(ref Unsafe.Add(ref argMax, o));
                    }
                }

                // Planes 14 wide (7 outputs): 4 more at a time, and the last ones as the row's last 4 (overlapping
                // outputs are computed twice, the same way): the scalar tail's data-dependent branches cost more.
                for (; ow <= g.OutW - 4; ow += 4, o += 4)
                {
                    Max4(ref r0, ref r1, top, ow, g.W, ref Unsafe.Add(ref y, o), ref Unsafe.Add(ref argMax, o), save);
                }

                if (ow < g.OutW && g.OutW >= 4)
                {
                    int back = ow - (g.OutW - 4);
                    Max4(ref r0, ref r1, top, g.OutW - 4, g.W, ref Unsafe.Add(ref y, o - back), ref Unsafe.Add(ref argMax, o - back), save);
                    (o, ow) = (o + g.OutW - ow, g.OutW);
                }

                for (; ow < g.OutW; ow++, o++)
                {
                    int first = top + (2 * ow), at = first;
                    float max = Unsafe.Add(ref xp, first);
                    TakeScalar(ref xp, ref max, ref at, first + 1);
                    TakeScalar(ref xp, ref max, ref at, first + g.W);
                    TakeScalar(ref xp, ref max, ref at, first + g.W + 1);

                    Unsafe.Add(ref y, o) = max;
                    if (save)
                    {
                        Unsafe.Add(ref argMax, o) = at;
                    }
                }
            }
        }
    }

    /// <summary>
    /// <see cref="MaxBackward"/> for 2×2 windows, stride 2, that tile the plane: every input is in one window, so each window's four
    /// gradients are written at once (dy at the arg-max, 0 elsewhere) instead of clearing dx and scattering into it. Each value is
    /// 0 + dy or 0, as the scatter adds it (a −0 gradient becomes +0 either way).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxBackward2x2(ref float dy, ref int argMax, ref float dx, int planes, Window g)
    {
        int wide = Wide2x2 ? 8 : int.MaxValue;
        for (int plane = 0; plane < planes; plane++)
        {
            ref float dxp = ref Unsafe.Add(ref dx, plane * g.InPlane);
            int o = plane * g.OutPlane;
            for (int oh = 0; oh < g.OutH; oh++, o += g.OutW)
            {
                int top = 2 * oh * g.W;
                ref float r0 = ref Unsafe.Add(ref dxp, top);
                int ow = 0;
                for (; ow <= g.OutW - wide; ow += 8)
                {
                    Spread8(ref Unsafe.Add(ref dy, o + ow), ref Unsafe.Add(ref argMax, o + ow), top + (2 * ow), g.W, ref Unsafe.Add(ref r0, 2 * ow));
                }

                for (; ow <= g.OutW - 4; ow += 4)
                {
                    Spread4(ref Unsafe.Add(ref dy, o + ow), ref Unsafe.Add(ref argMax, o + ow), top + (2 * ow), g.W, ref Unsafe.Add(ref r0, 2 * ow));
                }

                if (ow < g.OutW)
                {
                    // The row's last 4 windows again (the overlap is written twice with the same values).
                    ow = g.OutW - 4;
                    Spread4(ref Unsafe.Add(ref dy, o + ow), ref Unsafe.Add(ref argMax, o + ow), top + (2 * ow), g.W, ref Unsafe.Add(ref r0, 2 * ow));
                }
            }
        }
    }

    // Eight windows' gradients: window j's first element is at index first + 2j of the plane, written at row[2j].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Spread8(ref float dy, ref int argMax, int first, int w, ref float row)
    {
        Vector256<float> d = Vector256.LoadUnsafe(ref dy);
        Vector256<int> k = Vector256.LoadUnsafe(ref argMax) - (Vector256.Create(first) + Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14));
        Vector256<float> zero = Vector256<float>.Zero;
        Vector256<float> a = Vector256.ConditionalSelect(Vector256.Equals(k, Vector256<int>.Zero).AsSingle(), d, zero) + zero;
        Vector256<float> b = Vector256.ConditionalSelect(Vector256.Equals(k, Vector256.Create(1)).AsSingle(), d, zero) + zero;
        Vector256<float> c = Vector256.ConditionalSelect(Vector256.Equals(k, Vector256.Create(w)).AsSingle(), d, zero) + zero;
        Vector256<float> e = Vector256.ConditionalSelect(Vector256.Equals(k, Vector256.Create(w + 1)).AsSingle(), d, zero) + zero;
        Interleave(a, b, ref row);
        Interleave(c, e, ref Unsafe.Add(ref row, w));
    }

    // 16 floats a0 b0 a1 b1 … a7 b7 to row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(Vector256<float> a, Vector256<float> b, ref float row)
    {
        Vector256<float> low = Avx.UnpackLow(a, b), high = Avx.UnpackHigh(a, b);
        Avx.Permute2x128(low, high, 0x20).StoreUnsafe(ref row);
        Avx.Permute2x128(low, high, 0x31).StoreUnsafe(ref row, 8);
    }

    // Four windows' gradients, as Spread8.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Spread4(ref float dy, ref int argMax, int first, int w, ref float row)
    {
        Vector128<float> d = Vector128.LoadUnsafe(ref dy);
        Vector128<int> k = Vector128.LoadUnsafe(ref argMax) - (Vector128.Create(first) + Vector128.Create(0, 2, 4, 6));
        Vector128<float> zero = Vector128<float>.Zero;
        Vector128<float> a = Vector128.ConditionalSelect(Vector128.Equals(k, Vector128<int>.Zero).AsSingle(), d, zero) + zero;
        Vector128<float> b = Vector128.ConditionalSelect(Vector128.Equals(k, Vector128.Create(1)).AsSingle(), d, zero) + zero;
        Vector128<float> c = Vector128.ConditionalSelect(Vector128.Equals(k, Vector128.Create(w)).AsSingle(), d, zero) + zero;
        Vector128<float> e = Vector128.ConditionalSelect(Vector128.Equals(k, Vector128.Create(w + 1)).AsSingle(), d, zero) + zero;
        Interleave(a, b, ref row);
        Interleave(c, e, ref Unsafe.Add(ref row, w));
    }

    // 8 floats a0 b0 a1 b1 a2 b2 a3 b3 to row (SSE's unpack, AdvSimd's zip).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(Vector128<float> a, Vector128<float> b, ref float row)
    {
        if (Sse.IsSupported)
        {
            Sse.UnpackLow(a, b).StoreUnsafe(ref row);
            Sse.UnpackHigh(a, b).StoreUnsafe(ref row, 4);
        }
        else if (AdvSimd.Arm64.IsSupported)
        {
            AdvSimd.Arm64.ZipLow(a, b).StoreUnsafe(ref row);
            AdvSimd.Arm64.ZipHigh(a, b).StoreUnsafe(ref row, 4);
        }
        else
        {
            Vector128.Create(a.GetElement(0), b.GetElement(0), a.GetElement(1), b.GetElement(1)).StoreUnsafe(ref row);
            Vector128.Create(a.GetElement(2), b.GetElement(2), a.GetElement(3), b.GetElement(3)).StoreUnsafe(ref row, 4);
        }
    }

    // Four outputs at column ow of the output row whose window rows are r0 and r1 (r0 at index top of its plane).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Max4(ref float r0, ref float r1, int top, int ow, int w, ref float y, ref int argMax, bool save)
    {
        (Vector128<float> a, Vector128<float> b) = Split128(ref Unsafe.Add(ref r0, 2 * ow));
        (Vector128<float> c, Vector128<float> d) = Split128(ref Unsafe.Add(ref r1, 2 * ow));
        Vector128<int> first = Vector128.Create(top + (2 * ow)) + Vector128.Create(0, 2, 4, 6), at = first;
        Vector128<float> max = a;
        Take(ref max, ref at, b, first + Vector128.Create(1));
        Take(ref max, ref at, c, first + Vector128.Create(w));
        Take(ref max, ref at, d, first + Vector128.Create(w + 1));
        max.StoreUnsafe(ref y);
        if (save)
        {
            at.StoreUnsafe(ref argMax);
        }
    }

    // 16 consecutive floats as their 8 even and 8 odd elements, in order.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> Even, Vector256<float> Odd) Split(ref float source)
    {
        Vector256<float> lo = Vector256.LoadUnsafe(ref source), hi = Vector256.LoadUnsafe(ref source, 8);
        Vector256<float> even = Avx.Shuffle(lo, hi, 0b10_00_10_00), odd = Avx.Shuffle(lo, hi, 0b11_01_11_01);
        return (Avx2.Permute4x64(even.AsDouble(), 0b11_01_10_00).AsSingle(), Avx2.Permute4x64(odd.AsDouble(), 0b11_01_10_00).AsSingle());
    }

    // 8 consecutive floats as their 4 even and 4 odd elements (SSE's shuffle, AdvSimd's unzip).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector128<float> Even, Vector128<float> Odd) Split128(ref float source) =>
        ConvHelpers.Unzip(Vector128.LoadUnsafe(ref source), Vector128.LoadUnsafe(ref source, 4));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref Vector128<float> max, ref Vector128<int> at, Vector128<float> v, Vector128<int> index)
    {
        Vector128<float> wins = Vector128.GreaterThan(v, max) | ~Vector128.Equals(v, v);
        max = Vector128.ConditionalSelect(wins, v, max);
        at = Vector128.ConditionalSelect(wins.AsInt32(), index, at);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(ref Vector256<float> max, ref Vector256<int> at, Vector256<float> v, Vector256<int> index)
    {
        Vector256<float> wins = Vector256.GreaterThan(v, max) | ~Vector256.Equals(v, v);
        max = Vector256.ConditionalSelect(wins, v, max);
        at = Vector256.ConditionalSelect(wins.AsInt32(), index, at);
    }

    private static void TakeScalar(ref float plane, ref float max, ref int at, int index)
    {
        float v = Unsafe.Add(ref plane, index);
        if (v > max || float.IsNaN(v))
        {
            (max, at) = (v, index);
        }
    }
}
