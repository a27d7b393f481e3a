using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// <see cref="CloseWeightGradient"/>: a part's lane sums into dW. The lanes of one tap are a step of the packed layout (every
/// channel side by side), dW is channel-major, so the close is a taps × lanes transpose; read a float at a time it touched a
/// new cache line per value (a step apart) and cost 0.04 ms per part on cases B and C. Blocks of 8 taps × 8 lanes now go through
/// the AVX transpose of <see cref="Transpose8"/>, a channel's lanes are added in lane order as whole vectors of 8 taps, and the sum
/// is added to 8 consecutive weights: the same additions in the same order, so the same bits.
/// </content>
public static partial class ShiftedConv
{
    /// <summary>
    /// <c>dw[r·lddw + t] += Σ_k sums[(b·taps + t)·Columns + i·Group + k]</c> (r = b·Channels + i, k in order) for r &lt; Rows,
    /// t &lt; <paramref name="taps"/>: closes what <see cref="WeightGradient"/> summed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CloseWeightGradient(in WeightGradientLayout layout, ref float sums, int taps, ref float dw, int lddw)
    {
        int group = layout.Group, channels = layout.Channels, columns = layout.Columns;
        // 8 lanes of a tap are 8 / group whole channels (group 1, 2, 4 or 8).
        int perBlock = 8 / group, blockTaps = Avx.IsSupported && group <= 8 ? taps / 8 * 8 : 0;
        for (int b = 0; b < layout.Blocks; b++)
        {
            int valid = Math.Min(channels, layout.Rows - (b * channels)), blockChannels = blockTaps == 0 ? 0 : valid / perBlock * perBlock;
            ref float block = ref Unsafe.Add(ref sums, b * taps * columns);
            for (int i = 0; i < blockChannels; i += perBlock)
            {
                ref float dst = ref Unsafe.Add(ref dw, ((b * channels) + i) * lddw);
                for (int t = 0; t < blockTaps; t += 8)
                {
                    CloseBlock(ref Unsafe.Add(ref block, (t * columns) + (i * group)), columns, group, ref Unsafe.Add(ref dst, t), lddw);
                }

                CloseScalar(ref block, columns, group, i, i + perBlock, blockTaps, taps, ref Unsafe.Add(ref dw, b * channels * lddw), lddw);
            }

            CloseScalar(ref block, columns, group, blockChannels, valid, 0, taps, ref Unsafe.Add(ref dw, b * channels * lddw), lddw);
        }
    }

    // Channels [i0, i1) of a block, taps [t0, t1), a value at a time.
    private static void CloseScalar(ref float block, int columns, int group, int i0, int i1, int t0, int t1, ref float dw, int lddw)
    {
        for (int i = i0; i < i1; i++)
        {
            ref float lanes = ref Unsafe.Add(ref block, i * group);
            ref float dst = ref Unsafe.Add(ref dw, i * lddw);
            for (int t = t0; t < t1; t++)
            {
                ref float l = ref Unsafe.Add(ref lanes, t * columns);
                float a = l;
                for (int k = 1; k < group; k++)
                {
                    a += Unsafe.Add(ref l, k);
                }

                Unsafe.Add(ref dst, t) += a;
            }
        }
    }

    // 8 taps (rows of src, `columns` apart) × 8 lanes: after the transpose, vector j holds lane j of the 8 taps, and the
    // group's lanes of each channel are added in order into its 8 consecutive weights (channel q at dst + q·lddw).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CloseBlock(ref float src, int columns, int group, ref float dst, int lddw)
    {
        Vector256<float> r0 = Vector256.LoadUnsafe(ref src), r1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, columns));
        Vector256<float> r2 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 2 * columns)), r3 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 3 * columns));
        Vector256<float> r4 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 4 * columns)), r5 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 5 * columns));
        Vector256<float> r6 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 6 * columns)), r7 = Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 7 * columns));
        Transpose8(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        switch (group)
        {
            case 1:
                AddTo(ref dst, lddw, 0, r0);
                AddTo(ref dst, lddw, 1, r1);
                AddTo(ref dst, lddw, 2, r2);
                AddTo(ref dst, lddw, 3, r3);
                AddTo(ref dst, lddw, 4, r4);
                AddTo(ref dst, lddw, 5, r5);
                AddTo(ref dst, lddw, 6, r6);
                AddTo(ref dst, lddw, 7, r7);
                break;
            case 2:
                AddTo(ref dst, lddw, 0, r0 + r1);
                AddTo(ref dst, lddw, 1, r2 + r3);
                AddTo(ref dst, lddw, 2, r4 + r5);
                AddTo(ref dst, lddw, 3, r6 + r7);
                break;
            case 4:
                AddTo(ref dst, lddw, 0, r0 + r1 + r2 + r3);
                AddTo(ref dst, lddw, 1, r4 + r5 + r6 + r7);
                break;
            default:
                AddTo(ref dst, lddw, 0, r0 + r1 + r2 + r3 + r4 + r5 + r6 + r7);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo(ref float dst, int lddw, int channel, Vector256<float> sum)
    {
        ref float d = ref Unsafe.Add(ref dst, channel * lddw);
        (Vector256.LoadUnsafe(ref d) + sum).StoreUnsafe(ref d);
    }
}
