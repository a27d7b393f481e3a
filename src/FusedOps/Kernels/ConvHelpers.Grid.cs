using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <summary>
/// Grid panels of the generated stride-1 inference convolutions: panel pb is the 32 consecutive positions
/// [32·pb, 32·pb + 32) of the padded-width grid (output pixel (y, x) at y·Wp + x), so every tap of every lane is
/// read in place from the padded input. The <c>Wp − OW</c> positions past each output row are computed and dropped:
/// a panel whose 32 positions are one row's pixels is stored directly; any other is computed into a 32-wide tail and
/// its valid lanes, which are consecutive output pixels, are compressed into the output.
/// </summary>
public static partial class ConvHelpers
{
    /// <summary>Grid panels covering every output pixel of an <paramref name="outHeight"/> × <paramref name="outWidth"/> output on rows of <paramref name="paddedWidth"/>.</summary>
    public static int GridPanelCount(int outHeight, int outWidth, int paddedWidth) =>
        ((((outHeight - 1) * paddedWidth) + outWidth) + PanelWidth - 1) / PanelWidth;

    /// <summary>
    /// Per grid panel, the output pixel of its first valid lane (<c>[2·pb]</c>) and its number of valid lanes
    /// (<c>[2·pb + 1]</c>).
    /// </summary>
    public static int[] GridPanelOutputs(int outHeight, int outWidth, int paddedWidth)
    {
        int panels = GridPanelCount(outHeight, outWidth, paddedWidth);
        var result = new int[2 * panels];
        for (int pb = 0; pb < panels; pb++)
        {
            int first = -1, count = 0;
            for (int lane = 0; lane < PanelWidth; lane++)
            {
                int q = (pb * PanelWidth) + lane, y = q / paddedWidth, x = q % paddedWidth;
                if (y < outHeight && x < outWidth)
                {
                    first = first < 0 ? (y * outWidth) + x : first;
                    count++;
                }
            }

            result[2 * pb] = first < 0 ? 0 : first;
            result[(2 * pb) + 1] = count;
        }

        return result;
    }

    /// <summary>Per grid panel, its valid lanes in order (<c>[32·pb + j]</c> for j below the panel's count, 0 after).</summary>
    public static int[] GridPanelLanes(int outHeight, int outWidth, int paddedWidth)
    {
        int panels = GridPanelCount(outHeight, outWidth, paddedWidth);
        var result = new int[panels * PanelWidth];
        for (int pb = 0; pb < panels; pb++)
        {
            int j = 0;
            for (int lane = 0; lane < PanelWidth; lane++)
            {
                int q = (pb * PanelWidth) + lane;
                if (q / paddedWidth < outHeight && q % paddedWidth < outWidth)
                {
                    result[(pb * PanelWidth) + j++] = lane;
                }
            }
        }

        return result;
    }

    /// <summary>
    /// For each lane of each pool panel (as <see cref="PoolPixelOffsets"/>, stride 1), the origin of its receptive field
    /// on the padded-width grid, also for lanes past the pooled columns: their outputs are dropped, so every panel is read
    /// in place (the input needs <see cref="PanelWidth"/> readable floats after it).
    /// </summary>
    public static int[] PoolGridOffsets(int outHeight, int outWidth, int paddedWidth)
    {
        int poolRows = outHeight / 2, poolCols = outWidth / 2;
        int segments = (poolCols + PoolPanelOutputs - 1) / PoolPanelOutputs;
        var offsets = new int[poolRows * segments * PanelWidth];
        for (int pb = 0; pb < poolRows * segments; pb++)
        {
            int po = pb / segments, s = pb % segments;
            for (int lane = 0; lane < PanelWidth; lane++)
            {
                offsets[(pb * PanelWidth) + lane] = (((2 * po) + (lane / 16)) * paddedWidth) + (s * 16) + (lane % 16);
            }
        }

        return offsets;
    }

