using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using X86 = System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// The lane operations the vector math is written in, one implementation per width, so each
/// function (exp, erf, …) and each activation exists once as a generic method that the JIT
/// specialises for <see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> and
/// <see cref="Vector512{T}"/> (the pattern of the runtime's internal <c>ISimdVector</c>).
/// Comparisons return all-ones/all-zeros lane masks of the same vector type.
/// </summary>
internal interface ILanes<TVec>
    where TVec : struct
{
    static abstract TVec Create(float value);

    static abstract TVec Add(TVec a, TVec b);

    static abstract TVec Subtract(TVec a, TVec b);

    static abstract TVec Multiply(TVec a, TVec b);

    static abstract TVec Divide(TVec a, TVec b);

    /// <summary>
    /// a·b + c, one rounding where the hardware has FMA. Every width fuses under the same condition
    /// (X86 FMA, or Arm AdvSimd for the widths Arm runs natively), so the widths agree bit for bit
    /// even when FMA is switched off (<c>DOTNET_EnableAVX2=0</c> on .NET 10).
    /// </summary>
    static abstract TVec Fma(TVec a, TVec b, TVec c);

    static abstract TVec Min(TVec a, TVec b);

    static abstract TVec Max(TVec a, TVec b);

    static abstract TVec Sqrt(TVec x);

    static abstract TVec And(TVec a, TVec b);

    static abstract TVec Or(TVec a, TVec b);

    static abstract TVec Xor(TVec a, TVec b);

    /// <summary>a &amp; ~b.</summary>
    static abstract TVec AndNot(TVec a, TVec b);

    static abstract TVec LessThan(TVec a, TVec b);

    static abstract TVec LessThanOrEqual(TVec a, TVec b);

    static abstract TVec GreaterThan(TVec a, TVec b);

    static abstract TVec GreaterThanOrEqual(TVec a, TVec b);

    static abstract TVec Equal(TVec a, TVec b);

    /// <summary>mask ? a : b, lane by lane.</summary>
    static abstract TVec Select(TVec mask, TVec a, TVec b);

    /// <summary>y·2ⁿ for integral n in [−150, 128], rounded once (reaches the subnormals and +∞).</summary>
    static abstract TVec ScaleByPowerOfTwo(TVec y, TVec n);

    /// <summary>Splits positive normal u into m·2ᵏ with m in [√½, √2); returns m, k as float.</summary>
    static abstract TVec SplitExponent(TVec u, out TVec k);
}

