using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// PyTorch's <c>nn.ELU(alpha)</c>: x &gt; 0 ? x : α·(eˣ − 1), with eˣ − 1 from
/// <see cref="VectorMath.Expm1(float)"/> as PyTorch's vectorised kernel (accurate near 0, −0 kept).
/// Backward as <c>elu_backward</c> on the input: u ≤ 0 ? g·α·eᵘ : g, so the derivative at 0 is α
/// and a NaN input passes g through, as in PyTorch.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct EluOperator : IActivationOperator
{
    private readonly float _alpha;

    /// <summary>An ELU with the given α (the attribute's <c>Alpha</c>).</summary>
    /// <param name="alpha">The negative-side saturation value α.</param>
    public EluOperator(float alpha) => _alpha = alpha;

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

    /// <summary>scale·x for x &gt; 0, negCoef·(eˣ − 1) otherwise (NaN falls to the positive side).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Forward<TVec, L>(TVec x, float scale, float negCoef)
        where TVec : struct
        where L : ILanes<TVec>
        => L.Select(L.LessThanOrEqual(x, L.Create(0f)),
            L.Multiply(VectorMath.Expm1<TVec, L>(x), L.Create(negCoef)),
            L.Multiply(x, L.Create(scale)));

    /// <summary>u ≤ 0 ? g·negCoef·eᵘ : g·scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Backward<TVec, L>(TVec g, TVec u, float scale, float negCoef)
        where TVec : struct
        where L : ILanes<TVec>
        => L.Select(L.LessThanOrEqual(u, L.Create(0f)),
            L.Multiply(L.Multiply(g, L.Create(negCoef)), VectorMath.ExpUnchecked<TVec, L>(u)),
            L.Multiply(g, L.Create(scale)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec ForwardCore<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return Forward<TVec, L>(x, 1f, _alpha);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return Backward<TVec, L>(g, u, 1f, _alpha);
    }
}

/// <summary>
/// PyTorch's <c>nn.SELU</c>: λ·ELU(x, α) with α = 1.6732632423543772, λ = 1.0507009873554805;
/// the negative side's coefficient is the float product λ·α, as PyTorch's kernel forms it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct SeluOperator : IActivationOperator
{
    private const float Alpha = 1.67326324f;
    private const float Scale = 1.05070099f;

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
        return EluOperator.Forward<TVec, L>(x, Scale, Scale * Alpha);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return EluOperator.Backward<TVec, L>(g, u, Scale, Scale * Alpha);
    }
}

/// <summary>
/// PyTorch's <c>nn.Softplus(beta, threshold)</c>: x where βx &gt; threshold, else log(1 + e^{βx})/β,
/// computed as (max(βx, 0) + log1p(e^{−|βx|}))/β so that it neither overflows nor loses the lower tail
/// when the threshold is large. Backward: g above the threshold, else g·σ(βx), finite at every βx
/// (PyTorch's e^{βx}/(e^{βx} + 1) is ∞/∞ once e^{βx} overflows).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct SoftplusOperator : IActivationOperator
{
    private readonly float _beta;
    private readonly float _threshold;

    /// <summary>A softplus with the attribute's <c>Beta</c> and <c>Threshold</c>.</summary>
    /// <param name="beta">β, the sharpness.</param>
    /// <param name="threshold">Above βx &gt; threshold the function is the identity.</param>
    public SoftplusOperator(float beta, float threshold) => (_beta, _threshold) = (beta, threshold);

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
        TVec y = L.Multiply(x, L.Create(_beta));
        TVec negAbs = L.Subtract(L.Create(0f), VectorMath.Abs<TVec, L>(y));
        TVec positivePart = L.Select(L.GreaterThan(y, L.Create(0f)), y, L.Create(0f));
        TVec soft = L.Divide(L.Add(positivePart, VectorMath.Log1P<TVec, L>(VectorMath.ExpUnchecked<TVec, L>(negAbs))), L.Create(_beta));
        return VectorMath.KeepNaN<TVec, L>(x, L.Select(L.GreaterThan(y, L.Create(_threshold)), x, soft));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec y = L.Multiply(u, L.Create(_beta));
        TVec sigmoid = L.Multiply(g, VectorMath.Sigmoid<TVec, L>(y));
        return L.Select(L.GreaterThan(y, L.Create(_threshold)), g, sigmoid);
    }
}

/// <summary>
/// PyTorch's <c>nn.Mish</c>: x·tanh(softplus(x)), computed as x·n/(n + 2) with n = eˣ(eˣ + 2)
/// (tanh(log(1 + eˣ)) exactly), which keeps relative accuracy in the lower tail where PyTorch's
/// float tanh(log1p(eˣ)) underflows. Backward t + x·σ(x)·(1 − t²) with 1 − t² = (4n + 4)/(n + 2)²,
/// finite for every finite x.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct MishOperator : IActivationOperator
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
        // Above 20, t = 1 in float already; the clamp keeps n = e^{2x} + 2eˣ finite.
        TVec e = VectorMath.ExpUnchecked<TVec, L>(L.Min(x, L.Create(20f)));
        TVec n = L.Multiply(e, L.Add(e, L.Create(2f)));
        return L.Multiply(x, L.Divide(n, L.Add(n, L.Create(2f))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec e = VectorMath.ExpUnchecked<TVec, L>(L.Min(u, L.Create(20f)));
        TVec n = L.Multiply(e, L.Add(e, L.Create(2f)));
        TVec n2 = L.Add(n, L.Create(2f));
        TVec t = L.Divide(n, n2);
        TVec sigmoid = L.Divide(e, L.Add(e, L.Create(1f)));
        TVec sech2 = L.Divide(L.Fma(n, L.Create(4f), L.Create(4f)), L.Multiply(n2, n2));

        // Above 20 the true u·σ·sech² is below 10⁻¹⁵ against t = 1; the clamped n would overstate it by u/20.
        TVec derivative = L.Fma(L.Multiply(L.Min(u, L.Create(20f)), sigmoid), sech2, t);
        return VectorMath.KeepNaN<TVec, L>(u, L.Multiply(g, derivative));
    }
}
