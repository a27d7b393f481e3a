using System;

namespace FusedOps.Tests;

/// <summary>Steady-state allocation checks that other tests running at the same time cannot fail by accident.</summary>
internal static class SteadyAllocations
{
    /// <summary>
    /// Bytes the current thread allocated in the cleanest of up to <paramref name="windows"/> windows of
    /// <paramref name="calls"/> calls to <paramref name="step"/> (0 as soon as one window allocates nothing). Code that
    /// allocates on every call allocates in every window. One window may not be clean for reasons of the process, not
    /// the code: arrays rented from <c>ArrayPool&lt;float&gt;.Shared</c> (the trainer's; inference rented from it too before
    /// <c>CallBuffers</c>) are dropped when a gen-2 collection finds memory pressure (other tests' allocations), so the next
    /// rent allocates once (seen in CI: 4,880 and 5,168 bytes, once each).
    /// </summary>
    public static long Cleanest(Action step, int windows = 4, int calls = 5)
    {
        long cleanest = long.MaxValue;
        for (int window = 0; window < windows && cleanest != 0; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < calls; i++)
            {
                step();
            }

            cleanest = Math.Min(cleanest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return cleanest;
    }
}
