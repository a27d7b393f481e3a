using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>Identity: f(x) = x, g·f′(u) = g.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct IdentityOperator : IActivationOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x) => x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Backward(float g, float u) => g;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Backward(Vector128<float> g, Vector128<float> u) => g;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> g, Vector256<float> u) => g;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Backward(Vector512<float> g, Vector512<float> u) => g;
}

/// <summary>ReLU: max(0, x), NaN stays NaN; derivative 0 at u ≤ 0 and g elsewhere, NaN included (PyTorch's threshold_backward).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ReluOperator : IActivationOperator
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x > 0f ? x : (float.IsNaN(x) ? x : 0f);

    /// <inheritdoc/>
    /// <remarks>maxps returns its second operand when either is NaN, so NaN in x stays NaN.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) =>
        Sse.IsSupported ? Sse.Max(Vector128<float>.Zero, x) : Vector128.ConditionalSelect(Vector128.LessThanOrEqual(x, Vector128<float>.Zero), Vector128<float>.Zero, x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) =>
        Avx.IsSupported ? Avx.Max(Vector256<float>.Zero, x) : Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.Zero, x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x) =>
        Avx512F.IsSupported ? Avx512F.Max(Vector512<float>.Zero, x) : Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.Zero, x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Backward(float g, float u) => u <= 0f ? 0f : g;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Backward(Vector128<float> g, Vector128<float> u) => Vector128.AndNot(g, Vector128.LessThanOrEqual(u, Vector128<float>.Zero));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> g, Vector256<float> u) => Vector256.AndNot(g, Vector256.LessThanOrEqual(u, Vector256<float>.Zero));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Backward(Vector512<float> g, Vector512<float> u) => Vector512.AndNot(g, Vector512.LessThanOrEqual(u, Vector512<float>.Zero));
}

/// <summary>
/// ReLU or the identity, chosen by a field instead of the type: <see cref="LinearKernels.Infer{TAct}"/> runs both through
/// this one operator, so a model with a ReLU layer and a plain Linear head (Linear → ReLU → Linear) JIT-compiles the
/// packed GEMM's fully optimised kernels once, not once per activation (a few milliseconds of its first call). The
/// branch on the field is taken the same way for a whole call; the arithmetic is <see cref="ReluOperator"/>'s or none.
/// </summary>
internal readonly struct ReluOrIdentityOperator(bool relu) : IActivationOperator
{
    private readonly bool _relu = relu;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => _relu ? default(ReluOperator).Invoke(x) : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => _relu ? default(ReluOperator).Invoke(x) : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => _relu ? default(ReluOperator).Invoke(x) : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x) => _relu ? default(ReluOperator).Invoke(x) : x;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Backward(float g, float u) => _relu ? default(ReluOperator).Backward(g, u) : g;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Backward(Vector128<float> g, Vector128<float> u) => _relu ? default(ReluOperator).Backward(g, u) : g;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> g, Vector256<float> u) => _relu ? default(ReluOperator).Backward(g, u) : g;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Backward(Vector512<float> g, Vector512<float> u) => _relu ? default(ReluOperator).Backward(g, u) : g;
}

/// <summary>LeakyReLU: x &gt; 0 ? x : slope·x; derivative slope at u ≤ 0.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct LeakyReluOperator : IActivationOperator
{
    private readonly float _slope;

    /// <summary>Creates the operator with PyTorch's <c>negative_slope</c>.</summary>
    public LeakyReluOperator(float negativeSlope) => _slope = negativeSlope;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x > 0f ? x : x * _slope;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x) => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<float>.Zero), x, x * _slope);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x) => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * _slope);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x) => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, x * _slope);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Backward(float g, float u) => u > 0f ? g : g * _slope;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Backward(Vector128<float> g, Vector128<float> u) => Vector128.ConditionalSelect(Vector128.GreaterThan(u, Vector128<float>.Zero), g, g * _slope);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> g, Vector256<float> u) => Vector256.ConditionalSelect(Vector256.GreaterThan(u, Vector256<float>.Zero), g, g * _slope);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Backward(Vector512<float> g, Vector512<float> u) => Vector512.ConditionalSelect(Vector512.GreaterThan(u, Vector512<float>.Zero), g, g * _slope);
}

/// <summary>HardTanh: clamp(x, min, max), NaN stays NaN; derivative 0 at u ≤ min or u ≥ max and 1 elsewhere, NaN included (PyTorch's hardtanh_backward).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct HardTanhOperator : IActivationOperator
{
    private readonly float _min;
    private readonly float _max;

    /// <summary>Creates the operator for the range [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public HardTanhOperator(float min, float max)
    {
        _min = min;
        _max = max;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Invoke(float x) => x < _min ? _min : (x > _max ? _max : x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Invoke(Vector128<float> x)
    {
        Vector128<float> min = Vector128.Create(_min), max = Vector128.Create(_max);
        return Vector128.ConditionalSelect(Vector128.LessThan(x, min), min, Vector128.ConditionalSelect(Vector128.GreaterThan(x, max), max, x));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Invoke(Vector256<float> x)
    {
        Vector256<float> min = Vector256.Create(_min), max = Vector256.Create(_max);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, min), min, Vector256.ConditionalSelect(Vector256.GreaterThan(x, max), max, x));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Invoke(Vector512<float> x)
    {
        Vector512<float> min = Vector512.Create(_min), max = Vector512.Create(_max);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, min), min, Vector512.ConditionalSelect(Vector512.GreaterThan(x, max), max, x));
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Backward(float g, float u) => u <= _min || u >= _max ? 0f : g;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Backward(Vector128<float> g, Vector128<float> u) =>
        Vector128.AndNot(g, Vector128.LessThanOrEqual(u, Vector128.Create(_min)) | Vector128.GreaterThanOrEqual(u, Vector128.Create(_max)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Backward(Vector256<float> g, Vector256<float> u) =>
        Vector256.AndNot(g, Vector256.LessThanOrEqual(u, Vector256.Create(_min)) | Vector256.GreaterThanOrEqual(u, Vector256.Create(_max)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Backward(Vector512<float> g, Vector512<float> u) =>
        Vector512.AndNot(g, Vector512.LessThanOrEqual(u, Vector512.Create(_min)) | Vector512.GreaterThanOrEqual(u, Vector512.Create(_max)));
}
