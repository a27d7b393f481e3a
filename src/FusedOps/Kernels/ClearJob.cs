using System;

namespace FusedOps.Kernels;

/// <summary>
/// Zeroes long arrays split over the cores: <see cref="ParameterList.ZeroGrad"/>'s large gradients (Fashion-MNIST's Linear
/// weight gradient is 200,704 floats, 0.8 MB), which the caller otherwise cleared alone between two parallel calls while the
/// other threads waited. Zero is zero, so the split changes no bit.
/// </summary>
internal sealed class ClearJob : ParallelJob
{
    /// <summary>Floats per thread below which a split costs more than it saves (a clear runs at tens of GB/s).</summary>
    public const int MinPerThread = 64 * 1024;

    // Slices per thread, claimed as threads come free (a worker that arrives late takes fewer).
    private const int PartsPerThread = 4;

    [ThreadStatic]
    private static ClearJob? t_job;

    private float[] _array = [];
    private int _parts;

    /// <summary>Sets every element of <paramref name="array"/> to zero, on several threads when it is long enough.</summary>
    public static void Clear(float[] array)
    {
        int threads = ParallelWork.ThreadsFor(array.Length, MinPerThread);
        if (threads <= 1)
        {
            Array.Clear(array);
            return;
        }

        ClearJob job = t_job ??= new ClearJob();
        (job._array, job._parts) = (array, PartsPerThread * threads);
        try
        {
            ParallelWork.Run(job, job._parts, threads);
        }
        finally
        {
            job._array = [];
        }
    }

    /// <inheritdoc/>
    public override void Execute(int part)
    {
        // Slices of whole cache lines (16 floats), the last one taking the rest.
        int lines = _array.Length / 16;
        (int l0, int l1) = ParallelWork.Slice(lines, _parts, part);
        int end = part == _parts - 1 ? _array.Length : l1 * 16;
        _array.AsSpan(l0 * 16, end - (l0 * 16)).Clear();
    }
}
