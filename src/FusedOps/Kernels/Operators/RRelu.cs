using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// PyTorch's <c>nn.RReLU(lower, upper)</c>, whose slope differs per element in training, so it reads
/// a slope buffer instead of holding its argument in a field.
/// <para>
/// Call pattern for the generator. Training Forward: <see cref="FillSlopes"/> draws one slope per
/// element of the whole batch, row-major, from the model's training <see cref="InitRandom"/> (every
/// element draws, whatever its sign, so the stream does not depend on the data, as the reference
/// does); the fused epilogue then computes <see cref="Invoke(Vector256{float}, Vector256{float})"/>
/// with the slope vector loaded at the same offset as x, and the buffer is kept for Backward, which
/// computes <see cref="Backward(Vector256{float}, Vector256{float}, Vector256{float})"/> from the same
/// buffer. Inference (Infer, Frozen): a plain <see cref="PReluOperator"/> with
/// <see cref="InferenceSlope"/>, the mean slope.
/// </para>
/// Training semantics are PyTorch's <c>rrelu_with_noise</c>: u ≤ 0 takes the slope, anything else
/// (NaN included) passes through.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct RReluOperator
{
    /// <summary>The inference slope (lower + upper)/2.</summary>
    /// <param name="lower">The attribute's <c>Lower</c>.</param>
    /// <param name="upper">The attribute's <c>Upper</c>.</param>
    /// <returns>The slope of the leaky ReLU RReLU is in eval mode.</returns>
    public static float InferenceSlope(float lower, float upper) => (lower + upper) / 2;

    /// <summary>Fills <paramref name="slopes"/> with lower + (upper − lower)·U[0, 1), one draw per element in order.</summary>
    /// <param name="slopes">One slope per element of the batch, row-major.</param>
    /// <param name="lower">The attribute's <c>Lower</c>.</param>
    /// <param name="upper">The attribute's <c>Upper</c>.</param>
    /// <param name="random">The model's training stream.</param>
    public static void FillSlopes(Span<float> slopes, float lower, float upper, InitRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        float width = upper - lower;
        for (int i = 0; i < slopes.Length; i++)
        {
            slopes[i] = lower + (width * random.NextSingle());
        }
    }

    /// <summary>x ≤ 0 ? x·slope : x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x, float slope) => Forward<float, Lanes1>(x, slope);

    /// <summary>x ≤ 0 ? x·slope : x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x, Vector128<float> slope) => Forward<Vector128<float>, Lanes128>(x, slope);

    /// <summary>x ≤ 0 ? x·slope : x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x, Vector256<float> slope) => Forward<Vector256<float>, Lanes256>(x, slope);

    /// <summary>x ≤ 0 ? x·slope : x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x, Vector512<float> slope) => Forward<Vector512<float>, Lanes512>(x, slope);

    /// <summary>u ≤ 0 ? g·slope : g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Backward(float g, float u, float slope) => Forward<float, Lanes1>(g, slope, u);

    /// <summary>u ≤ 0 ? g·slope : g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Backward(Vector128<float> g, Vector128<float> u, Vector128<float> slope) =>
        Forward<Vector128<float>, Lanes128>(g, slope, u);

    /// <summary>u ≤ 0 ? g·slope : g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> g, Vector256<float> u, Vector256<float> slope) =>
        Forward<Vector256<float>, Lanes256>(g, slope, u);

    /// <summary>u ≤ 0 ? g·slope : g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Backward(Vector512<float> g, Vector512<float> u, Vector512<float> slope) =>
        Forward<Vector512<float>, Lanes512>(g, slope, u);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Forward<TVec, L>(TVec x, TVec slope)
        where TVec : struct
        where L : ILanes<TVec>
        => Forward<TVec, L>(x, slope, x);

    /// <summary>value·slope where the sign input is ≤ 0, else value: forward scales x by x's sign, backward g by u's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Forward<TVec, L>(TVec value, TVec slope, TVec signInput)
        where TVec : struct
        where L : ILanes<TVec>
        => L.Select(L.LessThanOrEqual(signInput, L.Create(0f)), L.Multiply(value, slope), value);
}
