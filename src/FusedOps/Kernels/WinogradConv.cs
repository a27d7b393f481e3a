using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FusedOps.Kernels;

/// <summary>
/// The shape of a stride-1, dilation-1, ungrouped 3 × 3 convolution of one sample run by <see cref="WinogradConv"/>: the
/// input is <c>OutHeight + 2</c> × <c>OutWidth + 2</c> already padded planes.
/// </summary>
/// <param name="Channels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="OutHeight">Output height.</param>
/// <param name="OutWidth">Output width.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
[StructLayout(LayoutKind.Auto)]
public readonly record struct WinogradShape(int Channels, int OutChannels, int OutHeight, int OutWidth)
{
    /// <summary>Rows of 2 × 2 output tiles: ⌈OutHeight / 2⌉.</summary>
    public int TileRows => (OutHeight + 1) / 2;

    /// <summary>Tiles per tile row: ⌈OutWidth / 2⌉.</summary>
    public int TileColumns => (OutWidth + 1) / 2;

    /// <summary>Rows of a padded input plane the kernel reads: OutHeight + 2.</summary>
    public int InHeight => OutHeight + 2;

    /// <summary>Columns of a padded input row the kernel reads: OutWidth + 2.</summary>
    public int InWidth => OutWidth + 2;

    /// <summary>Output channels rounded up to 16 (the packed weights' and sums' row).</summary>
    public int OutPad => (OutChannels + 15) & ~15;

    /// <summary>Floats of the transformed, packed weights: [ξ = 16][input channel][<see cref="OutPad"/>].</summary>
    public int PackedLength => 16 * Channels * OutPad;

    /// <summary>
    /// Floats of a thread's scratch: one tile row's transformed input [16][Channels][tiles rounded up to 16], its products
    /// [16][tiles][OutPad], two output rows [2][pixels][OutPad], four padded input rows and the padded epilogue vectors.
    /// </summary>
    public int ScratchLength => (16 * VStep) + (16 * MStep) + (4 * TilePad * OutPad) + (4 * RowLength) + (2 * OutPad);

    internal int TilePad => (TileColumns + 15) & ~15;

    // Floats from one ξ's transformed input, and products, to the next: a cache line more than their size, so the 16 streams
    // the transforms write and read are not a multiple of 4 KB apart (which put them all in one L1 set: 2.4× slower input
    // transform for case C).
    internal int VStep => (Channels * TilePad) + 16;

    internal int MStep => (TilePad * OutPad) + 16;

    // A padded input row copy: the 16-tile blocks read 2 × 16 + 2 floats from 2 × (tile) onwards.
    internal int RowLength => (2 * TilePad) + 32;

    internal void Check()
    {
        if (Channels <= 0 || OutChannels <= 0 || OutHeight <= 0 || OutWidth <= 0)
        {
            throw new ArgumentOutOfRangeException("shape", this, "Channels, OutChannels, OutHeight and OutWidth must be positive.");
        }
    }
}

