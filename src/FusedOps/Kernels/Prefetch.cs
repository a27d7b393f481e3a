using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// Software prefetch for the passes that read a batch-sized array (a conv's z, a gradient) row by row while it comes from L3: the
/// hardware prefetcher alone left them waiting on it. A hint only, never a result: the values computed are the same bits with or
/// without it, and an address past an array's end is harmless (a prefetch never faults).
/// </summary>
internal static unsafe class Prefetch
{
    /// <summary>
    /// Floats ahead of the current read: 4 KB. Measured on the Fashion-MNIST gradient grid's pass over a batch in L3: 1 KB ahead took
    /// 0.46 ms, 2 to 8 KB 0.42 to 0.43 ms, none 0.55 to 0.65 ms.
    /// </summary>
    public const int Distance = 1024;

    /// <summary>Into L1, the line <see cref="Distance"/> floats past <paramref name="at"/> (a loop over a plane calls it once per step).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Line(ref float at)
    {
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref at, Distance)));
        }
    }

    /// <summary>Into L1, the lines of <paramref name="count"/> floats <see cref="Distance"/> past <paramref name="at"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Ahead(ref float at, int count)
    {
        if (Sse.IsSupported)
        {
            // The address only: a prefetch is a hint, so an array the GC moves meanwhile costs a wasted line, nothing else.
            float* p = (float*)Unsafe.AsPointer(ref Unsafe.Add(ref at, Distance));
            for (int i = 0; i < count; i += 16)
            {
                Sse.Prefetch0(p + i);
            }
        }
    }
}
