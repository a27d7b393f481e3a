using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>
/// The algorithms behind <see cref="VectorMath"/>, each written once over <see cref="ILanes{TVec}"/>.
/// Every branch of a piecewise function is computed and the lanes are selected, so there are no
/// data-dependent branches; special values (NaN, ±∞, −0) are repaired by a final select where the
/// arithmetic would not already give PyTorch's answer.
/// </summary>
public static partial class VectorMath
{
    /// <summary>The bits of √½ (0x3F3504F3), the lower end of log's reduced interval.</summary>
    internal const int SqrtHalfBits = 0x3F3504F3;

    // 1.5·2²³: adding it rounds a float below 2²² to an integer (round to nearest even).
    private const float RoundingMagic = 12582912f;
    private const float Log2E = 1.44269504f;

    // ln 2 in two parts (Cephes): n·Ln2Hi is exact for |n| < 2¹⁵.
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;

    /// <summary>
    /// Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, and q = eʳ − 1 by Cephes' expf polynomial.
    /// x must already be clamped to [−104, 89] so that n stays in [−150, 128].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec ExpReduce<TVec, L>(TVec x, out TVec n)
        where TVec : struct
        where L : ILanes<TVec>
    {
        n = L.Subtract(L.Fma(x, L.Create(Log2E), L.Create(RoundingMagic)), L.Create(RoundingMagic));
        TVec r = L.Fma(n, L.Create(-Ln2Hi), x);
        r = L.Fma(n, L.Create(-Ln2Lo), r);
        TVec p = L.Fma(L.Create(1.9875691500e-4f), r, L.Create(1.3981999507e-3f));
        p = L.Fma(p, r, L.Create(8.3334519073e-3f));
        p = L.Fma(p, r, L.Create(4.1665795894e-2f));
        p = L.Fma(p, r, L.Create(1.6666665459e-1f));
        p = L.Fma(p, r, L.Create(5.0000001201e-1f));
        return L.Fma(p, L.Multiply(r, r), r);
    }

    /// <summary>eˣ without the NaN repair, for callers whose argument is never NaN or who repair it themselves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec ExpUnchecked<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        // Below −104 the result is 0 and above 89 it is +∞ whatever n, so clamping changes nothing
        // but keeps 2ⁿ representable as two normal factors.
        TVec xc = L.Min(L.Max(x, L.Create(-104f)), L.Create(89f));
        TVec q = ExpReduce<TVec, L>(xc, out TVec n);
        return L.ScaleByPowerOfTwo(L.Add(q, L.Create(1f)), n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Exp<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
        => KeepNaN<TVec, L>(x, ExpUnchecked<TVec, L>(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Expm1<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec xc = L.Min(L.Max(x, L.Create(-104f)), L.Create(89f));
        TVec q = ExpReduce<TVec, L>(xc, out TVec n);

        // eˣ − 1 = 2ⁿ·q + (2ⁿ − 1) = 2·(h·q + (h − ½)) with h = 2ⁿ⁻¹: h − ½ is exact and h stays
        // finite at n = 128, so the only rounding is the FMA's and overflow happens in the last ×2.
        TVec h = L.ScaleByPowerOfTwo(L.Create(0.5f), n);
        TVec y = L.Multiply(L.Fma(h, q, L.Subtract(h, L.Create(0.5f))), L.Create(2f));
        return L.Select(L.Equal(x, L.Create(0f)), x, KeepNaN<TVec, L>(x, y));
    }

    /// <summary>log(1 + x) as musl's log1pf: u = 1 + x, log u by atanh series, plus the rounding error of u over u.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Log1P<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec one = L.Create(1f);
        TVec u = L.Add(one, x);
        TVec f = L.Subtract(L.SplitExponent(u, out TVec k), one);

        // c = (x − (u − 1))/u: the part of x that 1 + x lost; Fast2Sum needs the larger operand first.
        TVec c = L.Select(L.GreaterThanOrEqual(k, L.Create(2f)), L.Subtract(one, L.Subtract(u, x)), L.Subtract(x, L.Subtract(u, one)));
        c = L.Divide(c, u);

        TVec s = L.Divide(f, L.Add(L.Create(2f), f));
        TVec z = L.Multiply(s, s);
        TVec w = L.Multiply(z, z);
        TVec t1 = L.Multiply(w, L.Fma(w, L.Create(0.24279078841f), L.Create(0.40000972152f)));
        TVec t2 = L.Multiply(z, L.Fma(w, L.Create(0.28498786688f), L.Create(0.66666662693f)));
        TVec hfsq = L.Multiply(L.Create(0.5f), L.Multiply(f, f));
        TVec y = L.Fma(s, L.Add(hfsq, L.Add(t2, t1)), L.Fma(k, L.Create(9.0580006145e-6f), c));
        y = L.Add(L.Subtract(y, hfsq), f);
        y = L.Fma(k, L.Create(6.9313812256e-01f), y);

        // Special values: +∞ → +∞, −1 → −∞, below −1 → NaN, ±0 → ±0, NaN → NaN.
        y = L.Select(L.Equal(x, L.Create(float.PositiveInfinity)), x, y);
        y = L.Select(L.Equal(x, L.Create(-1f)), L.Create(float.NegativeInfinity), y);
        y = L.Select(L.LessThan(x, L.Create(-1f)), L.Create(float.NaN), y);
        y = L.Select(L.Equal(x, L.Create(0f)), x, y);
        return KeepNaN<TVec, L>(x, y);
    }

    /// <summary>tanh: Cephes' odd polynomial below 0.625, else 1 − 2/(e^{2|x|} + 1) with the sign restored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Tanh<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec ax = Abs<TVec, L>(x);
        TVec z = L.Multiply(x, x);
        TVec p = L.Fma(L.Create(-5.70498872745e-3f), z, L.Create(2.06390887954e-2f));
        p = L.Fma(p, z, L.Create(-5.37397155531e-2f));
        p = L.Fma(p, z, L.Create(1.33314422036e-1f));
        p = L.Fma(p, z, L.Create(-3.33332819422e-1f));
        TVec small = L.Fma(L.Multiply(p, z), x, x);

        // e^{2|x|} overflows to +∞ from |x| ≈ 44, where 2/∞ = 0 gives exactly ±1.
        TVec e = ExpUnchecked<TVec, L>(L.Add(ax, ax));
        TVec large = L.Subtract(L.Create(1f), L.Divide(L.Create(2f), L.Add(e, L.Create(1f))));

        // Both branches are odd; the sign is restored once (which also keeps −0: the FMA gives +0 there).
        return KeepNaN<TVec, L>(x, CopySign<TVec, L>(L.Select(L.LessThan(ax, L.Create(0.625f)), small, large), x));
    }

