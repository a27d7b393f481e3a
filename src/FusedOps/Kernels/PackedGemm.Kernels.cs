using System;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>The call's arguments as pinned pointers (so worker threads can share them), the split, and the scalar kernel.</summary>
public static partial class PackedGemm
{
    // Below this many FLOPs per thread a call stays on one thread: waking a worker costs microseconds.
    private const long MinFlopsPerThread = 1_000_000;

    // Parts per thread of a split product (see GemmJob.Run).
    private const int PartsPerThread = 4;

    // Rows of the register tile at 512 and 256 bits; partitions over rows keep to multiples of it.
    private const int TileRows = 6;

    // Rows of the largest tile (16 × 16 at 512 bits): the parked tile's room in GemmCall.Scratch, 32 floats a row.
    private const int ParkRows = 16;

    // The tiles' depth loops are not generic: each parks its raw accumulators in Scratch (16 × 32 floats, on this range's
    // stack, 64-byte aligned) and the epilogue (generic over the activation and the column operator) finishes them out of
    // line. So no call and no epilogue code sits in a tile while its accumulators are live (a call there made the JIT spill
    // every accumulator on each step of the depth loop: 64 × 784 -> 256 at Vector512 took 4x the time), and each tile is
    // compiled once per process, small, whatever the activations (the first Frozen.Infer of a Linear model spent most of
    // its time compiling tiles with 24 epilogues inlined in each, once per activation).
    // A call with a column operator runs on its own instantiation of the epilogue (ColumnEpilogue), so the plain one has
    // none of its branches.
    [SkipLocalsInit] // the scratch is written (parked) before it is read: no need to zero 2 KB per call
    private static unsafe void RunRange<TAct>(in GemmCall g, TAct act, int p0, int p1, int r0, int r1)
        where TAct : struct, IActivationOperator
    {
        float* buffer = stackalloc float[(ParkRows * 2 * PanelWidth) + PanelWidth];
        GemmCall call = g with { Scratch = (float*)(((nint)buffer + 63) & ~(nint)63) };
        if (g.Column != ColumnOperator.None || g.Activated != null)
        {
            RunRangeCore(in call, new ColumnEpilogue<TAct>(act), p0, p1, r0, r1);
            return;
        }

        RunRangeCore(in call, act, p0, p1, r0, r1);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RunRangeCore<TAct>(in GemmCall g, TAct act, int p0, int p1, int r0, int r1)
        where TAct : struct, IActivationOperator
    {
        switch (KernelDispatch.RuntimeBits)
        {
            case 512:
                Range512(in g, act, p0, p1, r0, r1);
                break;
            case 256:
                Range256(in g, act, p0, p1, r0, r1);
                break;
            case 128:
                Range128(in g, act, p0, p1, r0, r1);
                break;
            default:
                RangeScalar(in g, act, p0, p1, r0, r1);
                break;
        }
    }

    // One element at a time, summed over the depth in order (as every vector kernel does per lane).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RangeScalar<TAct>(in GemmCall g, TAct act, int p0, int p1, int r0, int r1)
        where TAct : struct, IActivationOperator
    {
        // A fused Maxout (MultiplyMaxout) reduces each panel's 16 columns once they are all computed.
        float* lanes = stackalloc float[PanelWidth];
        bool maxout = act is IColumnEpilogue && g.Column == ColumnOperator.Maxout, runs = act is IColumnEpilogue && g.Column == ColumnOperator.MaxoutRuns;
        for (int r = r0; r < r1; r++)
        {
            float* a = g.A + ((nint)r * g.ARowStride);
            float* c = g.C + ((nint)r * g.Ldc);
            for (int p = p0; p < p1; p++)
            {
                float* panel = g.B + ((nint)p * g.Depth * PanelWidth);
                int width = Math.Min(PanelWidth, g.Cols - (p * PanelWidth));
                for (int j = 0; j < width; j++)
                {
                    float s = 0;
                    float* at = a;
                    for (int t = 0; t < g.Depth; t++, at += g.AColStride)
                    {
                        s += *at * panel[(t * PanelWidth) + j];
                    }

                    int col = (p * PanelWidth) + j;
                    if (maxout || runs)
                    {
                        lanes[j] = g.Finish(act, s, col, 0f);
                        continue;
                    }

                    g.Put(act, s, c + col, col);
                }

                if (maxout)
                {
                    StoreMaxout(in g, lanes, r, p * PanelWidth);
                }
                else if (runs)
                {
                    StoreMaxoutRuns(in g, lanes, width, r, p * PanelWidth);
                }
            }
        }
    }

    // The A rows of a 6-row tile from row r; rows at or past rEnd re-read row rEnd − 1 (in bounds) and are not stored.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void TileRows6(in GemmCall g, int r, int rEnd, out float* a0, out float* a1, out float* a2, out float* a3, out float* a4, out float* a5)
    {
        int last = rEnd - 1;
        nint rs = g.ARowStride;
        a0 = g.A + (r * rs);
        a1 = g.A + (Math.Min(r + 1, last) * rs);
        a2 = g.A + (Math.Min(r + 2, last) * rs);
        a3 = g.A + (Math.Min(r + 3, last) * rs);
        a4 = g.A + (Math.Min(r + 4, last) * rs);
        a5 = g.A + (Math.Min(r + 5, last) * rs);
    }

    /// <summary>
    /// The arguments of one product; the pointers are pinned by <see cref="Multiply{TAct}"/> for the call's duration. <c>b</c> is the
    /// packed buffer as <see cref="Pack"/> received it; <see cref="B"/> its panels.
    /// </summary>
    internal readonly unsafe struct GemmCall(float* a, int rows, int depth, int aRowStride, int aColStride, float* b, int cols, float* c, int ldc, float* scale, float* shift, bool accumulate)
    {
        public readonly float* A = a;
        public readonly int Rows = rows;
        public readonly int Depth = depth;
        public readonly int ARowStride = aRowStride;
        public readonly int AColStride = aColStride;
        public readonly float* B = b + PanelOffset(b, depth, cols); // the panels, where the packing put them
        public readonly int Cols = cols;
        public readonly float* C = c;
        public readonly int Ldc = ldc;
        public readonly float* Scale = scale;
        public readonly float* Shift = shift;
        public readonly bool Accumulate = accumulate;

        /// <summary>The per-column operator after the activation (<see cref="MultiplyColumns{TAct}"/>); none by default.</summary>
        public ColumnOperator Column { get; init; }

        /// <summary>PReLU's slope per column, for <see cref="ColumnOperator.Slope"/>; RReLU's per element (as C) for <see cref="ColumnOperator.RandomSlope"/>.</summary>
        public float* Slopes { get; init; }

        /// <summary>For <see cref="ColumnOperator.Maxout"/>: the pieces, and the output (<see cref="OutCols"/> floats per row).</summary>
        public int Pieces { get; init; }

        /// <summary>For <see cref="ColumnOperator.Maxout"/>: the output, row-major.</summary>
        public float* Out { get; init; }

        /// <summary>For <see cref="ColumnOperator.Maxout"/>: output features per row.</summary>
        public int OutCols { get; init; }

        /// <summary>
        /// Training (<c>MultiplyKeep</c>): when set, C receives the product before the activation (z = scale·s + shift, kept for
        /// the derivative) and this, with C's row stride, receives column(act(z)).
        /// </summary>
        public float* Activated { get; init; }

        /// <summary>
        /// Training with a residual add (<c>MultiplyKeep</c> with a residual): added to z after the shift, as C is laid out, so C
        /// keeps u = (scale·s + shift) + residual and <see cref="Activated"/> receives column(act(u)); null: none.
        /// </summary>
        public float* Residual { get; init; }

        /// <summary>For <see cref="ColumnOperator.MaxoutRuns"/>: the winning piece of each output (<see cref="OutCols"/> per row).</summary>
        public int* Winners { get; init; }

        /// <summary>
        /// Panels per unit of a split over panels (0: 2): a multiple of a blocked Maxout's pieces, so a thread's part never cuts
        /// the panels of one output's pieces (<c>MultiplyMaxout</c> with pieces not dividing 16).
        /// </summary>
        public int PanelUnit { get; init; }

        /// <summary>Room for one tile's raw accumulators, 16 rows × 32 columns (12 for <c>MultiplyRows</c>), 64-byte aligned (set by <c>RunRange</c>).</summary>
        public float* Scratch { get; init; }

        /// <summary>The epilogue on one scalar: act(scale·s + shift + old), then the column operator.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Finish<TAct>(TAct act, float s, int col, float old)
            where TAct : struct, IActivationOperator
        {
            if (Scale != null)
            {
                s *= Scale[col];
            }

            if (Shift != null)
            {
                s += Shift[col];
            }

            float y = act.Invoke(Accumulate ? s + old : s);
            return act is IColumnEpilogue && Column != ColumnOperator.None ? ColumnScalar(Column, Slopes, y, col) : y;
        }

        /// <summary>The epilogue on one scalar stored at <paramref name="c"/>: with <see cref="Activated"/>, z to C and column(act(z)) beside it.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Put<TAct>(TAct act, float s, float* c, int col)
            where TAct : struct, IActivationOperator
        {
            if (act is IColumnEpilogue && Activated != null)
            {
                nint at = (nint)(c - C);
                float z = Finish(default(NoActivation), s, col, *c);
                if (Residual != null)
                {
                    z += Residual[at];
                }

                *c = z;
                float y = act.Invoke(z);
                Activated[at] = Column switch
                {
                    ColumnOperator.None => y,
                    ColumnOperator.RandomSlope => default(RReluOperator).Invoke(y, Slopes[at]),
                    _ => ColumnScalar(Column, Slopes, y, col),
                };
                return;
            }

            *c = Finish(act, s, col, *c);
        }
    }

    /// <summary>One product split over threads: a fixed partition of panels (or of rows, when there are few panels).</summary>
    private sealed class GemmJob<TAct> : ParallelJob
        where TAct : struct, IActivationOperator
    {
        [ThreadStatic]
        private static GemmJob<TAct>? t_job;

        private GemmCall _call;
        private TAct _act;
        private int _parts;
        private bool _byRows;

        public static void Run(in GemmCall call, TAct act)
        {
            int panels = Panels(call.Cols);
            long flops = 2L * call.Rows * call.Cols * call.Depth;
            int threads = ParallelWork.ThreadsFor(flops, MinFlopsPerThread);
            bool byRows = panels < 2 * threads;
            int unit = call.PanelUnit > 0 ? call.PanelUnit : 2;
            int units = byRows ? (call.Rows + TileRows - 1) / TileRows : (panels + unit - 1) / unit;
            threads = Math.Min(threads, units);
            if (threads <= 1)
            {
                RunRange(in call, act, 0, panels, 0, call.Rows);
                return;
            }

            // Up to PartsPerThread parts a thread, claimed as threads come free: a worker that wakes late or shares its
            // core with another process then delays the call by one part, not by half of it.
            GemmJob<TAct> job = t_job ??= new GemmJob<TAct>();
            job._call = call;
            job._act = act;
            job._parts = Math.Min(units, PartsPerThread * threads);
            job._byRows = byRows;
            try
            {
                ParallelWork.Run(job, job._parts, threads);
            }
            finally
            {
                job._call = default; // drop the pinned pointers
            }
        }

        public override void Execute(int part)
        {
            int panels = Panels(_call.Cols);
            if (_byRows)
            {
                int tiles = (_call.Rows + TileRows - 1) / TileRows;
                (int t0, int t1) = ParallelWork.Slice(tiles, _parts, part);
                RunRange(in _call, _act, 0, panels, t0 * TileRows, Math.Min(_call.Rows, t1 * TileRows));
            }
            else
            {
                int unit = _call.PanelUnit > 0 ? _call.PanelUnit : 2;
                (int u0, int u1) = ParallelWork.Slice((panels + unit - 1) / unit, _parts, part);
                RunRange(in _call, _act, unit * u0, Math.Min(panels, unit * u1), 0, _call.Rows);
            }
        }
    }
}
