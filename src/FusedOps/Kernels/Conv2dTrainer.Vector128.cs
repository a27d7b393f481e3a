using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>The training forward's crop at 128 bits (SSE, AdvSimd; <see cref="KernelDispatch.RuntimeBits"/> 128) and the input's row copy on ARM64.</content>
public sealed partial class Conv2dTrainer
{
    /// <summary>
    /// <see cref="CropForward256"/> at 128 bits: each 8-lane step as its two 4-lane halves, every lane's running sums the 8-lane
    /// loop's (lanes 0–3 and 4–7 in their own vectors), the scalar tail as its, and the lanes added across as
    /// <c>Vector256.Sum</c> adds them on x64 (each half across, then the halves): the 256-bit path's bits. Two channels at a time,
    /// so the tails' scalar chains of the two overlap.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CropForward128(ref float grid, int planeStride, int rowStride, ref float output, Span<double> sums, int rows, int width, int oc, float[]? bias)
    {
        int plane = rows * width;
        for (int o = 0; o < oc; o += 2)
        {
            int o1 = Math.Min(o + 1, oc - 1);
            float b0 = bias is null ? 0f : bias[o], b1 = bias is null ? 0f : bias[o1];
            Vector128<float> vb0 = Vector128.Create(b0), vb1 = Vector128.Create(b1);
            var first = new LaneSums128();
            var second = new LaneSums128();
            float a0 = 0f, q0 = 0f, a1 = 0f, q1 = 0f;
            for (int oy = 0; oy < rows; oy++)
            {
                ref float src0 = ref Unsafe.Add(ref grid, (o * planeStride) + (oy * rowStride));
                ref float src1 = ref Unsafe.Add(ref grid, (o1 * planeStride) + (oy * rowStride));
                ref float dst0 = ref Unsafe.Add(ref output, (o * plane) + (oy * width));
                ref float dst1 = ref Unsafe.Add(ref output, (o1 * plane) + (oy * width));
                int i = 0;
                for (; i <= width - 8; i += 8)
                {
                    first.Add(ref src0, ref dst0, i, vb0);
                    second.Add(ref src1, ref dst1, i, vb1);
                }

                for (; i < width; i++)
                {
                    float v0 = Unsafe.Add(ref src0, i), v1 = Unsafe.Add(ref src1, i);
                    a0 += v0;
                    q0 += v0 * v0;
                    a1 += v1;
                    q1 += v1 * v1;
                    Unsafe.Add(ref dst0, i) = v0 + b0;
                    Unsafe.Add(ref dst1, i) = v1 + b1;
                }
            }

            sums[o] += first.Sum + (double)a0;
            sums[oc + o] += first.Squares + (double)q0;
            if (o1 != o)
            {
                sums[o1] += second.Sum + (double)a1;
                sums[oc + o1] += second.Squares + (double)q1;
            }
        }
    }

    // w ≥ 4 floats from source to destination, 4 at a time, the last 4 overlapping (PadInput's rows where Vector256 is not accelerated).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow128(ref float source, ref float destination, int w)
    {
        int i = 0;
        for (; i <= w - 4; i += 4)
        {
            Vector128.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref destination, (nuint)i);
        }

        if (i < w)
        {
            Vector128.LoadUnsafe(ref source, (nuint)(w - 4)).StoreUnsafe(ref destination, (nuint)(w - 4));
        }
    }

    // One channel's 8-lane running sums Σ v and Σ v² as two 4-lane halves each.
    private struct LaneSums128
    {
        private Vector128<float> _aLow;
        private Vector128<float> _aHigh;
        private Vector128<float> _qLow;
        private Vector128<float> _qHigh;

        public readonly float Sum => Vector128.Sum(_aLow) + Vector128.Sum(_aHigh);

        public readonly float Squares => Vector128.Sum(_qLow) + Vector128.Sum(_qHigh);

        // Values i … i + 7 of the row: summed, squared and summed, stored with the bias added.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(ref float source, ref float destination, int i, Vector128<float> bias)
        {
            Vector128<float> lo = Vector128.LoadUnsafe(ref source, (nuint)i), hi = Vector128.LoadUnsafe(ref source, (nuint)(i + 4));
            _aLow += lo;
            _qLow += lo * lo;
            _aHigh += hi;
            _qHigh += hi * hi;
            (lo + bias).StoreUnsafe(ref destination, (nuint)i);
            (hi + bias).StoreUnsafe(ref destination, (nuint)(i + 4));
        }
    }
}
