using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// PyTorch's <c>nn.Hardsigmoid</c>: relu6(x + 3)/6. Backward as <c>hardsigmoid_backward</c>: g/6 on
/// the open interval (−3, 3), 0 at the ends and outside (and for NaN).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct HardSigmoidOperator : IActivationOperator
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

    /// <summary>min(max(x + 3, 0), 6) with selects, so NaN stays NaN at every width (PyTorch's clamp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Relu6OfXPlus3<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec t = L.Add(x, L.Create(3f));
        t = L.Select(L.LessThan(t, L.Create(0f)), L.Create(0f), t);
        return L.Select(L.GreaterThan(t, L.Create(6f)), L.Create(6f), t);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec ForwardCore<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return L.Divide(Relu6OfXPlus3<TVec, L>(x), L.Create(6f));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec inside = L.And(L.GreaterThan(u, L.Create(-3f)), L.LessThan(u, L.Create(3f)));
        return L.And(inside, L.Divide(g, L.Create(6f)));
    }
}

/// <summary>
/// PyTorch's <c>nn.Hardswish</c>: x·relu6(x + 3)/6 (x itself above 3, where PyTorch's float x·6
/// overflows to ∞ from 5.7·10³⁷). Backward as <c>hardswish_backward</c>: 0 below −3,
/// g·(u/3 + ½) on [−3, 3] (so −g/2 at −3 and 3g/2 at 3), g above 3 and for NaN.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct HardSwishOperator : IActivationOperator
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
        // PyTorch's (x·relu6(x + 3))/6, except that above 3 it is x itself, where PyTorch's x·6 overflows from 5.7e37.
        TVec y = L.Divide(L.Multiply(x, HardSigmoidOperator.Relu6OfXPlus3<TVec, L>(x)), L.Create(6f));
        return L.Select(L.GreaterThan(x, L.Create(3f)), x, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec middle = L.Multiply(g, L.Add(L.Divide(u, L.Create(3f)), L.Create(0.5f)));
        TVec y = L.Select(L.LessThanOrEqual(u, L.Create(3f)), middle, g);
        return L.Select(L.LessThan(u, L.Create(-3f)), L.Create(0f), y);
    }
}

/// <summary>
/// SQNL: 1 above 2, x − x²/4 on [0, 2], x + x²/4 on [−2, 0), −1 below −2, i.e. x − x·|x|/4 with one
/// rounding inside ±2. Backward g·(1 − |u|/2) inside ±2, 0 outside. NaN stays NaN (no PyTorch module).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct SquareNonlinearityOperator : IActivationOperator
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
        TVec ax = VectorMath.Abs<TVec, L>(x);
        TVec inner = L.Fma(L.Multiply(L.Create(-0.25f), ax), x, x);

        // The result has x's sign everywhere; restoring it keeps −0, which the FMA turns into +0.
        return VectorMath.CopySign<TVec, L>(L.Select(L.GreaterThan(ax, L.Create(2f)), L.Create(1f), inner), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        TVec au = VectorMath.Abs<TVec, L>(u);
        TVec inner = L.Multiply(g, L.Fma(au, L.Create(-0.5f), L.Create(1f)));
        return L.Select(L.GreaterThan(au, L.Create(2f)), L.Create(0f), inner);
    }
}

/// <summary>
/// Binary step: x ≥ 0 ? 1 : 0 (1 at −0, 0 for NaN, as <c>torch.heaviside(x, 1)</c>); the derivative is 0
/// everywhere, so Backward returns 0 whatever g is.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct BinaryStepOperator : IActivationOperator
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
        return L.And(L.GreaterThanOrEqual(x, L.Create(0f)), L.Create(1f));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return L.Create(0f);
    }
}
