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

    // Columns of AxpyRows' widest tile (64 at 512 bits, two 32-wide tiles at 256): a column part starts on a multiple of it, so every
    // column goes through the same kernel (tile, single vector or scalar tail) as in one call over all columns.
    private const int AxpyTileColumns = 64;

    /// <summary>
    /// <see cref="Gemm.AxpyRows"/> with C split into a fixed partition of whole tiles: of its columns when C is wider than it is tall
    /// (each part then reads only its columns of B, and B is read once in all, as by one call: a Linear layer's input gradient
    /// dX = dZ·W and weight gradient dW += dZᵀ·X, whose B is the large W or X), else of its rows (each part reads all of B). Each
    /// element of C is computed from its row of A and its column of B over the whole depth, in the same order and by the same
    /// kernel whichever part it falls in, so the result is bitwise identical to one call, for any degree of parallelism.
    /// </summary>
    /// <remarks>
    /// Split by rows, Fashion-MNIST's 1568 → 128 Linear read its 800 KB W once per part in the input gradient (eight parts of a batch of 64:
    /// 6.4 MB a step where one call reads 0.8 MB), so two threads spent more time on it than one.
    /// </remarks>
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
        private bool _byColumns;
        private int _parts;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(ref float a, int rs, int cs, ref float b, int ldb, int rows, int depth, int length, ref float c, int ldc, bool accumulate)
        {
            int rowTiles = (rows + AxpyTileRows - 1) / AxpyTileRows, columnTiles = (length + AxpyTileColumns - 1) / AxpyTileColumns;
            bool byColumns = ByColumns(rows, length);
            int tiles = byColumns ? columnTiles : rowTiles;
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
                job._byColumns = byColumns;
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

        /// <summary>
        /// Whether a split cuts C's columns rather than its rows: when C is wider than tall (a part then re-reads A, rows × depth,
        /// instead of B, depth × length) and has at least two column tiles.
        /// </summary>
        public static bool ByColumns(int rows, int length) => length > rows && length >= 2 * AxpyTileColumns;

        public override void Execute(int part)
        {
            if (_byColumns)
            {
                (int c0, int c1) = ParallelWork.Slice((_length + AxpyTileColumns - 1) / AxpyTileColumns, _parts, part);
                int i0 = c0 * AxpyTileColumns, i1 = Math.Min(_length, c1 * AxpyTileColumns);
                if (i1 > i0)
                {
                    Gemm.AxpyRows(ref *_a, _rs, _cs, ref _b[i0], _ldb, _rows, _depth, i1 - i0, ref _c[i0], _ldc, _accumulate);
                }

                return;
            }

            (int t0, int t1) = ParallelWork.Slice((_rows + AxpyTileRows - 1) / AxpyTileRows, _parts, part);
            int r0 = t0 * AxpyTileRows, r1 = Math.Min(_rows, t1 * AxpyTileRows);
            if (r1 > r0)
            {
                Gemm.AxpyRows(ref _a[(nint)r0 * _rs], _rs, _cs, ref *_b, _ldb, r1 - r0, _depth, _length, ref _c[(nint)r0 * _ldc], _ldc, _accumulate);
            }
        }
    }
}
