using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// Activation functions and their derivatives in scalar, Vector256 and Vector512 form, with the
/// same name for every form so that one generator table entry names all of them. Backward forms
/// take the upstream gradient g and the activation's input u. NaN propagates as in PyTorch.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Activations
{
    /// <summary>Identity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Identity(float x) => x;

    /// <summary>Identity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Identity(Vector256<float> x) => x;

    /// <summary>Identity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Identity(Vector512<float> x) => x;

    /// <summary>Identity derivative: g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float IdentityBackward(float g, float u) => g;

    /// <summary>Identity derivative: g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> IdentityBackward(Vector256<float> g, Vector256<float> u) => g;

    /// <summary>Identity derivative: g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> IdentityBackward(Vector512<float> g, Vector512<float> u) => g;

    /// <summary>max(0, x); NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Relu(float x) => x > 0f ? x : (float.IsNaN(x) ? x : 0f);

    /// <summary>max(0, x); NaN stays NaN (maxps returns its second operand when either is NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> x) =>
        Avx.IsSupported ? Avx.Max(Vector256<float>.Zero, x) : Vector256.ConditionalSelect(Vector256.LessThanOrEqual(x, Vector256<float>.Zero), Vector256<float>.Zero, x);

    /// <summary>max(0, x); NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Relu(Vector512<float> x) =>
        Avx512F.IsSupported ? Avx512F.Max(Vector512<float>.Zero, x) : Vector512.ConditionalSelect(Vector512.LessThanOrEqual(x, Vector512<float>.Zero), Vector512<float>.Zero, x);

    /// <summary>g where u &gt; 0, else 0 (PyTorch's threshold_backward).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ReluBackward(float g, float u) => u > 0f ? g : 0f;

    /// <summary>g where u &gt; 0, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ReluBackward(Vector256<float> g, Vector256<float> u) => Vector256.GreaterThan(u, Vector256<float>.Zero) & g;

    /// <summary>g where u &gt; 0, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ReluBackward(Vector512<float> g, Vector512<float> u) => Vector512.GreaterThan(u, Vector512<float>.Zero) & g;

    /// <summary>x &gt; 0 ? x : slope·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LeakyRelu(float x, float slope) => x > 0f ? x : x * slope;

    /// <summary>x &gt; 0 ? x : slope·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LeakyRelu(Vector256<float> x, float slope) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<float>.Zero), x, x * slope);

    /// <summary>x &gt; 0 ? x : slope·x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LeakyRelu(Vector512<float> x, float slope) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<float>.Zero), x, x * slope);

    /// <summary>u &gt; 0 ? g : slope·g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float LeakyReluBackward(float g, float u, float slope) => u > 0f ? g : g * slope;

    /// <summary>u &gt; 0 ? g : slope·g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> LeakyReluBackward(Vector256<float> g, Vector256<float> u, float slope) =>
        Vector256.ConditionalSelect(Vector256.GreaterThan(u, Vector256<float>.Zero), g, g * slope);

    /// <summary>u &gt; 0 ? g : slope·g.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> LeakyReluBackward(Vector512<float> g, Vector512<float> u, float slope) =>
        Vector512.ConditionalSelect(Vector512.GreaterThan(u, Vector512<float>.Zero), g, g * slope);

    /// <summary>clamp(x, min, max); NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HardTanh(float x, float min, float max) => x < min ? min : (x > max ? max : x);

    /// <summary>clamp(x, min, max); NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HardTanh(Vector256<float> x, float min, float max) =>
        Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(min)), Vector256.Create(min),
            Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(max)), Vector256.Create(max), x));

    /// <summary>clamp(x, min, max); NaN stays NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> HardTanh(Vector512<float> x, float min, float max) =>
        Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(min)), Vector512.Create(min),
            Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(max)), Vector512.Create(max), x));

    /// <summary>g inside (min, max), else 0 (PyTorch's hardtanh_backward).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HardTanhBackward(float g, float u, float min, float max) => u > min && u < max ? g : 0f;

    /// <summary>g inside (min, max), else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> HardTanhBackward(Vector256<float> g, Vector256<float> u, float min, float max) =>
        Vector256.GreaterThan(u, Vector256.Create(min)) & Vector256.LessThan(u, Vector256.Create(max)) & g;

    /// <summary>g inside (min, max), else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> HardTanhBackward(Vector512<float> g, Vector512<float> u, float min, float max) =>
        Vector512.GreaterThan(u, Vector512.Create(min)) & Vector512.LessThan(u, Vector512.Create(max)) & g;
}
