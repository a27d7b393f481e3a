namespace FusedOps.Kernels;

/// <content>PackTransposed split over threads.</content>
public static partial class PackedGemm
{
    /// <summary>
    /// <see cref="PackTransposed"/>'s panels split over <see cref="ParallelWork"/>'s threads. A training step packs every Linear
    /// weight again after the optimiser changed it, on the calling thread between two parallel calls: Fashion-MNIST's
    /// 128 × 1568 weight took 100-140 µs there, a few per cent of a 2-thread step. A panel is a copy of its own columns of W,
    /// so the packed bits are the same whichever thread packs it.
    /// </summary>
    private sealed unsafe class PackJob : ParallelJob
    {
        // Floats a thread should pack at least (a 16-column panel of a 2,048-deep W): below, waking a worker costs more than it saves.
        private const long MinFloatsPerThread = 32 * 1024;

        // Parts per thread, claimed as threads come free: a late worker delays the call by one part.
        private const int PartsPerThread = 4;

        [System.ThreadStatic]
        private static PackJob? t_job;

        private float* _w;
        private float* _packed;
        private int _cols, _depth, _parts;

        // Packs on up to MaxDegreeOfParallelism threads; false (nothing done) when one thread is enough.
        public static bool TryRun(float* w, float* packed, int cols, int depth)
        {
            int panels = Panels(cols);
            int threads = System.Math.Min(ParallelWork.ThreadsFor((long)cols * depth, MinFloatsPerThread), panels);
            if (threads <= 1)
            {
                return false;
            }

            PackJob job = t_job ??= new PackJob();
            job._w = w;
            job._packed = packed;
            (job._cols, job._depth, job._parts) = (cols, depth, System.Math.Min(panels, PartsPerThread * threads));
            try
            {
                ParallelWork.Run(job, job._parts, threads);
            }
            finally
            {
                job._w = job._packed = null; // the caller's arrays are pinned only during the call
            }

            return true;
        }

        public override void Execute(int part)
        {
            (int p0, int p1) = ParallelWork.Slice(Panels(_cols), _parts, part);
            PackTransposedPanels(_w, _packed, _cols, _depth, p0, p1);
        }
    }
}
