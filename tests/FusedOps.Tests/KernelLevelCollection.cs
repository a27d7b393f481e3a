using System;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Tests that lower <see cref="KernelOptions.MaxVectorBits"/> or change <see cref="KernelOptions.MaxDegreeOfParallelism"/>
/// belong here: both are process-wide, so they must not run alongside anything else.
/// </summary>
[CollectionDefinition("KernelLevel", DisableParallelization = true)]
public sealed class KernelLevelCollection
{
    /// <summary>Runs <paramref name="body"/> with the kernels limited to <paramref name="bits"/>, then restores the level.</summary>
    public static void AtLevel(int bits, Action body)
    {
        int saved = KernelOptions.MaxVectorBits;
        try
        {
            KernelOptions.MaxVectorBits = bits;
            Assert.Equal(Math.Min(bits, KernelDispatch.HardwareBits), KernelOptions.MaxVectorBits);
            body();
        }
        finally
        {
            KernelOptions.MaxVectorBits = saved;
        }
    }

    /// <summary>Runs <paramref name="body"/> with <see cref="KernelOptions.MaxDegreeOfParallelism"/> set to <paramref name="threads"/>, then restores it.</summary>
    public static void AtThreads(int threads, Action body)
    {
        int saved = KernelOptions.MaxDegreeOfParallelism;
        try
        {
            KernelOptions.MaxDegreeOfParallelism = threads;
            body();
        }
        finally
        {
            KernelOptions.MaxDegreeOfParallelism = saved;
        }
    }
}
