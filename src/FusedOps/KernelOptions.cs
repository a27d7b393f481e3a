using System;
using FusedOps.Kernels;

namespace FusedOps;

/// <summary>Process-wide switches for the generated kernels.</summary>
public static class KernelOptions
{
    /// <summary>
    /// Widest vectors the kernels may use: 512, 256 or 0 (scalar). Defaults to the widest the
    /// hardware accelerates; setting a wider width than the hardware has keeps the hardware's.
    /// Meant for testing every code path on one machine and for comparing them.
    /// </summary>
    public static int MaxVectorBits
    {
        get => KernelDispatch.Level switch { 2 => 512, 1 => 256, _ => 0 };
        set
        {
            int wanted = value switch
            {
                >= 512 => 2,
                >= 256 => 1,
                0 => 0,
                _ => throw new ArgumentOutOfRangeException(nameof(value), value, "MaxVectorBits must be 0, 256 or 512."),
            };
            KernelDispatch.Level = Math.Min(wanted, KernelDispatch.HardwareLevel);
        }
    }
}
