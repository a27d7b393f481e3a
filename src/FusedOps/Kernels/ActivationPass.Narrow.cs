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
        Vector128<float> vs = Vector128.Create(s), vt = Vector128.Create(t);
        var sums = new NormSums128(mu, inv);
        for (; i <= spatial - 4; i += 4)
        {
            Vector128<float> zv = Vector128.LoadUnsafe(ref z, (nuint)(o + i));
            Vector128<float> g = act.Backward(Vector128.LoadUnsafe(ref dy, (nuint)(o + i)), (zv * vs) + vt);
            if (store)
            {
                g.StoreUnsafe(ref du, (nuint)(o + i));
            }

            sums.Add(g, zv);
        }

        (a, b) = sums.Totals;
    }
}

/// <summary>
/// BatchNorm's backward sums Σ g and Σ g·x̂ (x̂ = (z − mean)·invStd, formed in float as the scalar loops form it) at 128 bits: each
/// term widened to double, 4 lanes in two accumulators of 2 per sum, added across once at the end. The order every 128-bit plane
/// sum takes (<see cref="ActivationPass"/>'s BackwardReduce, <see cref="TrainingPasses"/>' fused AddBackwardReduce, its recomputed
/// residual sums and its pooled-mask sums), so passes that replace one another give the same bits.
/// </summary>
internal struct NormSums128
{
    private readonly Vector128<float> _mean;
    private readonly Vector128<float> _invStd;
    private Vector128<double> _a0;
    private Vector128<double> _a1;
    private Vector128<double> _b0;
    private Vector128<double> _b1;

    /// <summary>Empty sums for a channel of this mean and inverse deviation.</summary>
    public NormSums128(float mean, float invStd)
    {
        _mean = Vector128.Create(mean);
        _invStd = Vector128.Create(invStd);
    }

    /// <summary>Σ g and Σ g·x̂ so far, each across its lanes.</summary>
    public readonly (double Sum, double Products) Totals => (Vector128.Sum(_a0 + _a1), Vector128.Sum(_b0 + _b1));

    /// <summary>Adds 4 gradients <paramref name="g"/> at the pre-normalisation values <paramref name="z"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(Vector128<float> g, Vector128<float> z)
    {
        (Vector128<double> gl, Vector128<double> gh) = Vector128.Widen(g);
        (Vector128<double> xl, Vector128<double> xh) = Vector128.Widen((z - _mean) * _invStd);
        _a0 += gl;
        _a1 += gh;
        _b0 += gl * xl;
        _b1 += gh * xh;
    }
}
