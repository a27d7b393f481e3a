using System;
using System.ComponentModel;

namespace FusedOps.Kernels;

/// <summary>
/// The fixed partition of a generated per-sample Conv2d training loop (strided, grouped or dilated layers) and the reductions of
/// its parts' partial results: each part adds its samples in order into its own partial weight and bias gradients and channel
/// sums, and the partials are added in part order afterwards. The partition depends only on the batch size and the layer's
/// work, never on the thread count, so the results are bitwise identical for any <see cref="KernelOptions.MaxDegreeOfParallelism"/>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PartSums
{
    /// <summary>Most parts a batch is cut into (as <see cref="Conv2dTrainer.MaxParts"/>).</summary>
    public const int MaxParts = 8;

    /// <summary>Floating-point operations below which a thread is not worth waking (as the other convolution passes).</summary>
    public const long MinFlopsPerThread = 1_000_000;

    /// <summary>
    /// The parts of <paramref name="n"/> samples of <paramref name="flopsPerSample"/> each: one when the call is too small for
    /// two threads (no partial sums to add then beyond the one), else one per sample up to <see cref="MaxParts"/>.
    /// </summary>
    public static int Parts(int n, long flopsPerSample) => n * flopsPerSample >= 2 * MinFlopsPerThread ? Math.Min(n, MaxParts) : 1;

    /// <summary>
    /// The threads for <paramref name="n"/> samples of <paramref name="flopsPerSample"/> each: one per
    /// <see cref="MinFlopsPerThread"/>, at most <see cref="KernelOptions.MaxDegreeOfParallelism"/>.
    /// </summary>
    public static int Threads(int n, long flopsPerSample) => ParallelWork.ThreadsFor(n * flopsPerSample, MinFlopsPerThread);

    /// <summary><paramref name="target"/>[i] += Σ over parts p in order of <paramref name="partials"/>[p · length + i], length = target's.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partials"/> shorter than <paramref name="parts"/> targets.</exception>
    public static void AddTo(ReadOnlySpan<float> partials, int parts, Span<float> target)
    {
        int length = target.Length;
        Check(partials.Length, parts, length);
        for (int i = 0; i < length; i++)
        {
            float a = partials[i];
            for (int p = 1; p < parts; p++)
            {
                a += partials[(p * length) + i];
            }

            target[i] += a;
        }
    }

    /// <summary>
    /// The channel sums of the parts, each part's Σ then Σ² (<paramref name="sum"/>'s length each): <paramref name="sum"/> and
    /// <paramref name="sumSq"/> set to their sums over the parts in order.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="partials"/> shorter than two sums per part.</exception>
    public static void Sum(ReadOnlySpan<double> partials, int parts, Span<double> sum, Span<double> sumSq)
    {
        int length = sum.Length;
        Check(partials.Length, parts, 2 * length);
        for (int o = 0; o < length; o++)
        {
            double a = 0, b = 0;
            for (int p = 0; p < parts; p++)
            {
                a += partials[(p * 2 * length) + o];
                b += partials[(((p * 2) + 1) * length) + o];
            }

            sum[o] = a;
            sumSq[o] = b;
        }
    }

    private static void Check(int partials, int parts, int length)
    {
        if (parts < 1 || (long)parts * length > partials)
        {
            throw new ArgumentOutOfRangeException(
                nameof(parts), parts, $"{parts} parts of {length} values need {(long)parts * length} partials (at least one part); {partials} given.");
        }
    }
}
