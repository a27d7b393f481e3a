using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// The shape of a stride-1, ungrouped Conv2d that inference runs as a matrix product (<see cref="Im2colGemm"/>).
/// </summary>
/// <param name="Channels">Input channels.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="OutChannels">Output channels: rows of the weights and of the product.</param>
/// <param name="Kernel">Kernel side.</param>
/// <param name="Padding">Zero padding on each side.</param>
/// <param name="Dilation">Spacing of the kernel taps.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
[StructLayout(LayoutKind.Auto)]
public readonly record struct Im2colConv(int Channels, int Height, int Width, int OutChannels, int Kernel, int Padding, int Dilation)
{
    /// <summary>Padded input width.</summary>
    public int PaddedWidth => Width + (2 * Padding);

    /// <summary>Padded input height.</summary>
    public int PaddedHeight => Height + (2 * Padding);

    /// <summary>Output width.</summary>
    public int OutWidth => PaddedWidth - (Dilation * (Kernel - 1));

    /// <summary>Output height.</summary>
    public int OutHeight => PaddedHeight - (Dilation * (Kernel - 1));

    /// <summary>Output pixels per channel: columns of the product.</summary>
    public int Pixels => OutHeight * OutWidth;

    /// <summary>Taps per output channel (channels × kernel²): the product's depth.</summary>
    public int Depth => Channels * Kernel * Kernel;

    /// <summary>Blocks of 32 output pixels: the units a call is split into.</summary>
    public int Blocks => (Pixels + 31) / 32;

    /// <summary>
    /// Floats of a thread's room for one block: its packed im2col (two panels of 16 pixels, and the packing's 16 more), then
    /// the sums of a chunked product (32 a row, for the rows and up to 6 more); start it on a 64-byte boundary.
    /// </summary>
    public int PanelLength => PackedGemm.PackedLength(Depth, 32) + ((OutChannels + 6) * 32);

    /// <summary>Most floats of the padded band <see cref="Im2colGemm.Run{TAct}"/> writes: the padded planes and 16 floats either side.</summary>
    public int PaddedLength => (Channels * PaddedHeight * PaddedWidth) + 32;
}

