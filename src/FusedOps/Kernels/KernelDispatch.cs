using System;
using System.ComponentModel;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// Which instruction set the kernels use. <see cref="Level"/> is what generated code switches on first:
/// 2 = Vector512 (AVX-512F), 1 = Vector256 (AVX2 + FMA), 0 = neither. <see cref="RuntimeBits"/> is what
/// the runtime kernels switch on and adds a 128-bit path (SSE / AdvSimd) between 256 and scalar; at Level 0
/// the generated convolutions' register blocks (direct, grid, pooled, banded and Maxout forms, inference and
/// training's forward) take their Vector128 path when <see cref="RuntimeBits"/> is 128 and their scalar path
/// only when it is 0. Both are chosen once from the hardware; <see cref="KernelOptions.MaxVectorBits"/> can lower them.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KernelDispatch
{
    /// <summary>The best level this machine supports.</summary>
    public static readonly int HardwareLevel =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Fma.IsSupported ? 2
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? 1
        : 0;

    /// <summary>The widest vectors, in bits, the runtime kernels can use on this machine: 512, 256, 128 or 0.</summary>
    public static readonly int HardwareBits =
        HardwareLevel == 2 ? 512 : HardwareLevel == 1 ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;

    /// <summary>The level generated code uses now (at 0 it also reads <see cref="RuntimeBits"/>: 128 or scalar).</summary>
    public static int Level { get; internal set; } = HardwareLevel;

    /// <summary>The vector width, in bits, the runtime kernels use now: 512, 256, 128 or 0 (scalar).</summary>
    public static int RuntimeBits { get; private set; } = HardwareBits;

    // Both notions from one requested width, neither above the hardware's.
    internal static void SetBits(int bits)
    {
        RuntimeBits = Math.Min(bits, HardwareBits);
        Level = Math.Min(bits >= 512 ? 2 : bits >= 256 ? 1 : 0, HardwareLevel);
    }
}
