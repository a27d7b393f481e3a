using System;
using FusedOps.Kernels;

namespace FusedOps;

/// <summary>Process-wide switches for the generated kernels and the runtime kernels they call.</summary>
public static class KernelOptions
{
    private static int _maxDegreeOfParallelism = Environment.ProcessorCount;
    private static volatile bool _warmUp;

    /// <summary>
    /// Widest vectors the kernels may use: 512, 256, 128 or 0 (scalar). Defaults to the widest the
    /// hardware accelerates; setting a wider width than the hardware has keeps the hardware's.
    /// Meant for testing every code path on one machine and for comparing them.
    /// </summary>
    /// <remarks>
    /// At 128 the runtime kernels use <see cref="System.Runtime.Intrinsics.Vector128{T}"/>, and so do the generated convolutions'
    /// register blocks (<see cref="KernelDispatch.Level"/> 0 with <see cref="KernelDispatch.RuntimeBits"/> 128): inference's
    /// direct, grid, pooled, banded and Maxout kernels and training's per-sample forward; the folded model's Winograd
    /// F(2 × 2, 3 × 3) route runs Vector128 transforms and products. The layers of the output-channels-in-lanes route (512 bits)
    /// and of the 256-bit-only Winograd routes take the generated kernels' 128-bit path.
    /// </remarks>
    public static int MaxVectorBits
    {
        get => KernelDispatch.RuntimeBits;
        set
        {
            int wanted = value switch
            {
                >= 512 => 512,
                >= 256 => 256,
                >= 128 => 128,
                0 => 0,
                _ => throw new ArgumentOutOfRangeException(nameof(value), value, "MaxVectorBits must be 0, 128, 256 or 512."),
            };
            KernelDispatch.SetBits(wanted);
        }
    }

    /// <summary>
    /// Most threads one call may use, the calling thread included: at least 1, at most 64; defaults to
    /// <see cref="Environment.ProcessorCount"/>. Results do not depend on it: work is split in a fixed
    /// partition and every sum is taken in a fixed order, so outputs are bitwise identical for any value.
    /// Calls too small to gain from a split run on the calling thread whatever the value.
    /// </summary>
    public static int MaxDegreeOfParallelism
    {
        get => _maxDegreeOfParallelism;
        set
        {
            if (value is < 1 or > 64)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "MaxDegreeOfParallelism must be between 1 and 64.");
            }

            _maxDegreeOfParallelism = value;
        }
    }

    /// <summary>
    /// Whether building a model of a generated type also compiles its inference code on a background thread, once per type and
    /// process, so that the first <c>Frozen.Infer</c> finds it compiled (default: off). Only where the runtime compiles code (not
    /// under NativeAOT) and on machines with two cores or more.
    /// </summary>
    /// <remarks>
    /// The background thread builds a model of the same type of its own (weights not drawn), its folded inference model with
    /// the weight packings skipped, and runs that on zero input (one sample, then a full chunk) on one thread, while the
    /// caller's thread is in its constructor and <c>Freeze()</c>. It never touches the caller's model. It pays only where a
    /// second core is truly free: on the 2-vCPU host of docs/performance.md ("First calls") it took case M's first result from
    /// 62–70 to 50–58 ms (its first call from 33–38 to 16–22 ms) but made B's, C's and S2's 4–6 ms slower (two threads there
    /// do not run at full speed each), so it is off unless turned on.
    /// </remarks>
    public static bool WarmUp
    {
        get => _warmUp;
        set => _warmUp = value;
    }
}
