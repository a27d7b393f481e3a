using System.ComponentModel;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// Which instruction set the generated kernels use: 2 = Vector512 (AVX-512F), 1 = Vector256 (AVX2 + FMA),
/// 0 = scalar. Chosen once from the hardware; <see cref="KernelOptions.MaxVectorBits"/> can lower it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class KernelDispatch
{
    /// <summary>The best level this machine supports.</summary>
    public static readonly int HardwareLevel =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported && Fma.IsSupported ? 2
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported && Fma.IsSupported ? 1
        : 0;

    /// <summary>The level generated code uses now.</summary>
    public static int Level { get; internal set; } = HardwareLevel;
}
