using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// Elementary functions for float at every width the generated kernels use, vectorised in the
/// manner of TensorPrimitives (polynomials with FMA where the hardware has it, plain arithmetic
/// otherwise, no branches on data). The scalar overloads run the same algorithm on one lane, so
/// a kernel's scalar tail computes exactly what its vector body would. NaN propagates; ±∞ and
/// huge inputs give PyTorch's limits. Maximum errors against double precision are measured and
/// listed in docs/numerics.md.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class VectorMath
{
    /// <summary>eˣ: +∞ above 88.72, 0 (through the subnormals) below −103.97, NaN kept (one float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x) => Exp<float, Lanes1>(x);

    /// <summary>eˣ: +∞ above 88.72, 0 (through the subnormals) below −103.97, NaN kept (four lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x) => Exp<Vector128<float>, Lanes128>(x);

    /// <summary>eˣ: +∞ above 88.72, 0 (through the subnormals) below −103.97, NaN kept (eight lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x) => Exp<Vector256<float>, Lanes256>(x);

    /// <summary>eˣ: +∞ above 88.72, 0 (through the subnormals) below −103.97, NaN kept (sixteen lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x) => Exp<Vector512<float>, Lanes512>(x);

    /// <summary>eˣ − 1, accurate near 0 (−0 kept); −1 below −17.3, +∞ above 88.72 (one float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Expm1(float x) => Expm1<float, Lanes1>(x);

    /// <summary>eˣ − 1, accurate near 0 (−0 kept); −1 below −17.3, +∞ above 88.72 (four lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Expm1(Vector128<float> x) => Expm1<Vector128<float>, Lanes128>(x);

    /// <summary>eˣ − 1, accurate near 0 (−0 kept); −1 below −17.3, +∞ above 88.72 (eight lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Expm1(Vector256<float> x) => Expm1<Vector256<float>, Lanes256>(x);

    /// <summary>eˣ − 1, accurate near 0 (−0 kept); −1 below −17.3, +∞ above 88.72 (sixteen lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Expm1(Vector512<float> x) => Expm1<Vector512<float>, Lanes512>(x);

    /// <summary>log(1 + x), accurate near 0 (−0 kept); −∞ at −1, NaN below −1, +∞ at +∞ (one float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log1P(float x) => Log1P<float, Lanes1>(x);

    /// <summary>log(1 + x), accurate near 0 (−0 kept); −∞ at −1, NaN below −1, +∞ at +∞ (four lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Log1P(Vector128<float> x) => Log1P<Vector128<float>, Lanes128>(x);

    /// <summary>log(1 + x), accurate near 0 (−0 kept); −∞ at −1, NaN below −1, +∞ at +∞ (eight lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Log1P(Vector256<float> x) => Log1P<Vector256<float>, Lanes256>(x);

    /// <summary>log(1 + x), accurate near 0 (−0 kept); −∞ at −1, NaN below −1, +∞ at +∞ (sixteen lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Log1P(Vector512<float> x) => Log1P<Vector512<float>, Lanes512>(x);

    /// <summary>tanh x; exactly ±1 from |x| ≈ 9.01, −0 kept (one float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x) => Tanh<float, Lanes1>(x);

    /// <summary>tanh x; exactly ±1 from |x| ≈ 9.01, −0 kept (four lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Tanh(Vector128<float> x) => Tanh<Vector128<float>, Lanes128>(x);

    /// <summary>tanh x; exactly ±1 from |x| ≈ 9.01, −0 kept (eight lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x) => Tanh<Vector256<float>, Lanes256>(x);

    /// <summary>tanh x; exactly ±1 from |x| ≈ 9.01, −0 kept (sixteen lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x) => Tanh<Vector512<float>, Lanes512>(x);

    /// <summary>erf x; exactly ±1 from |x| ≈ 3.92, −0 kept (one float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x) => Erf<float, Lanes1>(x);

    /// <summary>erf x; exactly ±1 from |x| ≈ 3.92, −0 kept (four lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Erf(Vector128<float> x) => Erf<Vector128<float>, Lanes128>(x);

    /// <summary>erf x; exactly ±1 from |x| ≈ 3.92, −0 kept (eight lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Erf(Vector256<float> x) => Erf<Vector256<float>, Lanes256>(x);

    /// <summary>erf x; exactly ±1 from |x| ≈ 3.92, −0 kept (sixteen lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Erf(Vector512<float> x) => Erf<Vector512<float>, Lanes512>(x);

    /// <summary>1/(1 + e⁻ˣ) computed as e^{−|x|}-based quotient: saturates to 0 and 1 without overflow, accurate in the lower tail (one float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => Sigmoid<float, Lanes1>(x);

    /// <summary>1/(1 + e⁻ˣ) computed as e^{−|x|}-based quotient: saturates to 0 and 1 without overflow, accurate in the lower tail (four lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Sigmoid(Vector128<float> x) => Sigmoid<Vector128<float>, Lanes128>(x);

    /// <summary>1/(1 + e⁻ˣ) computed as e^{−|x|}-based quotient: saturates to 0 and 1 without overflow, accurate in the lower tail (eight lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x) => Sigmoid<Vector256<float>, Lanes256>(x);

    /// <summary>1/(1 + e⁻ˣ) computed as e^{−|x|}-based quotient: saturates to 0 and 1 without overflow, accurate in the lower tail (sixteen lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x) => Sigmoid<Vector512<float>, Lanes512>(x);

    /// <summary>atan x; ±π/2 at ±∞, −0 kept (one float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Atan(float x) => Atan<float, Lanes1>(x);

    /// <summary>atan x; ±π/2 at ±∞, −0 kept (four lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Atan(Vector128<float> x) => Atan<Vector128<float>, Lanes128>(x);

    /// <summary>atan x; ±π/2 at ±∞, −0 kept (eight lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Atan(Vector256<float> x) => Atan<Vector256<float>, Lanes256>(x);

    /// <summary>atan x; ±π/2 at ±∞, −0 kept (sixteen lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Atan(Vector512<float> x) => Atan<Vector512<float>, Lanes512>(x);
}
