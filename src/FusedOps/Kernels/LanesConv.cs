using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// The shape of a stride-1, ungrouped Conv2d whose inference runs with output channels in the vector lanes
/// (<see cref="LanesConv"/>): 64 output channels per group of four Vector512, so <see cref="OutChannels"/> is a multiple of 64.
/// </summary>
/// <param name="Channels">Input channels.</param>
/// <param name="Height">Input height.</param>
/// <param name="Width">Input width.</param>
/// <param name="OutChannels">Output channels, a multiple of 64.</param>
/// <param name="Kernel">Kernel side.</param>
/// <param name="Padding">Zero padding on each side.</param>
/// <param name="Dilation">Spacing of the kernel taps.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
[StructLayout(LayoutKind.Auto)]
public readonly record struct LanesShape(int Channels, int Height, int Width, int OutChannels, int Kernel, int Padding, int Dilation)
{
    /// <summary>Padded input width.</summary>
    public int PaddedWidth => Width + (2 * Padding);

    /// <summary>Output width.</summary>
    public int OutWidth => PaddedWidth - (Dilation * (Kernel - 1));

    /// <summary>Output height.</summary>
    public int OutHeight => Height + (2 * Padding) - (Dilation * (Kernel - 1));

    /// <summary>Output pixels per channel.</summary>
    public int Pixels => OutHeight * OutWidth;

    /// <summary>Taps per input channel (kernel²).</summary>
    public int Taps => Kernel * Kernel;

    /// <summary>Floats of the packed weights: [group of 64 output channels][input channel][tap][64].</summary>
    public int PackedLength => OutChannels * Channels * Taps;

    /// <summary>
    /// Input channels per cache block: their packed weights for one group (at most 18 KB: 8 channels of a 3×3), one output
    /// row's sums (<see cref="OutWidth"/> × 64 floats) and the block's input rows stay in L1 while every strip of the row runs
    /// over them; the sums are parked in the row buffer between blocks. (Case C on a loaded machine: 2–4 % faster than all 64
    /// channels at once, whose 144 KB of weights every strip streams from L2, and than blocks of 4 or 16.)
    /// </summary>
    public int ChannelBlock => Math.Max(1, 4608 / (Taps * LanesConv.GroupWidth));

    /// <summary>
    /// Floats of a thread's scratch: one output row's sums (64-byte aligned when the scratch is), then the padded input band
    /// of <see cref="RowChunk"/> output rows.
    /// </summary>
    public int ScratchLength => RowLength + (Channels * (RowChunk + (Dilation * (Kernel - 1))) * PaddedWidth) + 16;

    /// <summary>
    /// Output rows padded and computed at a time: their band of padded input (up to 256 KB) stays in L2 beside the sample's
    /// input and output, where padding the whole sample first made the three overflow a 2 MB L2 (case C: 0.8 + 0.86 + 0.8 MB;
    /// 17-row bands measured 2–4 % faster than 8-row ones, which pad a third of their rows twice).
    /// </summary>
    public int RowChunk => Math.Min(OutHeight, Math.Max(1, (65536 / (Channels * PaddedWidth)) - (Dilation * (Kernel - 1))));

    /// <summary>Floats of one output row's sums: 64 per pixel, so whole cache lines.</summary>
    internal int RowLength => OutWidth * LanesConv.GroupWidth;
}

