using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// The 128-bit steps (SSE, AdvSimd; <see cref="KernelDispatch.RuntimeBits"/> 128) of the passes that otherwise take 512- and
/// 256-bit ones: the scalar loop's arithmetic on 4 lanes, its sums' terms formed in double as the scalar loop forms them and added
/// in 4 double lanes (two vectors of 2), across once per plane.
/// </content>
public static partial class ActivationPass
{
    // BackwardReduce's spatial loop on one plane (values o … o + spatial − 1) at 128 bits, from i on: du stored where wanted, Σ du and
    // Σ du·x̂ in double lanes, returned in a and b; i is left at the first value the scalar tail takes. The sums before a BatchNorm
    // are near zero (its mean removed), so float lanes lost the digits the scalar loop's double sums keep.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardReduce128<TAct>(
        TAct act, ref float dy, ref float z, ref float du, bool store, int o, int spatial, float s, float t, float mu, float inv, ref int i, out double a, out double b)
        where TAct : struct, IActivationOperator
    {
        Vector128<float> vs = Vector128.Create(s), vt = Vector128.Create(t), vmu = Vector128.Create(mu), vinv = Vector128.Create(inv);
        Vector128<double> a0 = Vector128<double>.Zero, a1 = Vector128<double>.Zero, b0 = Vector128<double>.Zero, b1 = Vector128<double>.Zero;
        for (; i <= spatial - 4; i += 4)
        {
            Vector128<float> zv = Vector128.LoadUnsafe(ref z, (nuint)(o + i));
            Vector128<float> g = act.Backward(Vector128.LoadUnsafe(ref dy, (nuint)(o + i)), (zv * vs) + vt);
            if (store)
            {
                g.StoreUnsafe(ref du, (nuint)(o + i));
            }

            (Vector128<double> gl, Vector128<double> gh) = Vector128.Widen(g);
            (Vector128<double> xl, Vector128<double> xh) = Vector128.Widen((zv - vmu) * vinv);
            a0 += gl;
            a1 += gh;
            b0 += gl * xl;
            b1 += gh * xh;
        }

        a = Vector128.Sum(a0 + a1);
        b = Vector128.Sum(b0 + b1);
    }
}