    /// <summary>e^{−|x|} and 1 + e^{−|x|}: σ(x) = (x &lt; 0 ? z : 1)/d and σ(x)(1 − σ(x)) = z/d², never overflowing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec SigmoidParts<TVec, L>(TVec x, out TVec d)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec z = ExpUnchecked<TVec, L>(L.Subtract(L.Create(0f), Abs<TVec, L>(x)));
        d = L.Add(L.Create(1f), z);
        return z;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Sigmoid<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
        => KeepNaN<TVec, L>(x, SigmoidUnchecked<TVec, L>(x, out _, out _));

    /// <summary>σ(x) without the NaN repair, with its <see cref="SigmoidParts"/> for a derivative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec SigmoidUnchecked<TVec, L>(TVec x, out TVec z, out TVec d)
        where TVec : struct
        where L : ILanes<TVec>
    {
        z = SigmoidParts<TVec, L>(x, out d);
        return L.Divide(L.Select(L.LessThan(x, L.Create(0f)), z, L.Create(1f)), d);
    }

    /// <summary>atan: Cephes' atanf reduction to |t| ≤ tan(π/8) and odd polynomial, with π/2 and π/4 in two parts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Atan<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec one = L.Create(1f);
        TVec ax = Abs<TVec, L>(x);
        TVec big = L.GreaterThan(ax, L.Create(2.414213562373095f));
        TVec mid = L.GreaterThan(ax, L.Create(0.4142135623730950f));

        // t = −1/|x| above tan(3π/8), (|x| − 1)/(|x| + 1) above tan(π/8), |x| below: one division.
        TVec num = L.Select(big, L.Create(-1f), L.Select(mid, L.Subtract(ax, one), ax));
        TVec den = L.Select(big, ax, L.Select(mid, L.Add(ax, one), one));
        TVec t = L.Divide(num, den);
        TVec y0 = L.Select(big, L.Create(1.57079637f), L.Select(mid, L.Create(0.785398185f), L.Create(0f)));
        TVec y0Low = L.Select(big, L.Create(-4.37113883e-8f), L.Select(mid, L.Create(-2.18556941e-8f), L.Create(0f)));

