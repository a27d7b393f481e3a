using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// PyTorch's <c>nn.Sigmoid</c>: σ(x) = 1/(1 + e⁻ˣ), by <see cref="VectorMath.Sigmoid(float)"/>
/// (saturates to 0 and 1 without overflow). Backward g·σ(u)(1 − σ(u)) computed as g·e^{−|u|}/(1 + e^{−|u|})²,
/// which keeps the tails' tiny gradients where PyTorch's (1 − y)·y from the float output rounds to 0.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct SigmoidOperator : IActivationOperator
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
        return VectorMath.Sigmoid<TVec, L>(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec z = VectorMath.SigmoidParts<TVec, L>(u, out TVec d);
        return VectorMath.KeepNaN<TVec, L>(u, L.Multiply(g, L.Divide(z, L.Multiply(d, d))));
    }
}

/// <summary>
/// PyTorch's <c>nn.Tanh</c> by <see cref="VectorMath.Tanh(float)"/>. Backward g·(1 − tanh²u)
/// computed as g·4z/(1 + z)² with z = e^{−2|u|}, accurate where 1 − tanh² cancels.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct TanhOperator : IActivationOperator
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
        return VectorMath.Tanh<TVec, L>(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec au = VectorMath.Abs<TVec, L>(u);
        TVec z = VectorMath.ExpUnchecked<TVec, L>(L.Subtract(L.Create(0f), L.Add(au, au)));
        TVec d = L.Add(L.Create(1f), z);
        return VectorMath.KeepNaN<TVec, L>(u, L.Multiply(g, L.Divide(L.Multiply(L.Create(4f), z), L.Multiply(d, d))));
    }
}

/// <summary>
/// atan(x) by <see cref="VectorMath.Atan(float)"/> (PyTorch's <c>torch.atan</c>); backward g/(1 + u²),
/// which is 0 once u² overflows.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ArcTanOperator : IActivationOperator
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
        return VectorMath.Atan<TVec, L>(x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return L.Divide(g, L.Fma(u, u, L.Create(1f)));
    }
}

/// <summary>
/// PyTorch's <c>nn.Softsign</c>: x/(1 + |x|) (NaN at ±∞ as PyTorch's); backward g/(1 + |u|)².
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct SoftsignOperator : IActivationOperator
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
        return L.Divide(x, L.Add(L.Create(1f), VectorMath.Abs<TVec, L>(x)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec d = L.Add(L.Create(1f), VectorMath.Abs<TVec, L>(u));
        return L.Divide(g, L.Multiply(d, d));
    }
}

/// <summary>
/// PyTorch's <c>nn.SiLU</c>: x·σ(x) (<see cref="SwishOperator"/> with β = 1); −0 far below 0 and NaN at −∞
/// as PyTorch's x/(1 + e⁻ˣ); backward finite for every finite input.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct SiluOperator : IActivationOperator
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
        return SwishOperator.Forward<TVec, L>(x, 1f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return SwishOperator.Backward<TVec, L>(g, u, 1f);
    }
}

/// <summary>
/// Swish x·σ(βx) with a fixed β (the attribute's <c>Beta</c>); backward g·σ(βu)(1 + βu(1 − σ(βu))),
/// as the reference table and PyTorch's <c>silu_backward</c> at β = 1.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct SwishOperator : IActivationOperator
{
    private readonly float _beta;

    /// <summary>A swish with the given β.</summary>
    /// <param name="beta">β, multiplying the sigmoid's argument.</param>
    public SwishOperator(float beta) => _beta = beta;

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

    /// <summary>x·σ(βx), with σ(βx) from e^{−|βx|} so that nothing overflows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Forward<TVec, L>(TVec x, float beta)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec y = L.Multiply(x, L.Create(beta));
        return VectorMath.KeepNaN<TVec, L>(x, L.Multiply(x, VectorMath.SigmoidUnchecked<TVec, L>(y, out _, out _)));
    }

    /// <summary>
    /// g·σ(βu)(1 + βu(1 − σ(βu))) = g·(σ + b·σ(1 − σ)) with σ(1 − σ) = z/d²; b is βu clamped to
    /// ±200, beyond which z = 0, so a huge βu gives g·σ rather than 0·∞.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Backward<TVec, L>(TVec g, TVec u, float beta)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec y = L.Multiply(u, L.Create(beta));
        TVec sigmoid = VectorMath.SigmoidUnchecked<TVec, L>(y, out TVec z, out TVec d);
        TVec b = L.Min(L.Max(y, L.Create(-200f)), L.Create(200f));
        TVec derivative = L.Fma(b, L.Divide(z, L.Multiply(d, d)), sigmoid);
        return VectorMath.KeepNaN<TVec, L>(u, L.Multiply(g, derivative));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec ForwardCore<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return Forward<TVec, L>(x, _beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return Backward<TVec, L>(g, u, _beta);
    }
}
