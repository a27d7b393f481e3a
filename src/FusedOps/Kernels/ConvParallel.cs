using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>
/// One generated convolution's work (an inference pass, or an off-grid training loop over samples), split into parts that each
/// write their own outputs (a training part: its samples' outputs and its own partial sums, added in part order afterwards).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public interface IConvParts
{
    /// <summary>
    /// Runs part <paramref name="part"/> of <paramref name="parts"/>: its samples, or its panels of one sample. What a part
    /// computes depends only on the problem and the part (no reductions across parts inside the run), so the outputs are the
    /// same bits for any number of threads.
    /// </summary>
    void Run(ref float x, ref float y, ref float res, ref float scratch, int part, int parts);
}

/// <summary>
/// Runs a generated convolution's <see cref="IConvParts"/> on up to <see cref="KernelOptions.MaxDegreeOfParallelism"/>
/// threads through <see cref="ParallelWork"/>. The generated code lives in the user's assembly and holds its buffers by
/// reference; this pins them for the call and hands the parts pointers, through a job cached per calling thread and
/// body type, so a call allocates nothing.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class ConvParallel
{
    [ThreadStatic]
    private static float[]? t_scratch;

    [ThreadStatic]
    private static int t_scratchStart; // t_scratch's first element on a 64-byte boundary

    [ThreadStatic]
    private static float[]? t_callScratch;

    [ThreadStatic]
    private static int t_callScratchStart;

    /// <summary>
    /// This thread's scratch of at least <paramref name="length"/> floats (kept for the thread's life): a part's panel and
    /// padding space, so parts can outnumber threads and be claimed as threads come free.
    /// </summary>
    /// <remarks>It starts on a 64-byte boundary (a pinned array, 16 floats longer): the kernels' 512-bit loads and stores of
    /// it never split a cache line, which a generated depthwise convolution's backward measured 1.3× faster for.</remarks>
    public static ref float ThreadScratch(int length) => ref Aligned(ref t_scratch, ref t_scratchStart, length);

    /// <summary>
    /// This thread's call scratch of at least <paramref name="length"/> floats, on a 64-byte boundary and kept for the thread's
    /// life (no allocation per call): a generated <c>Infer</c>'s own scratch, such as one sample's padded input that every part
    /// reads. It is not <see cref="ThreadScratch"/>, which the parts run on this thread use for their panels at the same time.
    /// </summary>
    public static ref float CallScratch(int length) => ref Aligned(ref t_callScratch, ref t_callScratchStart, length);

    // The slot's array from its aligned start, replaced by a longer one when it is too short.
    private static ref float Aligned(ref float[]? slot, ref int start, int length)
    {
        float[]? scratch = slot;
        if (scratch is null || scratch.Length - start < length)
        {
            slot = scratch = AlignedScratch(length, out start);
        }

        return ref scratch[start];
    }

    /// <summary>
    /// A pinned array of at least <paramref name="length"/> floats from element <paramref name="start"/> on, which starts on a
    /// 64-byte boundary: the generated training kernels' scratch (<c>ref _scratch[_scratchAt]</c>).
    /// </summary>
    /// <param name="length">Floats needed from <paramref name="start"/>.</param>
    /// <param name="start">The first element on a 64-byte boundary (0 to 15).</param>
    public static float[] AlignedScratch(int length, out int start)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        float[] array = GC.AllocateArray<float>(checked(length + 16), pinned: true);
        start = AlignedStart(array);
        return array;
    }

    // The index of the first element of a pinned array on a 64-byte boundary.
    private static int AlignedStart(float[] pinned)
    {
        fixed (float* p = pinned)
        {
            return (int)((-(nint)p >> 2) & 15);
        }
    }

    /// <summary>
    /// Runs every part of <paramref name="body"/>: inline on the calling thread when <paramref name="threads"/> is 1,
    /// else claimed part by part by the calling thread and the workers.
    /// </summary>
    public static void Run<TBody>(TBody body, ref float x, ref float y, ref float res, ref float scratch, int parts, int threads)
        where TBody : struct, IConvParts
    {
        if (parts <= 1 || threads <= 1)
        {
            for (int part = 0; part < parts; part++)
            {
                body.Run(ref x, ref y, ref res, ref scratch, part, parts);
            }

            return;
        }

        fixed (float* px = &x, py = &y, pr = &res, ps = &scratch)
        {
            Job<TBody> job = Job<TBody>.ForThisThread();
            job.Set(body, px, py, pr, ps, parts);
            try
            {
                ParallelWork.Run(job, parts);
            }
            finally
            {
                job.Set(default, null, null, null, null, 0);
            }
        }
    }

    private sealed class Job<TBody> : ParallelJob
        where TBody : struct, IConvParts
    {
        [ThreadStatic]
        private static Job<TBody>? t_job;

        private TBody _body;
        private float* _x;
        private float* _y;
        private float* _res;
        private float* _scratch;
        private int _parts;

        public static Job<TBody> ForThisThread() => t_job ??= new Job<TBody>();

        public void Set(TBody body, float* x, float* y, float* res, float* scratch, int parts)
        {
            _body = body;
            _x = x;
            _y = y;
            _res = res;
            _scratch = scratch;
            _parts = parts;
        }

        public override void Execute(int part) =>
            _body.Run(ref Unsafe.AsRef<float>(_x), ref Unsafe.AsRef<float>(_y), ref Unsafe.AsRef<float>(_res), ref Unsafe.AsRef<float>(_scratch), part, _parts);
    }
}