/// <summary>
/// <see cref="ILanes{TVec}"/> for one float, so the scalar form runs the very same algorithm as the
/// vectors and a kernel's scalar tail gives bit-for-bit the numbers its vector body would (masks are
/// floats whose bits are all ones or all zeros).
/// </summary>
internal readonly struct Lanes1 : ILanes<float>
{
    private static readonly float s_allOnes = BitConverter.Int32BitsToSingle(-1);

    public static float Create(float value) => value;

    public static float Add(float a, float b) => a + b;

    public static float Subtract(float a, float b) => a - b;

    public static float Multiply(float a, float b) => a * b;

    public static float Divide(float a, float b) => a / b;

    // Fused only where the vectors are too, so scalar and vector results stay identical.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Fma(float a, float b, float c) =>
        X86.Fma.IsSupported || AdvSimd.IsSupported ? MathF.FusedMultiplyAdd(a, b, c) : (a * b) + c;

    public static float Min(float a, float b) => a < b ? a : b;

    public static float Max(float a, float b) => a > b ? a : b;

    public static float Sqrt(float x) => MathF.Sqrt(x);

    public static float And(float a, float b) => FromBits(Bits(a) & Bits(b));

    public static float Or(float a, float b) => FromBits(Bits(a) | Bits(b));

    public static float Xor(float a, float b) => FromBits(Bits(a) ^ Bits(b));

    public static float AndNot(float a, float b) => FromBits(Bits(a) & ~Bits(b));

    public static float LessThan(float a, float b) => Mask(a < b);

    public static float LessThanOrEqual(float a, float b) => Mask(a <= b);

    public static float GreaterThan(float a, float b) => Mask(a > b);

    public static float GreaterThanOrEqual(float a, float b) => Mask(a >= b);

    public static float Equal(float a, float b) => Mask(a == b);

    public static float Select(float mask, float a, float b) => Bits(mask) != 0 ? a : b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ScaleByPowerOfTwo(float y, float n)
    {
        int ni = (int)n;
        int n1 = ni >> 1;
        return y * FromBits((n1 + 127) << 23) * FromBits((ni - n1 + 127) << 23);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SplitExponent(float u, out float k)
    {
        int ix = Bits(u) - VectorMath.SqrtHalfBits;
        k = ix >> 23;
        return FromBits((ix & 0x007FFFFF) + VectorMath.SqrtHalfBits);
    }

    private static float Mask(bool condition) => condition ? s_allOnes : 0f;

    private static int Bits(float x) => BitConverter.SingleToInt32Bits(x);

    private static float FromBits(int bits) => BitConverter.Int32BitsToSingle(bits);
}

/// <summary><see cref="ILanes{TVec}"/> for four lanes.</summary>
internal readonly struct Lanes128 : ILanes<Vector128<float>>
{
    public static Vector128<float> Create(float value) => Vector128.Create(value);

    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;

    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;

    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;

    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) =>
        X86.Fma.IsSupported ? X86.Fma.MultiplyAdd(a, b, c)
        : AdvSimd.IsSupported ? AdvSimd.FusedMultiplyAdd(c, a, b)
        : (a * b) + c;

    // The native min/max: NaN lanes are undefined, which every caller repairs, and .NET 9's
    // IEEE Min/Max costs extra instructions.
#if NET9_0_OR_GREATER
    public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.MinNative(a, b);

    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.MaxNative(a, b);
#else
    public static Vector128<float> Min(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);

    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
#endif

    public static Vector128<float> Sqrt(Vector128<float> x) => Vector128.Sqrt(x);

    public static Vector128<float> And(Vector128<float> a, Vector128<float> b) => a & b;

    public static Vector128<float> Or(Vector128<float> a, Vector128<float> b) => a | b;

    public static Vector128<float> Xor(Vector128<float> a, Vector128<float> b) => a ^ b;

    public static Vector128<float> AndNot(Vector128<float> a, Vector128<float> b) => Vector128.AndNot(a, b);

    public static Vector128<float> LessThan(Vector128<float> a, Vector128<float> b) => Vector128.LessThan(a, b);

    public static Vector128<float> LessThanOrEqual(Vector128<float> a, Vector128<float> b) => Vector128.LessThanOrEqual(a, b);

    public static Vector128<float> GreaterThan(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThan(a, b);

    public static Vector128<float> GreaterThanOrEqual(Vector128<float> a, Vector128<float> b) => Vector128.GreaterThanOrEqual(a, b);

    public static Vector128<float> Equal(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);

    public static Vector128<float> Select(Vector128<float> mask, Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ScaleByPowerOfTwo(Vector128<float> y, Vector128<float> n)
    {
        // Two factors 2^(n/2) keep each one normal, so the one rounding is the final multiply's.
        Vector128<int> ni = Vector128.ConvertToInt32(n);
        Vector128<int> n1 = Vector128.ShiftRightArithmetic(ni, 1);
        Vector128<int> n2 = ni - n1;
        Vector128<float> s1 = Vector128.ShiftLeft(n1 + Vector128.Create(127), 23).AsSingle();
        Vector128<float> s2 = Vector128.ShiftLeft(n2 + Vector128.Create(127), 23).AsSingle();
        return y * s1 * s2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> SplitExponent(Vector128<float> u, out Vector128<float> k)
    {
        Vector128<int> ix = u.AsInt32() - Vector128.Create(VectorMath.SqrtHalfBits);
        k = Vector128.ConvertToSingle(Vector128.ShiftRightArithmetic(ix, 23));
        return ((ix & Vector128.Create(0x007FFFFF)) + Vector128.Create(VectorMath.SqrtHalfBits)).AsSingle();
    }
}

/// <summary><see cref="ILanes{TVec}"/> for eight lanes.</summary>
internal readonly struct Lanes256 : ILanes<Vector256<float>>
{
    public static Vector256<float> Create(float value) => Vector256.Create(value);

    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;

    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;

    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;

    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        X86.Fma.IsSupported ? X86.Fma.MultiplyAdd(a, b, c) : (a * b) + c;

    // The native min/max: NaN lanes are undefined, which every caller repairs, and .NET 9's
    // IEEE Min/Max costs extra instructions.
#if NET9_0_OR_GREATER
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.MinNative(a, b);

    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.MaxNative(a, b);
#else
    public static Vector256<float> Min(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);

    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
#endif

    public static Vector256<float> Sqrt(Vector256<float> x) => Vector256.Sqrt(x);

    public static Vector256<float> And(Vector256<float> a, Vector256<float> b) => a & b;

    public static Vector256<float> Or(Vector256<float> a, Vector256<float> b) => a | b;

    public static Vector256<float> Xor(Vector256<float> a, Vector256<float> b) => a ^ b;

    public static Vector256<float> AndNot(Vector256<float> a, Vector256<float> b) => Vector256.AndNot(a, b);

    public static Vector256<float> LessThan(Vector256<float> a, Vector256<float> b) => Vector256.LessThan(a, b);

    public static Vector256<float> LessThanOrEqual(Vector256<float> a, Vector256<float> b) => Vector256.LessThanOrEqual(a, b);

    public static Vector256<float> GreaterThan(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, b);

    public static Vector256<float> GreaterThanOrEqual(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThanOrEqual(a, b);

    public static Vector256<float> Equal(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);

    public static Vector256<float> Select(Vector256<float> mask, Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ScaleByPowerOfTwo(Vector256<float> y, Vector256<float> n)
    {
        Vector256<int> ni = Vector256.ConvertToInt32(n);
        Vector256<int> n1 = Vector256.ShiftRightArithmetic(ni, 1);
        Vector256<int> n2 = ni - n1;
        Vector256<float> s1 = Vector256.ShiftLeft(n1 + Vector256.Create(127), 23).AsSingle();
        Vector256<float> s2 = Vector256.ShiftLeft(n2 + Vector256.Create(127), 23).AsSingle();
        return y * s1 * s2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> SplitExponent(Vector256<float> u, out Vector256<float> k)
    {
        Vector256<int> ix = u.AsInt32() - Vector256.Create(VectorMath.SqrtHalfBits);
        k = Vector256.ConvertToSingle(Vector256.ShiftRightArithmetic(ix, 23));
        return ((ix & Vector256.Create(0x007FFFFF)) + Vector256.Create(VectorMath.SqrtHalfBits)).AsSingle();
    }
}

/// <summary><see cref="ILanes{TVec}"/> for sixteen lanes.</summary>
internal readonly struct Lanes512 : ILanes<Vector512<float>>
{
    public static Vector512<float> Create(float value) => Vector512.Create(value);

    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;

    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;

    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;

    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        X86.Fma.IsSupported && X86.Avx512F.IsSupported ? X86.Avx512F.FusedMultiplyAdd(a, b, c) : (a * b) + c;

    // The native min/max: NaN lanes are undefined, which every caller repairs, and .NET 9's
    // IEEE Min/Max costs extra instructions.
#if NET9_0_OR_GREATER
    public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.MinNative(a, b);

    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.MaxNative(a, b);
#else
    public static Vector512<float> Min(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);

    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
#endif

    public static Vector512<float> Sqrt(Vector512<float> x) => Vector512.Sqrt(x);

    public static Vector512<float> And(Vector512<float> a, Vector512<float> b) => a & b;

    public static Vector512<float> Or(Vector512<float> a, Vector512<float> b) => a | b;

    public static Vector512<float> Xor(Vector512<float> a, Vector512<float> b) => a ^ b;

    public static Vector512<float> AndNot(Vector512<float> a, Vector512<float> b) => Vector512.AndNot(a, b);

    public static Vector512<float> LessThan(Vector512<float> a, Vector512<float> b) => Vector512.LessThan(a, b);

    public static Vector512<float> LessThanOrEqual(Vector512<float> a, Vector512<float> b) => Vector512.LessThanOrEqual(a, b);

    public static Vector512<float> GreaterThan(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, b);

    public static Vector512<float> GreaterThanOrEqual(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThanOrEqual(a, b);

    public static Vector512<float> Equal(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a, b);

    public static Vector512<float> Select(Vector512<float> mask, Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ScaleByPowerOfTwo(Vector512<float> y, Vector512<float> n)
    {
        Vector512<int> ni = Vector512.ConvertToInt32(n);
        Vector512<int> n1 = Vector512.ShiftRightArithmetic(ni, 1);
        Vector512<int> n2 = ni - n1;
        Vector512<float> s1 = Vector512.ShiftLeft(n1 + Vector512.Create(127), 23).AsSingle();
        Vector512<float> s2 = Vector512.ShiftLeft(n2 + Vector512.Create(127), 23).AsSingle();
        return y * s1 * s2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> SplitExponent(Vector512<float> u, out Vector512<float> k)
    {
        Vector512<int> ix = u.AsInt32() - Vector512.Create(VectorMath.SqrtHalfBits);
        k = Vector512.ConvertToSingle(Vector512.ShiftRightArithmetic(ix, 23));
        return ((ix & Vector512.Create(0x007FFFFF)) + Vector512.Create(VectorMath.SqrtHalfBits)).AsSingle();
    }
}
