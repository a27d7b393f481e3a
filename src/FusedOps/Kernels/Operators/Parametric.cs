using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// PyTorch's <c>nn.PReLU</c> for one slope: x &gt; 0 ? x : a·x; backward u &gt; 0 ? g : a·g (so the
/// derivative at 0 is a, and NaN takes the slope side as PyTorch's).
/// <para>
/// Call pattern for the generator. One slope (<c>NumParameters = 1</c>): one operator for the whole
/// tensor. One slope per channel: one operator per channel, <c>new PReluOperator(weight[c])</c>,
/// applied to that channel's H·W plane of every sample (the operator is two floats, so building it
/// per plane costs nothing). The learnable slope's gradient, Σ g·u over u ≤ 0, accumulates with
/// <see cref="SlopeGradient"/>: <c>weightGrad[c] += SlopeGradient(gradPlane, inputPlane)</c> for
/// each sample's plane of channel c (over the whole tensor with one slope). For rank-1 input the
/// "channels" are the features, as PyTorch's dimension 1, and each plane is one element.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct PReluOperator : IActivationOperator
{
    private readonly float _slope;

    /// <summary>A PReLU with the current value of its slope.</summary>
    /// <param name="slope">The learnable negative-side slope a.</param>
    public PReluOperator(float slope) => _slope = slope;

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
    /// Σ g·u over the elements with u ≤ 0 (and NaN u, as PyTorch's <c>u &gt; 0 ? 0 : g·u</c>): the
    /// gradient of the slope over these elements. Summed in float lanes, the lanes then in double.
    /// </summary>
    /// <param name="gradient">The upstream gradient g.</param>
    /// <param name="input">The PReLU's input u, as long as <paramref name="gradient"/>.</param>
    /// <returns>The slope-gradient contribution of these elements.</returns>
    /// <exception cref="System.ArgumentException">The spans differ in length.</exception>
    public static float SlopeGradient(System.ReadOnlySpan<float> gradient, System.ReadOnlySpan<float> input)
    {
        if (gradient.Length != input.Length)
        {
            throw new System.ArgumentException(
                $"input must be as long as gradient ({gradient.Length} elements), but has {input.Length}.", nameof(input));
        }

        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated && gradient.Length >= 2 * Vector256<float>.Count)
        {
            // Two accumulators hide the add latency.
            Vector256<float> acc0 = Vector256<float>.Zero;
            Vector256<float> acc1 = Vector256<float>.Zero;
            for (; i <= gradient.Length - (2 * Vector256<float>.Count); i += 2 * Vector256<float>.Count)
            {
                acc0 += NegativeProduct(Vector256.Create(gradient.Slice(i)), Vector256.Create(input.Slice(i)));
                acc1 += NegativeProduct(
                    Vector256.Create(gradient.Slice(i + Vector256<float>.Count)), Vector256.Create(input.Slice(i + Vector256<float>.Count)));
            }

            sum = Vector256.Sum(acc0 + acc1);
        }

        float tail = 0f;
        for (; i < gradient.Length; i++)
        {
            tail += input[i] > 0f ? 0f : gradient[i] * input[i];
        }

        return (float)(sum + tail);
    }

    private static Vector256<float> NegativeProduct(Vector256<float> g, Vector256<float> u) =>
        Vector256.AndNot(g * u, Vector256.GreaterThan(u, Vector256<float>.Zero));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec ForwardCore<TVec, L>(TVec x)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return L.Select(L.GreaterThan(x, L.Create(0f)), x, L.Multiply(x, L.Create(_slope)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private TVec BackwardCore<TVec, L>(TVec g, TVec u)
        where TVec : struct
        where L : ILanes<TVec>
    {
        return L.Select(L.GreaterThan(u, L.Create(0f)), g, L.Multiply(g, L.Create(_slope)));
    }
}

/// <summary>
/// BipolarReLU (Eidnes and Nøkland): ReLU(x) on even channels, −ReLU(−x) = min(x, 0) on odd ones;
/// backward 0 where ReLU's argument (x or −x) is ≤ 0, else g (PyTorch's threshold_backward on each
/// half, so a NaN input passes g). NaN stays NaN.
/// <para>
/// Call pattern: for rank-3 input (NCHW), one operator per channel plane,
/// <c>new BipolarReluOperator(negated: c % 2 == 1)</c>. For rank-1 input the channels are the
/// features, which alternate within a vector: use <see cref="Interleaved"/> for vectors that start at
/// an even feature index (lane 0 even, lane 1 odd, …) and <c>new BipolarReluOperator(i % 2 == 1)</c>
/// for a scalar at feature i; the scalar forms always use lane 0's (the even) sign.
/// </para>
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct BipolarReluOperator : IActivationOperator
{
    // Two lanes' sign masks (0 or the sign bit, i.e. +0f or −0f), lane 0 in the low half; every
    // vector repeats the pair.
    private readonly long _signPair;

    /// <summary>An operator that is ReLU, or −ReLU(−x) when <paramref name="negated"/>, in every lane.</summary>
    /// <param name="negated">True for an odd channel.</param>
    public BipolarReluOperator(bool negated) => _signPair = negated ? unchecked((long)0x8000000080000000UL) : 0L;

    private BipolarReluOperator(long signPair) => _signPair = signPair;

    /// <summary>ReLU in even lanes and −ReLU(−x) in odd lanes, for features starting at an even index.</summary>
    public static BipolarReluOperator Interleaved => new(unchecked((long)0x8000000000000000UL));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => Forward<float, Lanes1>(x, LaneZeroSign);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Forward<Vector128<float>, Lanes128>(x, Vector128.Create(_signPair).AsSingle());

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Forward<Vector256<float>, Lanes256>(x, Vector256.Create(_signPair).AsSingle());

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x) => Forward<Vector512<float>, Lanes512>(x, Vector512.Create(_signPair).AsSingle());

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Backward(float g, float u) => Backward<float, Lanes1>(g, u, LaneZeroSign);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Backward(Vector128<float> g, Vector128<float> u) => Backward<Vector128<float>, Lanes128>(g, u, Vector128.Create(_signPair).AsSingle());

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> g, Vector256<float> u) => Backward<Vector256<float>, Lanes256>(g, u, Vector256.Create(_signPair).AsSingle());

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Backward(Vector512<float> g, Vector512<float> u) => Backward<Vector512<float>, Lanes512>(g, u, Vector512.Create(_signPair).AsSingle());

    private float LaneZeroSign => System.BitConverter.Int32BitsToSingle(unchecked((int)_signPair));

    /// <summary>x, or the lane's signed zero where x·sign ≤ 0 (sign is ±0: x XOR sign flips x for odd lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Forward<TVec, L>(TVec x, TVec sign)
        where TVec : struct
        where L : ILanes<TVec>
        => L.Select(L.LessThanOrEqual(L.Xor(x, sign), L.Create(0f)), sign, x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Backward<TVec, L>(TVec g, TVec u, TVec sign)
        where TVec : struct
        where L : ILanes<TVec>
        => L.AndNot(g, L.LessThanOrEqual(L.Xor(u, sign), L.Create(0f)));
}