/// <summary>
/// A stride-1 Conv2d's inference with the output channels in the lanes (the layout of MLAS's NCHWc kernels, on plain NCHW
/// tensors): a strip of up to 6 output pixels of one row × 64 output channels is held in 24 Vector512 accumulators; per tap
/// it loads four vectors of weights (packed at <c>Freeze()</c> as [input channel][tap][64]) and broadcasts one input float per
/// pixel, so no load splits a cache line and 10 loads feed 24 FMAs (the pixels-in-lanes kernel needs 13–14 per 22). The
/// input channels run in blocks whose weights stay in L1 while every strip of a row runs over them, the partial sums parked
/// in a row buffer; after the last block the epilogue (scale, shift, activation) is applied in registers and the row is
/// transposed to NCHW. Every output is summed over the taps in the same order whatever the row split, so a split over
/// threads gives the same bits. 512 bits only: the generated code runs its own kernels at other widths.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static unsafe partial class LanesConv
{
    /// <summary>Output channels per group: four Vector512.</summary>
    public const int GroupWidth = 64;



    /// <summary>Whether this machine and <see cref="KernelOptions.MaxVectorBits"/> let the kernel run (Vector512).</summary>
    public static bool Enabled => KernelDispatch.Level == 2;

    /// <summary>The weights <paramref name="w"/> packed for <see cref="Run{TAct}"/> into a new array (at <c>Freeze()</c>).</summary>
    public static float[] Packed(in LanesShape shape, float[] w)
    {
        ArgumentNullException.ThrowIfNull(w);
        var packed = new float[shape.PackedLength];
        if (!KernelWarmup.Active)
        {
            Pack(in shape, w, packed);
        }

        return packed;
    }

    /// <summary>
    /// Packs weights <paramref name="w"/> ([OutChannels][Channels][Kernel][Kernel], PyTorch's layout) into
    /// <paramref name="packed"/> (<see cref="LanesShape.PackedLength"/> floats): [group][input channel][tap][64].
    /// </summary>
    public static void Pack(in LanesShape shape, ReadOnlySpan<float> w, Span<float> packed)
    {
        int taps = shape.Taps, depth = shape.Channels * taps;
        if (shape.OutChannels % GroupWidth != 0 || shape.OutChannels <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(shape), shape.OutChannels, $"OutChannels must be a positive multiple of {GroupWidth}.");
        }

        if (w.Length != shape.OutChannels * depth)
        {
            throw new ArgumentException($"Expected {shape.OutChannels * depth} weights, got {w.Length}.", nameof(w));
        }

        if (packed.Length < shape.PackedLength)
        {
            throw new ArgumentException($"Expected at least {shape.PackedLength} floats, got {packed.Length}.", nameof(packed));
        }

        for (int o = 0; o < shape.OutChannels; o++)
        {
            int group = o / GroupWidth, lane = o % GroupWidth;
            for (int k = 0; k < depth; k++)
            {
                packed[(((group * depth) + k) * GroupWidth) + lane] = w[(o * depth) + k];
            }
        }
    }

    /// <summary>
    /// Output rows [<paramref name="row0"/>, <paramref name="row1"/>) of one sample <paramref name="x"/> (C × H × W) into
    /// <paramref name="y"/> (OutChannels × Pixels): <c>y = act(scale·conv + shift)</c>. The input rows they read are padded into
    /// <paramref name="scratch"/> (<see cref="LanesShape.ScratchLength"/> floats, 64-byte aligned) first, so each thread pads its
    /// own rows. <paramref name="w"/> is <see cref="Pack"/>'s layout. Runs only where <see cref="Enabled"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TAct>(TAct act, in LanesShape shape, ref float x, ref float w, ref float scale, ref float shift, ref float y, ref float scratch, int row0, int row1)
        where TAct : struct, IActivationOperator
    {
        if (row0 >= row1)
        {
            return;
        }

        int wp = shape.PaddedWidth, ow = shape.OutWidth, taps = shape.Taps, reach = shape.Dilation * (shape.Kernel - 1);
        int pixels = shape.Pixels, chunk = shape.RowChunk;
        fixed (float* px = &x, pw = &w, ps = &scale, ph = &shift, py = &y, buffer = &scratch)
        {
            float* sums = buffer, band = buffer + shape.RowLength;
            int* offsets = stackalloc int[taps];
            for (int ky = 0, t = 0; ky < shape.Kernel; ky++)
            {
                for (int kx = 0; kx < shape.Kernel; kx++)
                {
                    offsets[t++] = (ky * shape.Dilation * wp) + (kx * shape.Dilation);
                }
            }

            // Strips of the row as even as possible, at most 6 pixels (56 = 6 × 6 + 4 × 5).
            int strips = (ow + 5) / 6, small = ow / strips, large = ow % strips;
            int block = shape.ChannelBlock, depth = shape.Channels * taps;
            for (int r0 = row0; r0 < row1; r0 += chunk)
            {
                // A chunk of rows at a time: its padded band (tens of KB) stays in L2 beside the input and the output.
                int r1 = Math.Min(r0 + chunk, row1), plane = (r1 - r0 + reach) * wp;
                float* end = ConvHelpers.PadRows(px, shape.Channels, shape.Height, shape.Width, shape.Padding, r0, r1 - r0 + reach, band);
                new Span<float>(end, 16).Clear(); // the last strip's broadcasts may read past the band's last row
                for (int oh = r0; oh < r1; oh++)
                {
                    float* rowIn = band + ((nint)(oh - r0) * wp);
                    for (int g = 0; g < shape.OutChannels / GroupWidth; g++)
                    {
                        float* wg = pw + ((nint)g * depth * GroupWidth);

                        for (int c0 = 0; c0 < shape.Channels; c0 += block)
                        {
                            int c1 = Math.Min(c0 + block, shape.Channels);
                            var blockRef = new Block(rowIn + ((nint)c0 * plane), plane, offsets, taps, wg + ((nint)c0 * taps * GroupWidth), c1 - c0,
                                c0 == 0, c1 == shape.Channels, ps + (g * GroupWidth), ph + (g * GroupWidth));
                            for (int s = 0, x0 = 0; s < strips; s++)
                            {
                                int n = s < large ? small + 1 : small;
                                Strip(act, in blockRef, x0, n, sums + ((nint)x0 * GroupWidth));
                                x0 += n;
                            }
                        }

                        Transpose(sums, ow, py + ((nint)g * GroupWidth * pixels) + ((nint)oh * ow), pixels);
                    }
                }
            }
        }
    }

    // One channel block of one row for one group: where its input rows, tap offsets and weights are, and which sums to start
    // from (zero for the first block) and finish (the epilogue after the last).
    private readonly struct Block(float* input, int plane, int* offsets, int taps, float* weights, int channels, bool first, bool last, float* scale, float* shift)
    {
        public readonly float* Input = input;
        public readonly int Plane = plane;
        public readonly int* Offsets = offsets;
        public readonly int Taps = taps;
        public readonly float* Weights = weights;
        public readonly int Channels = channels;
        public readonly bool First = first;
        public readonly bool Last = last;
        public readonly float* Scale = scale;
        public readonly float* Shift = shift;
    }

    // The strip kernel for n = 1 … 6 pixels (constants in each instantiation, so its dead pixels compile away). Every
    // method here is fully optimised from its first call, so the calls after the first run at full speed (no tier-0 window).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Strip<TAct>(TAct act, in Block b, int x0, int n, float* sums)
        where TAct : struct, IActivationOperator
    {
        switch (n)
        {
            case 6: Strip<TAct, N6>(act, in b, x0, sums); break;
            case 5: Strip<TAct, N5>(act, in b, x0, sums); break;
            case 4: Strip<TAct, N4>(act, in b, x0, sums); break;
            case 3: Strip<TAct, N3>(act, in b, x0, sums); break;
            case 2: Strip<TAct, N2>(act, in b, x0, sums); break;
            default: Strip<TAct, N1>(act, in b, x0, sums); break;
        }
    }

    // One row's sums [x][64] to NCHW: 64 output channels, `width` pixels each, `pixels` floats apart. 16 × 16 tiles are
    // transposed in registers, the last one overlapping the one before when the width is not a multiple of 16 (its pixels
    // are written twice, with the same values); rows under 16 pixels lane by lane.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(float* sums, int width, float* y, int pixels)
    {
        int x0 = 0;
        for (; width >= 16 && x0 < width; x0 += 16)
        {
            int at = Math.Min(x0, width - 16);
            for (int o0 = 0; o0 < GroupWidth; o0 += 16)
            {
                Transpose16(sums + ((nint)at * GroupWidth) + o0, GroupWidth, y + ((nint)o0 * pixels) + at, pixels);
            }
        }

        for (int o = 0; o < GroupWidth && x0 < width; o++)
        {
            float* yo = y + ((nint)o * pixels);
            for (int x = x0; x < width; x++)
            {
                yo[x] = sums[((nint)x * GroupWidth) + o];
            }
        }
    }
}