        TVec z = L.Multiply(t, t);
        TVec p = L.Fma(L.Create(8.05374449538e-2f), z, L.Create(-1.38776856032e-1f));
        p = L.Fma(p, z, L.Create(1.99777106478e-1f));
        p = L.Fma(p, z, L.Create(-3.33329491539e-1f));
        TVec y = L.Add(y0, L.Add(L.Fma(L.Multiply(p, z), t, t), y0Low));
        return KeepNaN<TVec, L>(x, CopySign<TVec, L>(y, x));
    }

    /// <summary>
    /// erf by Norbert Juffa's minimax fits (max error about 1 ulp with a correctly rounded expf):
    /// an odd polynomial up to 0.927734375, then 1 − e^{r(|x|)}.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Erf<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec ax = Abs<TVec, L>(x);
        TVec s = L.Multiply(x, x);

        // Below r = −30, 1 − eʳ is 1 in float; the clamp keeps eʳ out of the subnormals, which are slow.
        TVec r = L.Max(ErfcExponent<TVec, L>(ax, s), L.Create(-30f));
        TVec tail = L.Subtract(L.Create(1f), ExpUnchecked<TVec, L>(r));
        TVec y = L.Select(L.GreaterThan(ax, L.Create(0.927734375f)), CopySign<TVec, L>(tail, x), ErfSmall<TVec, L>(x, s));
        return KeepNaN<TVec, L>(x, y);
    }

    /// <summary>
    /// Φ(x) = (1 + erf(x/√2))/2 as PyTorch's GELU writes it, but with the lower tail taken as
    /// erfc(|x|/√2)/2 = e^{r}/2 from erf's tail formula, which avoids the cancellation of 1 + erf (the
    /// fit was made for erf, so this erfc's relative error grows: 10⁻⁴ at x = −6, 2 % at −8).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec NormalCdf<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec half = L.Create(0.5f);
        TVec v = L.Multiply(x, L.Create(0.707106769f));
        TVec av = Abs<TVec, L>(v);
        TVec halfErfc = L.Multiply(half, ExpUnchecked<TVec, L>(ErfcExponent<TVec, L>(av, L.Multiply(v, v))));
        TVec tail = L.Select(L.LessThan(x, L.Create(0f)), halfErfc, L.Subtract(L.Create(1f), halfErfc));
        TVec centre = L.Fma(half, ErfSmall<TVec, L>(v, L.Multiply(v, v)), half);
        return KeepNaN<TVec, L>(x, L.Select(L.GreaterThan(av, L.Create(0.927734375f)), tail, centre));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec ErfSmall<TVec, L>(TVec x, TVec s)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec r = L.Fma(L.Create(-5.96761703e-4f), s, L.Create(4.99119423e-3f));
        r = L.Fma(r, s, L.Create(-2.67681349e-2f));
        r = L.Fma(r, s, L.Create(1.12819925e-1f));
        r = L.Fma(r, s, L.Create(-3.76125336e-1f));
        r = L.Fma(r, s, L.Create(1.28379166e-1f));
        return L.Fma(r, x, x);
    }

    /// <summary>r with erfc(t) = eʳ for t = |x| ≥ 0.927734375 (s = x²); −∞ for huge t, so eʳ = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec ErfcExponent<TVec, L>(TVec t, TVec s)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec r = L.Fma(L.Create(-1.72853470e-5f), t, L.Create(3.83197126e-4f));
        TVec u = L.Fma(L.Create(-3.88396438e-3f), t, L.Create(2.42546219e-2f));
        r = L.Fma(r, s, u);
        r = L.Fma(r, t, L.Create(-1.06777877e-1f));
        r = L.Fma(r, t, L.Create(-6.34846687e-1f));
        r = L.Fma(r, t, L.Create(-1.28717512e-1f));
        return L.Fma(r, t, L.Subtract(L.Create(0f), t));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Abs<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
        => L.AndNot(x, L.Create(-0f));

    /// <summary>|magnitude| with the sign bit of <paramref name="sign"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec CopySign<TVec, L>(TVec magnitude, TVec sign)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec signBit = L.Create(-0f);
        return L.Or(L.AndNot(magnitude, signBit), L.And(sign, signBit));
    }

    /// <summary>x where x is NaN, else y (NaN is the one value unequal to itself).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec KeepNaN<TVec, L>(TVec x, TVec y)
        where TVec : struct
        where L : ILanes<TVec>
        => L.Select(L.Equal(x, x), y, x);
}
