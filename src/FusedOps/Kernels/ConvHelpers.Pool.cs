using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// Pool panels of the generated convolutions with a non-overlapping 2×2 pool in their epilogue: a panel holds
/// output rows 2·po and 2·po + 1, 16 pixels of each (columns 16·s …), lanes 0–15 and 16–31, so the register
/// block pools 8 outputs from its two row halves.
/// </summary>
public static partial class ConvHelpers
{
    /// <summary>Pooled outputs per pool panel.</summary>
    public const int PoolPanelOutputs = 8;

    /// <summary>
    /// For each lane of each pool panel (pooled row po, segment s), the offset of its receptive field's origin in the
    /// padded input, or −1 where the pixel is past the pooled columns (PyTorch's floor drops an odd last row and column).
    /// </summary>
    public static int[] PoolPixelOffsets(int outHeight, int outWidth, int stride, int paddedWidth)
    {
        int poolRows = outHeight / 2, poolCols = outWidth / 2;
        int segments = (poolCols + PoolPanelOutputs - 1) / PoolPanelOutputs;
        var offsets = new int[poolRows * segments * PanelWidth];
        for (int pb = 0; pb < poolRows * segments; pb++)
        {
            int po = pb / segments, s = pb % segments;
            for (int lane = 0; lane < PanelWidth; lane++)
            {
                int oh = (2 * po) + (lane / 16), ow = (s * 16) + (lane % 16);
                offsets[(pb * PanelWidth) + lane] = ow < 2 * poolCols ? (oh * stride * paddedWidth) + (ow * stride) : -1;
            }
        }

        return offsets;
    }

    /// <summary>
    /// For each pool panel whose two rows are 16 consecutive input positions each (stride 1, a whole segment), the distance
    /// from the first row to the second, so the kernel reads the input in place; −1 where the panel must be gathered.
    /// </summary>
    public static int[] PoolPanelSteps(int[] pixelOffsets)
    {
        var steps = new int[pixelOffsets.Length / PanelWidth];
        for (int pb = 0; pb < steps.Length; pb++)
        {
            int o = pb * PanelWidth;
            bool runs = pixelOffsets[o] >= 0 && pixelOffsets[o + 16] >= 0;
            for (int lane = 1; lane < 16 && runs; lane++)
            {
                runs = pixelOffsets[o + lane] == pixelOffsets[o] + lane && pixelOffsets[o + 16 + lane] == pixelOffsets[o + 16] + lane;
            }

            steps[pb] = runs ? pixelOffsets[o + 16] - pixelOffsets[o] : -1;
        }

        return steps;
    }

    /// <summary>Gathers pool panel <paramref name="pb"/>: <c>panel[k·32 + c] = input[taps[k] + pixels[pb·32 + c]]</c>, zero where the pixel is −1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackSparsePanel(ref float input, int[] taps, int[] pixels, int pb, ref float panel)
    {
        ref int pixel = ref pixels[pb * PanelWidth];
        ref int tapRef = ref MemoryMarshal.GetArrayDataReference(taps);
        for (int k = 0; k < taps.Length; k++)
        {
            ref float tap = ref Unsafe.Add(ref input, Unsafe.Add(ref tapRef, k));
            ref float row = ref Unsafe.Add(ref panel, k * PanelWidth);
            for (int c = 0; c < PanelWidth; c++)
            {
                int offset = Unsafe.Add(ref pixel, c);
                Unsafe.Add(ref row, c) = offset >= 0 ? Unsafe.Add(ref tap, offset) : 0f;
            }
        }
    }

    /// <summary>PyTorch's max-pool choice between an earlier <paramref name="a"/> and a later <paramref name="b"/>: b when greater or NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float PoolMax(float a, float b) => b > a || float.IsNaN(b) ? b : a;

    /// <summary><see cref="PoolMax(float, float)"/> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> PoolMax(Vector512<float> a, Vector512<float> b) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(b, a) | ~Vector512.Equals(b, b), b, a);

    /// <summary><see cref="PoolMax(float, float)"/> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> PoolMax(Vector256<float> a, Vector256<float> b) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(b, a) | ~Vector256.Equals(b, b), b, a);

    /// <summary><see cref="PoolMax(float, float)"/> per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> PoolMax(Vector128<float> a, Vector128<float> b) =>
        Vector128.ConditionalSelect(Vector128.GreaterThan(b, a) | ~Vector128.Equals(b, b), b, a);

    /// <summary>The 16 lanes of <paramref name="v"/> as pairs (2j, 2j + 1) reduced to 8: the pool's horizontal step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> PairMax(Vector512<float> v)
    {
        Vector512<float> e = Vector512.Shuffle(v, Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15));
        return PoolMax(e.GetLower(), e.GetUpper());
    }

    /// <summary>The 16 lanes of <paramref name="v"/> as pairs summed to 8, times <paramref name="scale"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> PairSum(Vector512<float> v, float scale)
    {
        Vector512<float> e = Vector512.Shuffle(v, Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15));
        return (e.GetLower() + e.GetUpper()) * scale;
    }

    /// <summary>The 8 lanes of <paramref name="v"/> as pairs reduced to 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> PairMax(Vector256<float> v)
    {
        Vector256<float> e = Vector256.Shuffle(v, Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7));
        return PoolMax(e.GetLower(), e.GetUpper());
    }

    /// <summary>The 8 lanes of <paramref name="v"/> as pairs summed to 4, times <paramref name="scale"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> PairSum(Vector256<float> v, float scale)
    {
        Vector256<float> e = Vector256.Shuffle(v, Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7));
        return (e.GetLower() + e.GetUpper()) * scale;
    }

    /// <summary>
    /// The 8 lanes of <paramref name="lo"/> then <paramref name="hi"/> as pairs reduced to 4: <see cref="PairMax(Vector256{float})"/>
    /// on two Vector128 halves (SSE's shuffle, AdvSimd's unzip), the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> PairMax(Vector128<float> lo, Vector128<float> hi)
    {
        (Vector128<float> even, Vector128<float> odd) = Unzip(lo, hi);
        return PoolMax(even, odd);
    }

    /// <summary>The 8 lanes of <paramref name="lo"/> then <paramref name="hi"/> as pairs summed to 4, times <paramref name="scale"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> PairSum(Vector128<float> lo, Vector128<float> hi, float scale)
    {
        (Vector128<float> even, Vector128<float> odd) = Unzip(lo, hi);
        return (even + odd) * scale;
    }

    // Lanes 0, 2, 4, 6 and 1, 3, 5, 7 of the 8 lanes of lo then hi.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector128<float> Even, Vector128<float> Odd) Unzip(Vector128<float> lo, Vector128<float> hi)
    {
        if (Sse.IsSupported)
        {
            return (Sse.Shuffle(lo, hi, 0b10_00_10_00), Sse.Shuffle(lo, hi, 0b11_01_11_01));
        }

        if (AdvSimd.Arm64.IsSupported)
        {
            return (AdvSimd.Arm64.UnzipEven(lo, hi), AdvSimd.Arm64.UnzipOdd(lo, hi));
        }

        return (Vector128.Create(lo.GetElement(0), lo.GetElement(2), hi.GetElement(0), hi.GetElement(2)),
            Vector128.Create(lo.GetElement(1), lo.GetElement(3), hi.GetElement(1), hi.GetElement(3)));
    }
}
