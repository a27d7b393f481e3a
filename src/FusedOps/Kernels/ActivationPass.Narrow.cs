using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// The 128-bit steps (SSE, AdvSimd; <see cref="KernelDispatch.RuntimeBits"/> 128) of the passes that otherwise take 512- and
/// 256-bit ones: the 256-bit loop's arithmetic on 4 lanes, its sums in 4 lanes added across once per plane.
/// </content>
public static partial class ActivationPass
{
    // BackwardReduce's spatial loop on one plane (values o … o + spatial − 1) at 128 bits, from i on: du stored where wanted, Σ du and
    // Σ du·x̂ in 4 lanes each, returned in a and b; i is left at the first value the scalar tail takes.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardReduce128<TAct>(
        TAct act, ref float dy, ref float z, ref float du, bool store, int o, int spatial, float s, float t, float mu, float inv, ref int i, out double a, out double b)
        where TAct : struct, IActivationOperator
    {
        Vector128<float> vs = Vector128.Create(s), vt = Vector128.Create(t), vmu = Vector128.Create(mu), vinv = Vector128.Create(inv);
        Vector128<float> va = Vector128<float>.Zero, vb = Vector128<float>.Zero;
        for (; i <= spatial - 4; i += 4)
        {
            Vector128<float> zv = Vector128.LoadUnsafe(ref z, (nuint)(o + i));
            Vector128<float> g = act.Backward(Vector128.LoadUnsafe(ref dy, (nuint)(o + i)), (zv * vs) + vt);
            if (store)
            {
                g.StoreUnsafe(ref du, (nuint)(o + i));
            }

            va += g;
            vb += g * ((zv - vmu) * vinv);
        }

        a = Vector128.Sum(va);
        b = Vector128.Sum(vb);
    }
}
