using System;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>The Linear backward products split over threads.</summary>
public static partial class LinearKernels
{
    // Below this many FLOPs per thread a call stays on one thread (as PackedGemm): waking a worker costs microseconds.
    private const long MinFlopsPerThread = 1_000_000;

    // Parts per thread of a split product, claimed as threads come free.
    private const int PartsPerThread = 4;

    // Rows of AxpyRows' widest tile; parts keep to multiples of it so no tile is cut in two.
    private const int AxpyTileRows = 6;

    /// <summary>
    /// <see cref="Gemm.AxpyRows"/> with C's rows split into a fixed partition of whole tiles. Each row of C is computed
    /// from its own row of A over the whole depth, in the same order whichever part it falls in, so the result is
    /// bitwise identical for any degree of parallelism.
    /// </summary>
    private sealed unsafe class AxpyRowsJob : ParallelJob
    {
        [ThreadStatic]
        private static AxpyRowsJob? t_job;

        private float* _a;
        private float* _b;
        private float* _c;
        private int _rs;
        private int _cs;
        private int _ldb;
        private int _rows;
        private int _depth;
        private int _length;
        private int _ldc;
        private bool _accumulate;
        private int _parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(ref float a, int rs, int cs, ref float b, int ldb, int rows, int depth, int length, ref float c, int ldc, bool accumulate)
        {
            int tiles = (rows + AxpyTileRows - 1) / AxpyTileRows;
            int threads = Math.Min(ParallelWork.ThreadsFor(2L * rows * depth * length, MinFlopsPerThread), tiles);
            if (threads <= 1)
            {
                Gemm.AxpyRows(ref a, rs, cs, ref b, ldb, rows, depth, length, ref c, ldc, accumulate);
                return;
            }

            AxpyRowsJob job = t_job ??= new AxpyRowsJob();
            fixed (float* pa = &a, pb = &b, pc = &c)
            {
                job._a = pa;
                job._b = pb;
                job._c = pc;
                (job._rs, job._cs, job._ldb, job._rows, job._depth, job._length, job._ldc) = (rs, cs, ldb, rows, depth, length, ldc);
                job._accumulate = accumulate;
                job._parts = Math.Min(tiles, PartsPerThread * threads); // as PackedGemm: a late worker delays the call by one part
                try
                {
                    ParallelWork.Run(job, job._parts, threads);
                }
                finally
                {
                    // Drop the pinned pointers.
                    job._a = null;
                    job._b = null;
                    job._c = null;
                }
            }
        }

        public override void Execute(int part)
        {
            (int t0, int t1) = ParallelWork.Slice((_rows + AxpyTileRows - 1) / AxpyTileRows, _parts, part);
            int r0 = t0 * AxpyTileRows, r1 = Math.Min(_rows, t1 * AxpyTileRows);
            if (r1 > r0)
            {
                Gemm.AxpyRows(ref _a[(nint)r0 * _rs], _rs, _cs, ref *_b, _ldb, r1 - r0, _depth, _length, ref _c[(nint)r0 * _ldc], _ldc, _accumulate);
            }
        }
    }
}