/// <summary>
/// A stride-1 Conv2d's inference as one matrix product per block of 32 output pixels: <c>out[co, p] = act(scale[co] ·
/// Σ_k W[co, k]·col[k, p] + shift[co])</c>, the im2col block written straight into <see cref="PackedGemm"/>'s panel form
/// (16 pixels a panel, a row per tap) and multiplied by its tiles (12 or 8 output channels × 32 pixels at 512 bits), the
/// epilogue per output channel writing NCHW. The generator chooses it per layer where it beats the generated direct
/// kernel (see docs/performance.md). Every output is summed over the taps in the same order whatever the block split, so a
/// split over threads gives the same bits.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe class Im2colGemm
{
    /// <summary>
    /// Blocks [<paramref name="block0"/>, <paramref name="block1"/>) of one sample <paramref name="x"/> (C × H × W): the band of
    /// input rows they read, zero-padded, into <paramref name="scratch"/> after the block's room (so each thread pads its own
    /// rows: no serial pass before a split), then for each block its im2col packed into <paramref name="scratch"/>
    /// (<see cref="Im2colConv.PanelLength"/> floats, then <see cref="Im2colConv.PaddedLength"/> for the band; 64-byte
    /// aligned), the product with the weights <paramref name="w"/> (OutChannels × Depth) and the epilogue into
    /// <paramref name="y"/> (OutChannels × Pixels). At 512 bits a block is packed and multiplied a chunk of taps at a time
    /// (<see cref="PackedGemm.MultiplyChunk512"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TAct>(TAct act, in Im2colConv conv, ref float x, ref float w, ref float scale, ref float shift, ref float y, ref float scratch, int block0, int block1)
        where TAct : struct, IActivationOperator
    {
        int pixels = conv.Pixels, depth = conv.Depth;
        if (block0 >= block1)
        {
            return;
        }

        fixed (float* px = &x, pw = &w, ps = &scale, ph = &shift, py = &y, buffer = &scratch)
        {
            // Padded rows r0 .. r0 + rows − 1 hold every tap of output rows oh0 .. oh1 (stride 1).
            int oh0 = block0 * 32 / conv.OutWidth, oh1 = (Math.Min(pixels, block1 * 32) - 1) / conv.OutWidth;
            int rows = oh1 - oh0 + 1 + (conv.Dilation * (conv.Kernel - 1));
            float* xp = buffer + conv.PanelLength;
            PadBand(in conv, px, oh0, rows, xp);
            int* taps = stackalloc int[depth];
            int* start = stackalloc int[32];
            int* from = stackalloc int[32];
            TapOffsets(in conv, rows * conv.PaddedWidth, taps);
            int chunk = ChunkTaps(in conv);
            float* acc = buffer + ((nint)depth * 32) + 16;
            for (int b = block0; b < block1; b++)
            {
                int p0 = b * 32, cols = Math.Min(32, pixels - p0), valid0 = Math.Min(16, cols), valid1 = cols - valid0;
                int runs0 = Runs(in conv, oh0, p0, valid0, start, from), runs1 = valid1 > 0 ? Runs(in conv, oh0, p0 + 16, valid1, start + 16, from + 16) : 0;
                if (KernelDispatch.RuntimeBits == 512)
                {
                    // A chunk's two panels in L1, multiplied at once; the sums carried in acc.
                    for (int t0 = 0; t0 < depth; t0 += chunk)
                    {
                        int count = Math.Min(chunk, depth - t0);
                        PackRows(xp, taps + t0, count, start, from, runs0, valid0, buffer);
                        PackRows(xp, taps + t0, count, start + 16, from + 16, runs1, valid1, buffer + ((nint)count * 16));
                        PackedGemm.MultiplyChunk512(pw + t0, depth, conv.OutChannels, buffer, count, acc, first: t0 == 0);
                    }

                    PackedGemm.FinishChunks(act, acc, conv.OutChannels, cols, py + p0, pixels, ps, ph);
                    continue;
                }

                float* packed = PackedGemm.StartRowPanels(buffer, depth, cols);
                PackRows(xp, taps, depth, start, from, runs0, valid0, packed);
                if (valid1 > 0)
                {
                    PackRows(xp, taps, depth, start + 16, from + 16, runs1, valid1, packed + ((nint)depth * 16));
                }

                PackedGemm.MultiplyRows(act, pw, conv.OutChannels, depth, buffer, cols, py + p0, pixels, ps, ph);
            }
        }
    }

    // Taps per chunk at 512 bits: whole input channels, about 144 taps (two panels of them, 18 KB, and a 12-row slice of
    // the weights, 7 KB, stay in L1 with the sums).
    // (Case C measured the same within noise with chunks of 72, 144, 288 and all 576 taps.)
    private static int ChunkTaps(in Im2colConv conv) => Math.Max(1, 144 / (conv.Kernel * conv.Kernel)) * conv.Kernel * conv.Kernel;

    // The padded rows r0 .. r0 + rows − 1 of every channel (a plane of `rows` × PaddedWidth each), 16 zeros either side:
    // the packing's 16-lane loads read up to 15 floats past a run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PadBand(in Im2colConv conv, float* x, int r0, int rows, float* band)
    {
        new Span<float>(band, 16).Clear();
        float* end = ConvHelpers.PadRows(x, conv.Channels, conv.Height, conv.Width, conv.Padding, r0, rows, band + 16);
        new Span<float>(end, 16).Clear();
    }

    // Tap k = (ci, ky, kx)'s offset in the padded band (`plane` floats a channel): the row order of the weights (PyTorch's [OC, C, kh, kw]).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TapOffsets(in Im2colConv conv, int plane, int* taps)
    {
        int k = 0;
        for (int ci = 0; ci < conv.Channels; ci++)
        {
            for (int ky = 0; ky < conv.Kernel; ky++)
            {
                for (int kx = 0; kx < conv.Kernel; kx++)
                {
                    taps[k++] = (ci * plane) + (ky * conv.Dilation * conv.PaddedWidth) + (kx * conv.Dilation);
                }
            }
        }
    }

    // The pixels [p0, p0 + valid) of one panel as runs along output rows: run r starts at lane start[r]; lane j of it reads,
    // at tap k, the padded band at from[r] + j + (tap k's offset). Lanes from `valid` on are left to what follows the last run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Runs(in Im2colConv conv, int r0, int p0, int valid, int* start, int* from)
    {
        int runs = 0;
        for (int lane = 0, p = p0; lane < valid; runs++)
        {
            int oh = p / conv.OutWidth, ow = p % conv.OutWidth, length = Math.Min(conv.OutWidth - ow, valid - lane);
            start[runs] = lane;
            from[runs] = 16 + ((oh - r0) * conv.PaddedWidth) + ow - lane;
            lane += length;
            p += length;
        }

        return runs;
    }

    // Rows of one panel (16 floats each) for `depth` taps: one load per run, merged by lane masks, so no per-pixel work in
    // the loop over taps. Lanes past `valid` hold whatever follows the last run (never stored by the epilogue).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRows(float* xp, int* taps, int depth, int* start, int* from, int runs, int valid, float* panel)
    {
        if (runs == 0)
        {
            return;
        }

        if (KernelDispatch.RuntimeBits == 512 && runs == 1)
        {
            // One run (6 panels in 7 on 56-pixel rows): a plain copy of 16 floats per tap.
            float* x0 = xp + from[0];
            for (int k = 0; k < depth; k++)
            {
                Vector512.Store(Vector512.Load(x0 + taps[k]), panel + (k * 16));
            }

            return;
        }

        if (KernelDispatch.RuntimeBits == 512 && runs == 2)
        {
            Vector512<float> second = Vector512.GreaterThanOrEqual(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(runs == 2 ? start[1] : 16)).AsSingle();
            float* x0 = xp + from[0], x1 = xp + from[runs - 1];
            for (int k = 0; k < depth; k++)
            {
                nint t = taps[k];
                Vector512.Store(Vector512.ConditionalSelect(second, Vector512.Load(x1 + t), Vector512.Load(x0 + t)), panel + (k * 16));
            }

            return;
        }

        if (KernelDispatch.RuntimeBits >= 256 && runs <= 2)
        {
            Vector256<int> lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), at = Vector256.Create(runs == 2 ? start[1] : 16);
            Vector256<float> lo = Vector256.GreaterThanOrEqual(lanes, at).AsSingle(), hi = Vector256.GreaterThanOrEqual(lanes + Vector256.Create(8), at).AsSingle();
            float* x0 = xp + from[0], x1 = xp + from[runs - 1];
            for (int k = 0; k < depth; k++)
            {
                nint t = taps[k];
                float* row = panel + (k * 16);
                Vector256.Store(Vector256.ConditionalSelect(lo, Vector256.Load(x1 + t), Vector256.Load(x0 + t)), row);
                Vector256.Store(Vector256.ConditionalSelect(hi, Vector256.Load(x1 + t + 8), Vector256.Load(x0 + t + 8)), row + 8);
            }

            return;
        }

        if (KernelDispatch.RuntimeBits == 128 && runs <= 2)
        {
            // The 256-bit path's selects on 4 lanes at a time (SSE, AdvSimd).
            Vector128<int> lanes = Vector128.Create(0, 1, 2, 3), at = Vector128.Create(runs == 2 ? start[1] : 16);
            Vector128<float> m0 = Vector128.GreaterThanOrEqual(lanes, at).AsSingle(), m1 = Vector128.GreaterThanOrEqual(lanes + Vector128.Create(4), at).AsSingle();
            Vector128<float> m2 = Vector128.GreaterThanOrEqual(lanes + Vector128.Create(8), at).AsSingle();
            Vector128<float> m3 = Vector128.GreaterThanOrEqual(lanes + Vector128.Create(12), at).AsSingle();
            float* x0 = xp + from[0], x1 = xp + from[runs - 1];
            for (int k = 0; k < depth; k++)
            {
                nint t = taps[k];
                float* row = panel + (k * 16);
                Vector128.Store(Vector128.ConditionalSelect(m0, Vector128.Load(x1 + t), Vector128.Load(x0 + t)), row);
                Vector128.Store(Vector128.ConditionalSelect(m1, Vector128.Load(x1 + t + 4), Vector128.Load(x0 + t + 4)), row + 4);
                Vector128.Store(Vector128.ConditionalSelect(m2, Vector128.Load(x1 + t + 8), Vector128.Load(x0 + t + 8)), row + 8);
                Vector128.Store(Vector128.ConditionalSelect(m3, Vector128.Load(x1 + t + 12), Vector128.Load(x0 + t + 12)), row + 12);
            }

            return;
        }

        // Narrow outputs (three or more runs in 16 pixels) and the scalar path: lane by lane.
        for (int k = 0; k < depth; k++)
        {
            nint t = taps[k];
            float* row = panel + (k * 16);
            for (int r = 0; r < runs; r++)
            {
                int end = r + 1 < runs ? start[r + 1] : valid;
                float* source = xp + from[r] + t;
                for (int j = start[r]; j < end; j++)
                {
                    row[j] = source[j];
                }
            }

            for (int j = valid; j < 16; j++)
            {
                row[j] = 0f;
            }
        }
    }
}
