using System;
using FusedOps.Kernels;

namespace FusedOps.Training;

/// <summary>
/// An optimiser's update of one large tensor split over the cores (Adam on a 200,000-weight Linear takes about 0.3 ms on one, memory-
/// bound): contiguous slices cut at whole vectors, each run by <see cref="UpdateLoop.RunSerial"/>. The update is elementwise and the
/// tail goes through the same vector code wherever it sits, so every element gets the same bits for any split.
/// </summary>
internal sealed unsafe class UpdateJob<TKernel> : ParallelJob
    where TKernel : struct, IUpdateKernel
{
    /// <summary>Elements per thread below which a split costs more than it saves (waking a worker is a few µs).</summary>
    public const int MinPerPart = 32 * 1024;

    // Slices per thread. One slice a thread made the caller wait for a worker that came late or ran slower (the memory-bound
    // update of Fashion-MNIST's 200,000-weight Linear: the caller waited 15-50 µs of its 160 at 2 threads); with four, a late
    // worker delays the call by one slice.
    private const int PartsPerThread = 4;

    [ThreadStatic]
    private static UpdateJob<TKernel>? t_job;

    private TKernel _kernel;
    private int _length, _parts;
    private float* _p, _g, _a, _b, _c;

    /// <summary>
    /// Runs the update on up to <paramref name="threads"/> threads, in <see cref="PartsPerThread"/> slices a thread claimed as threads
    /// come free; state spans are as long as <paramref name="p"/> or empty.
    /// </summary>
    public static void Run(in TKernel kernel, Span<float> p, ReadOnlySpan<float> g, Span<float> a, Span<float> b, Span<float> c, int threads)
    {
        int parts = Math.Max(1, Math.Min(PartsPerThread * threads, p.Length / System.Numerics.Vector<float>.Count));
        UpdateJob<TKernel> job = t_job ??= new UpdateJob<TKernel>();
        fixed (float* pp = p, pg = g, pa = a, pb = b, pc = c)
        {
            (job._kernel, job._length, job._parts) = (kernel, p.Length, parts);
            job._p = pp;
            job._g = pg;
            job._a = pa;
            job._b = pb;
            job._c = pc;
            try
            {
                ParallelWork.Run(job, parts, threads);
            }
            finally
            {
                job._p = job._g = job._a = job._b = job._c = null;
            }
        }
    }

    /// <inheritdoc/>
    public override void Execute(int part)
    {
        int width = System.Numerics.Vector<float>.Count;
        (int v0, int v1) = ParallelWork.Slice(_length / width, _parts, part);
        int start = v0 * width, end = part == _parts - 1 ? _length : v1 * width, count = end - start;
        UpdateLoop.RunSerial(_kernel, new Span<float>(_p + start, count), new ReadOnlySpan<float>(_g + start, count), Slice(_a, start, count),
            Slice(_b, start, count), Slice(_c, start, count));
    }

    // A state tensor's slice; an absent one (null) stays empty.
    private static Span<float> Slice(float* state, int start, int count) => state == null ? default : new Span<float>(state + start, count);
}
