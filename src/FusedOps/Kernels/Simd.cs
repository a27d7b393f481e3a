using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>Vector helpers the generated kernels call; each inlines to one or a few instructions.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class Simd
{
    /// <summary>a·b + c, fused where the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Fma(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        System.Runtime.Intrinsics.X86.Fma.IsSupported ? System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(a, b, c) : (a * b) + c;

    /// <summary>a·b + c, fused (AVX-512F).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
        Avx512F.IsSupported ? Avx512F.FusedMultiplyAdd(a, b, c) : (a * b) + c;

    /// <summary>a·b + c in float; fused where the hardware has FMA.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    /// <summary>Stores the first <paramref name="count"/> of 32 lanes held in two vectors.</summary>
    public static void StoreTail(Vector512<float> v0, Vector512<float> v1, ref float destination, int count)
    {
        Span<float> tmp = stackalloc float[32];
        v0.CopyTo(tmp);
        v1.CopyTo(tmp.Slice(16));
        tmp.Slice(0, count).CopyTo(MemoryMarshal.CreateSpan(ref destination, count));
    }

    /// <summary>Stores the first <paramref name="count"/> of 32 lanes held in four vectors.</summary>
    public static void StoreTail(Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3, ref float destination, int count)
    {
        Span<float> tmp = stackalloc float[32];
        v0.CopyTo(tmp);
        v1.CopyTo(tmp.Slice(8));
        v2.CopyTo(tmp.Slice(16));
        v3.CopyTo(tmp.Slice(24));
        tmp.Slice(0, count).CopyTo(MemoryMarshal.CreateSpan(ref destination, count));
    }

    /// <summary>Sum of all lanes, in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Vector512<float> v) => Vector512.Sum(v);

    /// <summary>Sum of all lanes, in double.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Vector256<float> v) => Vector256.Sum(v);
}
