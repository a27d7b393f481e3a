using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// PyTorch's <c>nn.GELU()</c> (erf form): x·Φ(x), Φ(x) = (1 + erf(x/√2))/2. Φ's lower tail is taken
/// as erfc(|x|/√2)/2 from erf's own tail formula instead of 1 + erf, which cancels. That erfc was fitted
/// for erf, so its relative error grows: under 10⁻⁴ down to x = −6, 2 % at −8, only the magnitude
/// below −10 (|GELU| &lt; 10⁻²²), where PyTorch's float 1 + erf already gives −0 from about −5.9
/// (docs/numerics.md). NaN at −∞, as PyTorch's −∞·0.
/// Backward g·(Φ(u) + u·φ(u)), φ(u) = e^{−u²/2}/√(2π), finite for every u (1 at +∞ and 0 at −∞,
/// where PyTorch's ∞·0 gives NaN).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct GeluOperator : IActivationOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => ForwardCore<float, Lanes1>(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => ForwardCore<Vector128<float>, Lanes128>(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => ForwardCore<Vector256<float>, Lanes256>(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x) => ForwardCore<Vector512<float>, Lanes512>(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Backward(float g, float u) => BackwardCore<float, Lanes1>(g, u);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Backward(Vector128<float> g, Vector128<float> u) => BackwardCore<Vector128<float>, Lanes128>(g, u);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> g, Vector256<float> u) => BackwardCore<Vector256<float>, Lanes256>(g, u);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Backward(Vector512<float> g, Vector512<float> u) => BackwardCore<Vector512<float>, Lanes512>(g, u);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec ForwardCore<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return L.Multiply(x, VectorMath.NormalCdf<TVec, L>(x));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        // 1/√(2π), PyTorch's kAlpha = M_2_SQRTPI·M_SQRT1_2·0.5.
        TVec pdf = L.Multiply(L.Create(0.398942292f), VectorMath.ExpUnchecked<TVec, L>(L.Multiply(L.Multiply(u, u), L.Create(-0.5f))));

        // φ is 0 long before |u| = 10⁶; clamping u there makes ±∞ give 1 and 0 rather than ∞·0.
        TVec uc = L.Min(L.Max(u, L.Create(-1e6f)), L.Create(1e6f));
        TVec derivative = L.Fma(uc, pdf, VectorMath.NormalCdf<TVec, L>(u));
        return VectorMath.KeepNaN<TVec, L>(u, L.Multiply(g, derivative));
    }
}

/// <summary>
/// PyTorch's <c>nn.GELU(approximate='tanh')</c>: ½x(1 + tanh(k)), k = √(2/π)(x + 0.044715x³),
/// computed as x·σ(2k) (the same function: 1 + tanh k = 2σ(2k)), which keeps the lower tail that
/// 1 + tanh cancels. Backward g·(σ(2k) + 2u·σ(2k)(1 − σ(2k))·√(2/π)(1 + 3·0.044715u²)).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct GeluTanhOperator : IActivationOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => ForwardCore<float, Lanes1>(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => ForwardCore<Vector128<float>, Lanes128>(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => ForwardCore<Vector256<float>, Lanes256>(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x) => ForwardCore<Vector512<float>, Lanes512>(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Backward(float g, float u) => BackwardCore<float, Lanes1>(g, u);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Backward(Vector128<float> g, Vector128<float> u) => BackwardCore<Vector128<float>, Lanes128>(g, u);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> g, Vector256<float> u) => BackwardCore<Vector256<float>, Lanes256>(g, u);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Backward(Vector512<float> g, Vector512<float> u) => BackwardCore<Vector512<float>, Lanes512>(g, u);

    // √(2/π) and the cubic coefficient, as PyTorch's kBeta and kKappa.
    private const float Beta = 0.797884583f;
    private const float Kappa = 0.044715f;

    /// <summary>2k = 2√(2/π)(x + κx³), ±∞ once x³ overflows (σ then gives exactly 0 or 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec TwoK<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
        => L.Multiply(L.Create(2f * Beta), L.Fma(L.Multiply(L.Create(Kappa), x), L.Multiply(x, x), x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec ForwardCore<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec twoK = TwoK<TVec, L>(x);
        return VectorMath.KeepNaN<TVec, L>(x, L.Multiply(x, VectorMath.SigmoidUnchecked<TVec, L>(twoK, out _, out _)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec twoK = TwoK<TVec, L>(u);
        TVec sigmoid = VectorMath.SigmoidUnchecked<TVec, L>(twoK, out TVec z, out TVec d);

        // Beyond |u| = 10⁶, z is long 0; clamping u there keeps u·dk finite, so 0·∞ cannot arise.
        TVec uc = L.Min(L.Max(u, L.Create(-1e6f)), L.Create(1e6f));
        TVec dk = L.Multiply(L.Create(2f * Beta), L.Fma(L.Multiply(uc, uc), L.Create(3f * Kappa), L.Create(1f)));
        TVec derivative = L.Fma(L.Multiply(uc, dk), L.Divide(z, L.Multiply(d, d)), sigmoid);
        return VectorMath.KeepNaN<TVec, L>(u, L.Multiply(g, derivative));
    }
}
