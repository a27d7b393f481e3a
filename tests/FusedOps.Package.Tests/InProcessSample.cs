using System;
using FusedOps.Samples.Aot;
using static System.FormattableString;

namespace FusedOps.Package.Tests;

/// <summary>
/// The sample's workload run in this process (JIT, in-repo runtime and generator): the lines every
/// other build of the same source (NuGet consumer, NativeAOT) must print, bit for bit.
/// </summary>
internal static class InProcessSample
{
    private static readonly object Gate = new();

    /// <summary>The sample's two output lines at the widest kernels this process accelerates.</summary>
    public static string[] ExpectedOutput() => ExpectedOutput(KernelOptions.MaxVectorBits);

    /// <summary>The sample's two output lines with kernels limited to <paramref name="maxVectorBits"/>.</summary>
    public static string[] ExpectedOutput(int maxVectorBits)
    {
        // KernelOptions is process-wide; the package collection runs alone, and the lock keeps the
        // switch and the run together even so.
        lock (Gate)
        {
            int saved = KernelOptions.MaxVectorBits;
            try
            {
                KernelOptions.MaxVectorBits = maxVectorBits;
                return [Invariant($"kernel {KernelOptions.MaxVectorBits} bits"), Workload.Run()];
            }
            finally
            {
                KernelOptions.MaxVectorBits = saved;
            }
        }
    }

    /// <summary>The non-empty lines of a program's output, trimmed.</summary>
    public static string[] Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