/// <summary>
/// Winograd F(2 × 2, 3 × 3) convolution (Lavin and Gray, 2016) of one sample: each 2 × 2 output tile of each output channel
/// is Aᵀ [Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)] A, 16 multiplies per tile and channel pair where direct convolution needs 36. The
/// weights are transformed once (<see cref="Pack"/>); per tile row the input is transformed into [ξ][channel][tile], 16
/// independent products (one per ξ) run as a GEMM with output channels in the lanes (6 tiles × 64 channels in 24
/// Vector512 accumulators, one broadcast per tile), and the output transform applies the epilogue before a 16 × 16
/// transpose writes NCHW; for few output channels the tiles are in the lanes instead (WinogradConv.Narrow.cs). Every output is computed by the same operations in the same order whatever range of tile rows
/// a call covers, so any split over threads gives the same bits. Vector512 where <see cref="KernelDispatch.Level"/> is 2,
/// Vector256 where it is 1 (tiles in the lanes, 8 a vector: WinogradConv.Narrow256.cs; <see cref="WinogradBlock.ChannelsInLanes"/>
/// there takes the Vector256 products between the scalar transforms), Vector128 transforms and products where
/// <see cref="KernelDispatch.RuntimeBits"/> is 128, a scalar path otherwise.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe partial class WinogradConv
{
    /// <summary>
    /// Whether a vector path runs: Vector512 (<see cref="KernelOptions.MaxVectorBits"/> ≥ 512 on an AVX-512 machine), Vector256
    /// (AVX2 + FMA, <see cref="KernelDispatch.Level"/> 1: the tiles-in-lanes block at 8 tiles a vector, WinogradConv.Narrow256.cs)
    /// or Vector128 (<see cref="KernelDispatch.RuntimeBits"/> 128: Vector128 transforms and products, WinogradConv.Vector128.cs).
    /// The inference route (generated code) runs where this holds; the training route needs <see cref="TrainingRuns"/>.
    /// </summary>
    public static bool Enabled => KernelDispatch.Level >= 1 || KernelDispatch.RuntimeBits == 128;

    /// <summary>
    /// Fewest tiles per tile row (<see cref="WinogradShape.TileColumns"/>, ⌈OutWidth / 2⌉) for which <see cref="TrainingRuns"/> holds
    /// at 256 bits (default 14: output rows of 27 and more, so the Fashion-MNIST network's 16 → 16 layers on 28 × 28, 14 tiles
    /// in each 16-tile block of WinogradConv.Narrow256.cs). Process-wide, for benchmarks and tests that compare the routes; read
    /// per call. Measured (<see cref="Conv2dTrainer"/> alone, 16 → 16 on 28 × 28, batch 64, one thread, thread CPU time, best of
    /// 40–60 rounds, 2026-12-01, grid ÷ Winograd): forward 1.14–1.19, input gradient 1.15–1.2; the 16 → 32 layer on 14 × 14
    /// (7 tiles) forward 0.91, Backward 0.91–0.93: it stays on the grid. The 0.90 forward measured at 16 before was taken
    /// without the output transform's partial stores of WinogradConv.Narrow256.cs (a vmaskmovps per row end then).
    /// </summary>
    public static int MinTrainingTiles256 { get; set; } = 14;

    /// <summary>
    /// Whether <see cref="Conv2dTrainer"/>'s Winograd route runs a product of this shape at the current width: always on the
    /// Vector512 path (<see cref="KernelDispatch.Level"/> 2); on the Vector256 path (Level 1) where a tile row fills most of a
    /// 16-tile block (<see cref="MinTrainingTiles256"/>): rows with fewer tiles leave much of each block idle, so there the grid
    /// kernels are faster (the Fashion-MNIST network's 14 × 14 layer). Never on the scalar path.
    /// </summary>
    public static bool TrainingRuns(in WinogradShape shape) =>
        KernelDispatch.Level == 2 || (KernelDispatch.Level == 1 && shape.TileColumns >= MinTrainingTiles256);

    /// <summary>
    /// Transforms weights <paramref name="w"/> ([OutChannels][Channels][3][3], PyTorch's layout) into <paramref name="packed"/>
    /// (<see cref="WinogradShape.PackedLength"/> floats): U = G g Gᵀ as [ξ][input channel][output channel, padded with zeros].
    /// </summary>
    public static void Pack(in WinogradShape shape, ReadOnlySpan<float> w, Span<float> packed) =>
        PackCore(in shape, w, packed, transposeFlip: false);

    /// <summary>
    /// Like <see cref="Pack"/> for the input gradient: <paramref name="w"/> is the forward's [Channels′ = OutChannels]
    /// [OutChannels′ = Channels][3][3] weights, used transposed and rotated by 180°, so running the result over the output
    /// gradient padded by 2 is the full correlation dX = Wᵀ ⋆ dY.
    /// </summary>
    public static void PackTransposedFlipped(in WinogradShape shape, ReadOnlySpan<float> w, Span<float> packed) =>
        PackCore(in shape, w, packed, transposeFlip: true);

    private static void PackCore(in WinogradShape shape, ReadOnlySpan<float> w, Span<float> packed, bool transposeFlip)
    {
        shape.Check();
        int cin = shape.Channels, cout = shape.OutChannels, pad = shape.OutPad;
        if (w.Length != cout * cin * 9)
        {
            throw new ArgumentException($"Expected {cout * cin * 9} weights, got {w.Length}.", nameof(w));
        }

        if (packed.Length < shape.PackedLength)
        {
            throw new ArgumentException($"Expected at least {shape.PackedLength} floats, got {packed.Length}.", nameof(packed));
        }

        packed[..shape.PackedLength].Clear();
        Span<float> g = stackalloc float[9];
        Span<float> u = stackalloc float[16];
        for (int o = 0; o < cout; o++)
        {
            for (int c = 0; c < cin; c++)
            {
                for (int k = 0; k < 9; k++)
                {
                    // Transposed and flipped: output o, input c of the gradient's weights is the forward's [c][o] rotated.
                    g[k] = transposeFlip ? w[(((c * cout) + o) * 9) + 8 - k] : w[(((o * cin) + c) * 9) + k];
                }

                Transform(g, u);
                for (int xi = 0; xi < 16; xi++)
                {
                    packed[(((xi * cin) + c) * pad) + o] = u[xi];
                }
            }
        }
    }

    // U = G g Gᵀ with G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]], in double and rounded once.
    private static void Transform(ReadOnlySpan<float> g, Span<float> u)
    {
        Span<double> t = stackalloc double[12];
        for (int j = 0; j < 3; j++)
        {
            double g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
            t[j] = g0;
            t[3 + j] = 0.5 * (g0 + g1 + g2);
            t[6 + j] = 0.5 * (g0 - g1 + g2);
            t[9 + j] = g2;
        }

        for (int i = 0; i < 4; i++)
        {
            double r0 = t[(3 * i) + 0], r1 = t[(3 * i) + 1], r2 = t[(3 * i) + 2];
            u[(4 * i) + 0] = (float)r0;
            u[(4 * i) + 1] = (float)(0.5 * (r0 + r1 + r2));
            u[(4 * i) + 2] = (float)(0.5 * (r0 - r1 + r2));
            u[(4 * i) + 3] = (float)r2;
        }
    }

    /// <summary>
    /// Tile rows [<paramref name="tileRow0"/>, <paramref name="tileRow1"/>) (output rows 2·tileRow0 … 2·tileRow1 − 1, clipped
    /// to OutHeight) of one sample: <c>y = act(scale · conv + shift)</c>, where an empty <paramref name="scale"/> means 1 and an
    /// empty <paramref name="shift"/> means 0 (so none, a bias, or a folded BatchNorm). <paramref name="input"/> holds
    /// Channels padded planes (InHeight × InWidth, rows <paramref name="inRowStride"/> and planes
    /// <paramref name="inPlaneStride"/> floats apart), <paramref name="output"/> OutChannels planes of OutHeight × OutWidth
    /// (rows <paramref name="outRowStride"/>, planes <paramref name="outPlaneStride"/> apart). <paramref name="packed"/> is
    /// <see cref="Pack"/>'s; <paramref name="scratch"/> has <see cref="WinogradShape.ScratchLength"/> floats, one per thread.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TAct>(
        TAct act, in WinogradShape shape, ReadOnlySpan<float> input, int inPlaneStride, int inRowStride, ReadOnlySpan<float> packed,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> shift, Span<float> output, int outPlaneStride, int outRowStride,
        int tileRow0, int tileRow1, Span<float> scratch)
        where TAct : struct, IActivationOperator
    {
        shape.Check();
        CheckPlanes(shape.Channels, shape.InHeight, shape.InWidth, input.Length, inPlaneStride, inRowStride, nameof(input));
        CheckPlanes(shape.OutChannels, shape.OutHeight, shape.OutWidth, output.Length, outPlaneStride, outRowStride, nameof(output));
        CheckLength(packed.Length, shape.PackedLength, nameof(packed));
        CheckLength(scratch.Length, shape.ScratchLength, nameof(scratch));
        if (!scale.IsEmpty)
        {
            CheckLength(scale.Length, shape.OutChannels, nameof(scale));
        }

        if (!shift.IsEmpty)
        {
            CheckLength(shift.Length, shape.OutChannels, nameof(shift));
        }

        if (tileRow0 < 0 || tileRow0 > tileRow1 || tileRow1 > shape.TileRows)
        {
            throw new ArgumentOutOfRangeException(nameof(tileRow1), $"Expected 0 ≤ tileRow0 ≤ tileRow1 ≤ {shape.TileRows}, got [{tileRow0}, {tileRow1}).");
        }

        fixed (float* px = input, pw = packed, ps = scale, ph = shift, py = output, pb = scratch)
        {
            var run = new Call(in shape, px, inPlaneStride, inRowStride, pw, py, outPlaneStride, outRowStride, pb);
            int pad = shape.OutPad;
            for (int o = 0; o < pad; o++)
            {
                run.Scale[o] = ps == null ? 1f : o < shape.OutChannels ? ps[o] : 0f;
                run.Shift[o] = ph == null ? 0f : o < shape.OutChannels ? ph[o] : 0f;
            }

            int level = KernelDispatch.Level;
            bool narrow = level == 2 && TileLanes(in shape);
#if NET9_0_OR_GREATER
            if (narrow && FlatLayout(in shape))
            {
                // Tiles in the lanes across tile rows (WinogradConv.Flat.cs): writes the output rows itself.
                FlatRows512(act, in run, tileRow0, tileRow1);
                return;
            }
#endif
            for (int ty = tileRow0; ty < tileRow1; ty++)
            {
                if (narrow)
                {
                    // Tiles in the lanes (WinogradConv.Narrow.cs): writes the output rows itself.
                    InputRow512(in run, ty);
                    NarrowRow512(act, in run, ty);
                    continue;
                }

                if (level == 2)
                {
                    InputRow512(in run, ty);
                    Products512(in run);
                    OutputRow512(act, in run);
                }
                else if (level == 1 && Block != WinogradBlock.ChannelsInLanes)
                {
                    // Tiles in the lanes at 8 a vector (WinogradConv.Narrow256.cs): writes the output rows itself. Rows of more
                    // than 8 tiles in shufps order (InputRowShuffled256, WinogradConv.Training.cs: no lane permutes, the same bits).
                    if (shape.TileColumns > 8)
                    {
                        InputRowShuffled256(in run, ty);
                        NarrowRow256<TAct, ShuffledTiles>(act, in run, ty);
                        continue;
                    }

                    InputRow256(in run, ty);
                    NarrowRow256<TAct, TilesInOrder>(act, in run, ty);
                    continue;
                }
                else if (level == 1)
                {
                    InputRowScalar(in run, ty);
                    Products256(in run);
                    OutputRowScalar(act, in run);
                }
                else if (KernelDispatch.RuntimeBits == 128)
                {
                    // Vector128 transforms and products (WinogradConv.Vector128.cs).
                    InputRow128(in run, ty);
                    Products128(in run);
                    OutputRow128(act, in run);
                }
                else
                {
                    InputRowScalar(in run, ty);
                    ProductsScalar(in run);
                    OutputRowScalar(act, in run);
                }

                WriteRows(in run, ty);
            }
        }
    }

    private static void CheckLength(int actual, int expected, string name)
    {
        if (actual < expected)
        {
            throw new ArgumentException($"Expected at least {expected} floats, got {actual}.", name);
        }
    }

    // Planes of rows × width that do not overlap and fit in the span.
    private static void CheckPlanes(int planes, int rows, int width, int length, int planeStride, int rowStride, string name)
    {
        if (rowStride < width)
        {
            throw new ArgumentOutOfRangeException(name, rowStride, $"The row stride of {name} must be at least {width}, got {rowStride}.");
        }

        long plane = ((long)(rows - 1) * rowStride) + width;
        if (planeStride < plane)
        {
            throw new ArgumentOutOfRangeException(name, planeStride, $"The plane stride of {name} must be at least {plane}, got {planeStride}.");
        }

        long needed = ((long)(planes - 1) * planeStride) + plane;
        if (length < needed)
        {
            throw new ArgumentException($"Expected at least {needed} floats in {name}, got {length}.", name);
        }
    }

    // One call's pointers and the scratch carved into its buffers.
    private readonly struct Call
    {
        public readonly WinogradShape Shape;
        public readonly float* Input, Weights, Output, V, M, Stage, Rows, Scale, Shift;
        public readonly int InPlane, InRow, OutPlane, OutRow, TilePad, Pixels, VStep, MStep;

        // The Vector256 epilogue's options (WinogradConv.Pool256.cs): a residual added before the activation (planes and rows
        // ResPlane and ResRow apart, null for none) and a MaxPool2d(2) of the activated tiles (Output then holds the pooled planes).
        public readonly float* Residual;
        public readonly int ResPlane, ResRow;
        public readonly bool Pool;

        // Whether the input transform may load whole vectors past the end of an input row (the caller's own padded band, with
        // readable scratch after it): what they read reaches only the lanes of tiles past the row, whose outputs are not stored.
        public readonly bool WholeRows;

        public Call(
            in WinogradShape shape, float* input, int inPlane, int inRow, float* weights, float* output, int outPlane, int outRow, float* scratch,
            float* residual = null, int resPlane = 0, int resRow = 0, bool pool = false, bool wholeRows = false)
        {
            Residual = residual;
            ResPlane = resPlane;
            ResRow = resRow;
            Pool = pool;
            WholeRows = wholeRows;
            Shape = shape;
            Input = input;
            InPlane = inPlane;
            InRow = inRow;
            Weights = weights;
            Output = output;
            OutPlane = outPlane;
            OutRow = outRow;
            TilePad = shape.TilePad;
            Pixels = 2 * TilePad;
            VStep = shape.VStep;
            MStep = shape.MStep;
            V = scratch;
            M = V + (16 * VStep);
            Stage = M + (16 * MStep);
            Rows = Stage + (2 * Pixels * shape.OutPad);
            Scale = Rows + (4 * shape.RowLength);
            Shift = Scale + shape.OutPad;
        }
    }

    // The four padded input rows of tile row ty of channel c into the row buffer, zeros past the plane (the last tile of an
    // odd size reads one row or column beyond it; those products only reach the outputs that are dropped).
    private static void CopyRows(in Call run, int ty, int c)
    {
        int len = run.Shape.RowLength, width = Math.Min(run.Shape.InWidth, (2 * run.Shape.TileColumns) + 2);
        for (int i = 0; i < 4; i++)
        {
            int row = (2 * ty) + i;
            float* to = run.Rows + (i * len);
            int copied = 0;
            if (row < run.Shape.InHeight)
            {
                new ReadOnlySpan<float>(run.Input + ((nint)c * run.InPlane) + ((nint)row * run.InRow), width).CopyTo(new Span<float>(to, width));
                copied = width;
            }

            new Span<float>(to + copied, len - copied).Clear();
        }
    }

    // The stage's two output rows [r][x][OutPad] to the output planes: 16 × 16 blocks transposed in registers where they are
    // whole, element by element for the channels of a last partial block and rows under 16 pixels.
    private static void WriteRows(in Call run, int ty)
    {
        int cout = run.Shape.OutChannels, ow = run.Shape.OutWidth, pad = run.Shape.OutPad;
        for (int r = 0; r < 2 && (2 * ty) + r < run.Shape.OutHeight; r++)
        {
            float* stage = run.Stage + ((nint)r * run.Pixels * pad), y = run.Output + ((nint)((2 * ty) + r) * run.OutRow);
            int o0 = 0;
            if (KernelDispatch.Level == 2 && ow >= 16)
            {
                // The last 16 columns overlap the block before when the width is not a multiple of 16 (written twice, same values).
                for (; o0 + 16 <= cout; o0 += 16)
                {
                    for (int x0 = 0; x0 < ow; x0 += 16)
                    {
                        int at = Math.Min(x0, ow - 16);
                        LanesConv.Transpose16(stage + ((nint)at * pad) + o0, pad, y + ((nint)o0 * run.OutPlane) + at, run.OutPlane);
                    }
                }
            }
            else if (KernelDispatch.RuntimeBits == 128 && KernelDispatch.Level == 0 && ow >= 4)
            {
                o0 = Transpose128(stage, pad, y, run.OutPlane, cout, ow);
            }

            Scatter(stage, pad, y, run.OutPlane, o0, cout, 0, ow);
        }
    }

    private static void Scatter(float* stage, int pad, float* y, int plane, int o0, int o1, int x0, int x1)
    {
        for (int o = o0; o < o1; o++)
        {
            float* yo = y + ((nint)o * plane);
            for (int x = x0; x < x1; x++)
            {
                yo[x] = stage[((nint)x * pad) + o];
            }
        }
    }
}
