using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// Inverse square root unit x/√(1 + αx²) (Carlile et al.; no PyTorch module), finite up to ±1/√α for
/// every finite x; backward g·(1 + αu²)^{−3/2}.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct IsruOperator : IActivationOperator
{
    private readonly float _alpha;

    /// <summary>An ISRU with the attribute's <c>Alpha</c>.</summary>
    /// <param name="alpha">α; the output saturates at ±1/√α.</param>
    public IsruOperator(float alpha) => _alpha = alpha;

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

    /// <summary>
    /// x/√(1 + αx²); above |x| = 1 as sign(x)/√(α + 1/x²), which cannot overflow, so huge x gives
    /// ±1/√α rather than x/∞ = 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Isru<TVec, L>(TVec x, float alpha)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec one = L.Create(1f);
        TVec ax = VectorMath.Abs<TVec, L>(x);
        TVec big = L.GreaterThan(ax, one);
        TVec inverse = L.Divide(one, ax);
        TVec numerator = L.Select(big, one, ax);
        TVec radicand = L.Select(big, L.Fma(inverse, inverse, L.Create(alpha)), L.Fma(L.Multiply(L.Create(alpha), ax), ax, one));
        return VectorMath.CopySign<TVec, L>(L.Divide(numerator, L.Sqrt(radicand)), x);
    }

    /// <summary>g·(1 + αu²)^{−3/2} as g/d/√d (three roundings, not five): 0 once αu² overflows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec IsruBackward<TVec, L>(TVec g, TVec u, float alpha)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec d = L.Fma(L.Multiply(L.Create(alpha), u), u, L.Create(1f));
        return L.Divide(L.Divide(g, d), L.Sqrt(d));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec ForwardCore<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return Isru<TVec, L>(x, _alpha);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return IsruBackward<TVec, L>(g, u, _alpha);
    }
}

/// <summary>
/// Inverse square root linear unit: x for x ≥ 0, x/√(1 + αx²) below (ISRU's negative side); backward
/// g for u ≥ 0, g·(1 + αu²)^{−3/2} below.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct IsrluOperator : IActivationOperator
{
    private readonly float _alpha;

    /// <summary>An ISRLU with the attribute's <c>Alpha</c>.</summary>
    /// <param name="alpha">α; the negative side saturates at −1/√α.</param>
    public IsrluOperator(float alpha) => _alpha = alpha;

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
        return L.Select(L.GreaterThanOrEqual(x, L.Create(0f)), x, IsruOperator.Isru<TVec, L>(x, _alpha));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return L.Select(L.GreaterThanOrEqual(u, L.Create(0f)), g, IsruOperator.IsruBackward<TVec, L>(g, u, _alpha));
    }
}
