using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FusedOps.Kernels;

/// <summary>The inference route's entry of <see cref="WinogradConv"/>: unpadded NCHW samples, padded band by band.</summary>
public static unsafe partial class WinogradConv
{
    /// <summary>The weights <paramref name="w"/> transformed for <see cref="Run{TAct}"/> into a new array (at <c>Freeze()</c>).</summary>
    public static float[] Packed(in WinogradShape shape, float[] w)
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
    /// Tile rows per padded band of <see cref="RunUnpadded{TAct}"/>: the band (at most 256 KB: 7 tile rows, 16 input rows of case
    /// C) stays in L2 beside the sample's input, output, transformed weights and the per-row buffers.
    /// </summary>
    public static int BandTileRows(in WinogradShape shape) =>
        Math.Min(shape.TileRows, Math.Max(1, ((65536 / (shape.Channels * shape.InWidth)) - 2) / 2));

    /// <summary>Floats of a thread's scratch for <see cref="RunUnpadded{TAct}"/>: its padded band, then <see cref="WinogradShape.ScratchLength"/>.</summary>
    public static int BandScratchLength(in WinogradShape shape) => BandLength(in shape) + shape.ScratchLength;

    /// <summary>
    /// Tile rows [<paramref name="tileRow0"/>, <paramref name="tileRow1"/>) of one unpadded sample <paramref name="x"/>
    /// (Channels × (OutHeight + 2 − 2·<paramref name="padding"/>) × (OutWidth + 2 − 2·<paramref name="padding"/>)) into
    /// <paramref name="y"/> (OutChannels × OutHeight × OutWidth): <c>y = act(scale·conv + shift)</c>. Each band of
    /// <see cref="BandTileRows"/> tile rows is zero-padded into <paramref name="scratch"/> (<see cref="BandScratchLength"/>
    /// floats) and run as a shape of its own height, whose tiles are the same as the whole sample's (bands start on even
    /// rows), so any split gives the same bits. <paramref name="w"/> is <see cref="Pack"/>'s; <paramref name="scale"/> and
    /// <paramref name="shift"/> have OutChannels floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunUnpadded<TAct>(TAct act, in WinogradShape shape, int padding, ref float x, ref float w, ref float scale, ref float shift, ref float y, ref float scratch, int tileRow0, int tileRow1)
        where TAct : struct, IActivationOperator
    {
        int height = shape.InHeight - (2 * padding), width = shape.InWidth - (2 * padding), wp = shape.InWidth, bandRows = BandTileRows(in shape);
        int oh = shape.OutHeight, ow = shape.OutWidth, band = BandLength(in shape);
        var packed = MemoryMarshal.CreateReadOnlySpan(ref w, shape.PackedLength);
        var scales = MemoryMarshal.CreateReadOnlySpan(ref scale, shape.OutChannels);
        var shifts = MemoryMarshal.CreateReadOnlySpan(ref shift, shape.OutChannels);
        var work = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref scratch, band), shape.ScratchLength);
        fixed (float* px = &x, pb = &scratch)
        {
            for (int t0 = tileRow0; t0 < tileRow1; t0 += bandRows)
            {
                int t1 = Math.Min(t0 + bandRows, tileRow1), rows = Math.Min(2 * t1, oh) - (2 * t0);
                ConvHelpers.PadRows(px, shape.Channels, height, width, padding, 2 * t0, rows + 2, pb);
                var part = shape with { OutHeight = rows };
                var output = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref y, 2 * t0 * ow), (shape.OutChannels * oh * ow) - (2 * t0 * ow));
                Run(act, in part, new ReadOnlySpan<float>(pb, shape.Channels * (rows + 2) * wp), (rows + 2) * wp, wp, packed, scales, shifts, output, oh * ow, ow, 0, part.TileRows, work);
            }
        }
    }

    // A band's padded input rows: 2 per tile row and the 2 the last one reaches below.
    private static int BandLength(in WinogradShape shape) => shape.Channels * ((2 * BandTileRows(in shape)) + 2) * shape.InWidth;
}