    /// <summary>
    /// Writes the valid lanes of <paramref name="rows"/> 32-wide tail rows to consecutive output pixels:
    /// <c>destination[r·stride + j] = tail[r·32 + lanes[32·pb + j]]</c> for j &lt; <paramref name="count"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CompressColumns(ref float tail, int rows, ref float destination, int stride, int[] lanes, int pb, int count)
    {
        ref int lane = ref lanes[pb * PanelWidth];
        if (Avx512F.IsSupported && count >= 16)
        {
            // Two permutes of the tail's 32 lanes: the first 16 valid lanes, and the last 16 (overlapping, same values).
            Vector512<int> first = Vector512.LoadUnsafe(ref lane);
            Vector512<int> last = Vector512.LoadUnsafe(ref lane, (nuint)(count - 16));
            for (int r = 0; r < rows; r++)
            {
                ref float t = ref Unsafe.Add(ref tail, r * PanelWidth);
                Vector512<float> lo = Vector512.LoadUnsafe(ref t), hi = Vector512.LoadUnsafe(ref t, 16);
                ref float d = ref Unsafe.Add(ref destination, r * stride);
                Avx512F.PermuteVar16x32x2(lo, first, hi).StoreUnsafe(ref d);
                Avx512F.PermuteVar16x32x2(lo, last, hi).StoreUnsafe(ref d, (nuint)(count - 16));
            }

            return;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            // The valid lanes are runs of consecutive lanes (one output row's pixels each): every run of 8 or more is
            // copied as whole vectors, the last one overlapping (same values), a shorter run lane by lane.
            for (int j = 0; j < count;)
            {
                int start = Unsafe.Add(ref lane, j), end = j + 1;
                while (end < count && Unsafe.Add(ref lane, end) == start + (end - j))
                {
                    end++;
                }

                CopyRun(ref Unsafe.Add(ref tail, start), ref Unsafe.Add(ref destination, j), rows, stride, end - j);
                j = end;
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            ref float t = ref Unsafe.Add(ref tail, r * PanelWidth);
            ref float d = ref Unsafe.Add(ref destination, r * stride);
            for (int j = 0; j < count; j++)
            {
                Unsafe.Add(ref d, j) = Unsafe.Add(ref t, Unsafe.Add(ref lane, j));
            }
        }
    }

    // Copies `length` consecutive floats of each of `rows` tail rows (PanelWidth apart) to output rows `stride` apart.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyRun(ref float source, ref float destination, int rows, int stride, int length)
    {
        if (Vector256.IsHardwareAccelerated && length >= 8)
        {
            nuint last = (nuint)(length - 8);
            for (int r = 0; r < rows; r++)
            {
                ref float t = ref Unsafe.Add(ref source, r * PanelWidth);
                ref float d = ref Unsafe.Add(ref destination, r * stride);
                for (nuint i = 0; i < last; i += 8)
                {
                    Vector256.LoadUnsafe(ref t, i).StoreUnsafe(ref d, i);
                }

                Vector256.LoadUnsafe(ref t, last).StoreUnsafe(ref d, last);
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            ref float t = ref Unsafe.Add(ref source, r * PanelWidth);
            ref float d = ref Unsafe.Add(ref destination, r * stride);
            for (int i = 0; i < length; i++)
            {
                Unsafe.Add(ref d, i) = Unsafe.Add(ref t, i);
            }
        }
    }

    /// <summary>
    /// Floats <see cref="PadShifted"/> writes: <paramref name="kernel"/> copies of the padded input, each
    /// <paramref name="channels"/> planes of (height + 2·padding) rows of <paramref name="width"/> columns, then
    /// <see cref="PanelWidth"/> zeros that the last panel may read.
    /// </summary>
    public static int ShiftedLength(int channels, int height, int width, int padding, int kernel) =>
        (kernel * channels * (height + (2 * padding)) * width) + PanelWidth;

    /// <summary>
    /// Tap offsets into <see cref="PadShifted"/>'s copies, in the weights' order (channel, row, column):
    /// tap (c, kh, kw) at <c>kw·channels·Hp·W + c·Hp·W + kh·W</c>, so output pixel q of any row reads it at
    /// <c>offset + q</c>: every panel of 32 consecutive output pixels is read in place, whatever the width.
    /// </summary>
    public static int[] ShiftedTapOffsets(int channels, int height, int width, int padding, int kernel)
    {
        int plane = (height + (2 * padding)) * width;
        var offsets = new int[channels * kernel * kernel];
        int k = 0;
        for (int c = 0; c < channels; c++)
        {
            for (int kh = 0; kh < kernel; kh++)
            {
                for (int kw = 0; kw < kernel; kw++)
                {
                    offsets[k++] = (((kw * channels) + c) * plane) + (kh * width);
                }
            }
        }

        return offsets;
    }

    /// <summary>
    /// The zero-padded input of a stride-1 "same" convolution (2·padding = kernel − 1, so rows keep their width) as
    /// <paramref name="kernel"/> column-shifted copies: <c>copy[kw][c][r][x] = padded[c][r][x + kw]</c>, rows
    /// <paramref name="width"/> apart. Each copy of a channel is the channel's plane moved by kw − padding floats in one
    /// block, then the columns that crossed a row's edge set to zero (<see cref="ShiftedLength"/> floats in all).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PadShifted(ref float source, int channels, int height, int width, int padding, int kernel, ref float destination)
    {
        int interior = height * width, border = padding * width, plane = interior + (2 * border);
        if (Vector256.IsHardwareAccelerated && kernel == 3 && padding == 1 && width % 8 == 0)
        {
            PadShifted3(ref source, channels, height, width, ref destination);
            ClearShort(ref Unsafe.Add(ref destination, 3 * channels * plane), PanelWidth);
            return;
        }

        for (int kw = 0; kw < kernel; kw++)
        {
            int shift = kw - padding, cut = Math.Abs(shift);
            for (int c = 0; c < channels; c++)
            {
                ref float copy = ref Unsafe.Add(ref destination, ((kw * channels) + c) * plane);
                ref float inside = ref Unsafe.Add(ref copy, border);
                ref float channel = ref Unsafe.Add(ref source, c * interior);
                ClearShort(ref copy, border);
                if (shift >= 0)
                {
                    CopyShort(ref Unsafe.Add(ref channel, shift), ref inside, interior - shift);
                }
                else
                {
                    CopyShort(ref channel, ref Unsafe.Add(ref inside, cut), interior - cut);
                }

                // Columns [0, cut) (shift < 0) or [width − cut, width) (shift > 0) of every row read across its edge: zeros.
                int first = shift < 0 ? 0 : width - cut;
                for (int y = 0; y < height; y++)
                {
                    ClearShort(ref Unsafe.Add(ref inside, (y * width) + first), cut);
                }

                ClearShort(ref Unsafe.Add(ref inside, interior), border);
            }
        }

        ClearShort(ref Unsafe.Add(ref destination, kernel * channels * plane), PanelWidth);
    }

    // PadShifted for a 3 × 3 kernel with padding 1 on rows of whole vectors: each input row is read once and written to the
    // three copies, the vectors at a row's ends moved one lane within the register (no read outside the row's own vectors).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PadShifted3(ref float source, int channels, int height, int width, ref float destination)
    {
        int interior = height * width, plane = interior + (2 * width), copy = channels * plane, last = width - 8;
        Vector256<int> right = Vector256.Create(0, 0, 1, 2, 3, 4, 5, 6), left = Vector256.Create(1, 2, 3, 4, 5, 6, 7, 7);
        Vector256<float> notFirst = Vector256.Create(0, -1, -1, -1, -1, -1, -1, -1).AsSingle();
        Vector256<float> notLast = Vector256.Create(-1, -1, -1, -1, -1, -1, -1, 0).AsSingle();
        for (int c = 0; c < channels; c++)
        {
            ref float d0 = ref Unsafe.Add(ref destination, c * plane);
            ref float d1 = ref Unsafe.Add(ref d0, copy);
            ref float d2 = ref Unsafe.Add(ref d1, copy);
            ClearShort(ref d0, width);
            ClearShort(ref d1, width);
            ClearShort(ref d2, width);
            for (int y = 0; y < height; y++)
            {
                ref float src = ref Unsafe.Add(ref source, (c * interior) + (y * width));
                nuint row = (nuint)((y + 1) * width);
                for (int x = 0; x < width; x += 8)
                {
                    Vector256<float> v = Vector256.LoadUnsafe(ref src, (nuint)x);
                    v.StoreUnsafe(ref d1, row + (nuint)x);
                    Vector256<float> before = x == 0
                        ? Vector256.BitwiseAnd(Vector256.Shuffle(v, right), notFirst)
                        : Vector256.LoadUnsafe(ref src, (nuint)(x - 1));
                    before.StoreUnsafe(ref d0, row + (nuint)x);
                    Vector256<float> after = x == last
                        ? Vector256.BitwiseAnd(Vector256.Shuffle(v, left), notLast)
                        : Vector256.LoadUnsafe(ref src, (nuint)(x + 1));
                    after.StoreUnsafe(ref d2, row + (nuint)x);
                }
            }

            nuint bottom = (nuint)((height + 1) * width);
            ClearShort(ref Unsafe.Add(ref d0, bottom), width);
            ClearShort(ref Unsafe.Add(ref d1, bottom), width);
            ClearShort(ref Unsafe.Add(ref d2, bottom), width);
        }
    }

    /// <summary>
    /// The inverse of <see cref="CompressColumns"/> for a residual read in the output's layout:
    /// <c>tail[r·32 + lanes[32·pb + j]] = source[r·stride + j]</c> for j &lt; <paramref name="count"/>; other lanes untouched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ExpandColumns(ref float source, int rows, int stride, int[] lanes, int pb, int count, ref float tail)
    {
        ref int lane = ref lanes[pb * PanelWidth];
        for (int r = 0; r < rows; r++)
        {
            ref float s = ref Unsafe.Add(ref source, r * stride);
            ref float t = ref Unsafe.Add(ref tail, r * PanelWidth);
            for (int j = 0; j < count; j++)
            {
                Unsafe.Add(ref t, Unsafe.Add(ref lane, j)) = Unsafe.Add(ref s, j);
            }
        }
    }
}
