using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// Memory-bound pieces of the generated convolutions: zero padding, im2col panel packing and its
/// transpose (col2im scatter). The compute-bound register-blocked loops are generated per layer.
/// A panel holds 32 consecutive output pixels for every kernel tap: <c>panel[k·32 + c]</c>.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static partial class ConvHelpers
{
    /// <summary>Columns in a panel; generated kernels are blocked for it.</summary>
    public const int PanelWidth = 32;

    /// <summary>
    /// For each output pixel (rounded up to whole panels), the offset of its receptive field's
    /// top-left tap in the padded input plane, or −1 past the last pixel.
    /// </summary>
    public static int[] PixelOffsets(int outHeight, int outWidth, int stride, int paddedWidth)
    {
        int pixels = outHeight * outWidth;
        int panels = (pixels + PanelWidth - 1) / PanelWidth;
        var offsets = new int[panels * PanelWidth];
        for (int p = 0; p < offsets.Length; p++)
        {
            offsets[p] = p < pixels ? ((p / outWidth) * stride * paddedWidth) + ((p % outWidth) * stride) : -1;
        }

        return offsets;
    }

    /// <summary>For each kernel tap k = (ic, kh, kw) of one group, its offset in the padded input.</summary>
    public static int[] TapOffsets(int groupChannels, int kernel, int dilation, int paddedHeight, int paddedWidth)
    {
        var offsets = new int[groupChannels * kernel * kernel];
        int k = 0;
        for (int c = 0; c < groupChannels; c++)
        {
            for (int kh = 0; kh < kernel; kh++)
            {
                for (int kw = 0; kw < kernel; kw++)
                {
                    offsets[k++] = (c * paddedHeight * paddedWidth) + (kh * dilation * paddedWidth) + (kw * dilation);
                }
            }
        }

        return offsets;
    }

    /// <summary>Row offsets k·32 of a packed panel with <paramref name="taps"/> rows: the tap offsets the kernels use for a packed panel.</summary>
    public static int[] PackedOffsets(int taps)
    {
        var offsets = new int[taps];
        for (int k = 0; k < taps; k++)
        {
            offsets[k] = k * PanelWidth;
        }

        return offsets;
    }

    /// <summary>For each panel, whether it is 32 full, consecutive input positions (stride 1, one row).</summary>
    public static bool[] ContiguousPanels(int[] pixelOffsets)
    {
        var result = new bool[pixelOffsets.Length / PanelWidth];
        for (int pb = 0; pb < result.Length; pb++)
        {
            int first = pixelOffsets[pb * PanelWidth];
            int last = pixelOffsets[(pb * PanelWidth) + PanelWidth - 1];
            result[pb] = first >= 0 && last == first + PanelWidth - 1;
        }

        return result;
    }

    /// <summary>Copies <paramref name="channels"/> planes of h×w into planes of (h+2p)×(w+2p) with a zero border.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pad(ref float source, int channels, int height, int width, int padding, ref float destination)
    {
        int pw = width + (2 * padding);
        int ph = height + (2 * padding);
        // Only the border is cleared, so the interior is written once instead of twice (a memory-bound pass before every conv).
        for (int c = 0; c < channels; c++)
        {
            ref float plane = ref Unsafe.Add(ref destination, c * ph * pw);
            ClearShort(ref plane, (padding * pw) + padding);
            for (int y = 0; y < height; y++)
            {
                ref float row = ref Unsafe.Add(ref plane, ((y + padding) * pw) + padding);
                CopyShort(ref Unsafe.Add(ref source, ((c * height) + y) * width), ref row, width);
                // This row's right border and the next row's left border are adjacent.
                ClearShort(ref Unsafe.Add(ref row, width), 2 * padding);
            }

            ClearShort(ref Unsafe.Add(ref plane, ((height + padding) * pw) + padding), (padding * pw) - padding);
        }
    }

    /// <summary>Adds the interior of padded planes into unpadded ones (the transpose of <see cref="Pad"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CropAdd(ref float padded, int channels, int height, int width, int padding, ref float destination)
    {
        int pw = width + (2 * padding);
        int ph = height + (2 * padding);
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                Add(ref Unsafe.Add(ref padded, (((c * ph) + y + padding) * pw) + padding), ref Unsafe.Add(ref destination, ((c * height) + y) * width), width);
            }
        }
    }

    /// <summary>Gathers panel <paramref name="pb"/>: <c>panel[k·32 + c] = input[taps[k] + pixels[pb·32 + c]]</c>, zero past the end.</summary>
    public static void PackPanel(ref float input, int[] taps, int[] pixels, bool contiguous, int pb, ref float panel) =>
        PackPanel(ref input, taps, pixels, contiguous, pb, ref panel, PanelWidth);

    /// <summary>
    /// Gathers panel <paramref name="pb"/> with rows <paramref name="rowStride"/> apart:
    /// <c>panel[k·rowStride + c] = input[taps[k] + pixels[pb·32 + c]]</c>, zero past the last pixel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackPanel(ref float input, int[] taps, int[] pixels, bool contiguous, int pb, ref float panel, int rowStride)
    {
        int baseIndex = pb * PanelWidth;
        ref int tapRef = ref MemoryMarshal.GetArrayDataReference(taps);
        if (contiguous)
        {
            ref float first = ref Unsafe.Add(ref input, pixels[baseIndex]);
            for (int k = 0; k < taps.Length; k++)
            {
                Copy32(ref Unsafe.Add(ref first, Unsafe.Add(ref tapRef, k)), ref Unsafe.Add(ref panel, k * rowStride));
            }

            return;
        }

        // Valid pixels are a prefix of the panel (−1 marks the end of the image).
        ref int pixel = ref pixels[baseIndex];
        int valid = 0;
        while (valid < PanelWidth && Unsafe.Add(ref pixel, valid) >= 0)
        {
            valid++;
        }

        // Runs of consecutive input positions (a stride-1 panel spanning a few rows) are block copies.
        Span<int> runStart = stackalloc int[4];
        int runs = 0;
        for (int c = 0; c < valid && runs <= 4; c++)
        {
            if (c == 0 || Unsafe.Add(ref pixel, c) != Unsafe.Add(ref pixel, c - 1) + 1)
            {
                if (runs < 4)
                {
                    runStart[runs] = c;
                }

                runs++;
            }
        }

        if (runs <= 4 && valid > 0)
        {
            // Run by run, then tap by tap: a run's length is fixed across the taps, so a run of 16 (a 16-wide image)
            // is one vector per tap.
            for (int r = 0; r < runs; r++)
            {
                int c0 = runStart[r];
                int length = (r + 1 < runs ? runStart[r + 1] : valid) - c0;
                ref float from = ref Unsafe.Add(ref input, Unsafe.Add(ref pixel, c0));
                ref float to = ref Unsafe.Add(ref panel, c0);
                if (length == 16 && Vector512.IsHardwareAccelerated)
                {
                    for (int k = 0; k < taps.Length; k++)
                    {
                        Vector512.LoadUnsafe(ref Unsafe.Add(ref from, Unsafe.Add(ref tapRef, k))).StoreUnsafe(ref Unsafe.Add(ref to, k * rowStride));
                    }

                    continue;
                }

                for (int k = 0; k < taps.Length; k++)
                {
                    CopyShort(ref Unsafe.Add(ref from, Unsafe.Add(ref tapRef, k)), ref Unsafe.Add(ref to, k * rowStride), length);
                }
            }

            for (int k = 0; valid < PanelWidth && k < taps.Length; k++)
            {
                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref panel, (k * rowStride) + valid), PanelWidth - valid).Clear();
            }

            return;
        }

        for (int k = 0; k < taps.Length; k++)
        {
            ref float tap = ref Unsafe.Add(ref input, Unsafe.Add(ref tapRef, k));
            ref float row = ref Unsafe.Add(ref panel, k * rowStride);
            for (int c = 0; c < valid; c++)
            {
                Unsafe.Add(ref row, c) = Unsafe.Add(ref tap, Unsafe.Add(ref pixel, c));
            }

            for (int c = valid; c < PanelWidth; c++)
            {
                Unsafe.Add(ref row, c) = 0f;
            }
        }
    }

    /// <summary>
    /// Packs rows × length values transposed into blocks of 32 rows: <c>destination[(b·paddedLength + p)·32 + j] = source[(b·32 + j)·length + p]</c>,
    /// zero where p ≥ length or b·32 + j ≥ rows. The output gradient in this layout is the B operand of the weight gradient.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackTransposed(ref float source, int rows, int length, int paddedLength, ref float destination)
    {
        int blocks = (rows + PanelWidth - 1) / PanelWidth;
        MemoryMarshal.CreateSpan(ref destination, blocks * paddedLength * PanelWidth).Clear();
        for (int r = 0; r < rows; r++)
        {
            ref float src = ref Unsafe.Add(ref source, r * length);
            ref float dst = ref Unsafe.Add(ref destination, ((r / PanelWidth) * paddedLength * PanelWidth) + (r % PanelWidth));
            for (int p = 0; p < length; p++)
            {
                Unsafe.Add(ref dst, p * PanelWidth) = Unsafe.Add(ref src, p);
            }
        }
    }

    /// <summary>Adds a transposed weight gradient held as blocks <c>[b][tap][32]</c> into <c>weights[oc·taps + tap]</c>, oc = b·32 + j &lt; <paramref name="rows"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddTransposed(ref float blocksOfTaps, int taps, int rows, ref float weights)
    {
        for (int oc = 0; oc < rows; oc++)
        {
            ref float src = ref Unsafe.Add(ref blocksOfTaps, ((oc / PanelWidth) * taps * PanelWidth) + (oc % PanelWidth));
            ref float dst = ref Unsafe.Add(ref weights, oc * taps);
            for (int k = 0; k < taps; k++)
            {
                Unsafe.Add(ref dst, k) += Unsafe.Add(ref src, k * PanelWidth);
            }
        }
    }

    /// <summary>The transpose of packing a panel: <c>input[taps[k] + pixels[pb·32 + c]] += panel[k·32 + c]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScatterPanel(ref float panel, int[] taps, int[] pixels, bool contiguous, int pb, ref float input)
    {
        int baseIndex = pb * PanelWidth;
        if (contiguous)
        {
            ref float first = ref Unsafe.Add(ref input, pixels[baseIndex]);
            for (int k = 0; k < taps.Length; k++)
            {
                Add(ref Unsafe.Add(ref panel, k * PanelWidth), ref Unsafe.Add(ref first, taps[k]), PanelWidth);
            }

            return;
        }

        for (int k = 0; k < taps.Length; k++)
        {
            ref float tap = ref Unsafe.Add(ref input, taps[k]);
            ref float row = ref Unsafe.Add(ref panel, k * PanelWidth);
            for (int c = 0; c < PanelWidth; c++)
            {
                int offset = pixels[baseIndex + c];
                if (offset >= 0)
                {
                    Unsafe.Add(ref tap, offset) += Unsafe.Add(ref row, c);
                }
            }
        }
    }

    /// <summary>Copies the first <paramref name="count"/> columns of <paramref name="rows"/> rows between row strides.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CopyColumns(ref float source, int rows, int sourceStride, int count, ref float destination, int destinationStride)
    {
        for (int r = 0; r < rows; r++)
        {
            CopyShort(ref Unsafe.Add(ref source, r * sourceStride), ref Unsafe.Add(ref destination, r * destinationStride), count);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy32(ref float source, ref float destination)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512.LoadUnsafe(ref source).StoreUnsafe(ref destination);
            Vector512.LoadUnsafe(ref source, 16).StoreUnsafe(ref destination, 16);
        }
        else
        {
            MemoryMarshal.CreateReadOnlySpan(ref source, PanelWidth).CopyTo(MemoryMarshal.CreateSpan(ref destination, PanelWidth));
        }
    }

    // Zeroes a padding border of a few floats inline: a call into Span.Clear per row cost more than the stores (case S2's padding).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void ClearShort(ref float destination, int count)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 8; i += 8)
            {
                Vector256<float>.Zero.StoreUnsafe(ref destination, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref destination, i) = 0f;
        }
    }

    // A short copy between distinct buffers (an image row, a panel row's run of pixels) done inline: Span.CopyTo's call
    // into Memmove cost more than the copy itself for rows of 16, so packing took three times the arithmetic of an
    // 8→8 3×3 convolution on 16×16 (case S2).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyShort(ref float source, ref float destination, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= count - 16; i += 16)
            {
                Vector512.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref destination, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 8; i += 8)
            {
                Vector256.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref destination, (nuint)i);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= count - 4; i += 4)
            {
                Vector128.LoadUnsafe(ref source, (nuint)i).StoreUnsafe(ref destination, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref destination, i) = Unsafe.Add(ref source, i);
        }
    }

    /// <summary><c>destination[i] += source[i]</c> for i &lt; count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Add(ref float source, ref float destination, int count)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 8; i += 8)
            {
                Prefetch.Line(ref Unsafe.Add(ref source, i));
                (Vector256.LoadUnsafe(ref destination, (nuint)i) + Vector256.LoadUnsafe(ref source, (nuint)i)).StoreUnsafe(ref destination, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            Unsafe.Add(ref destination, i) += Unsafe.Add(ref source, i);
        }
    }
}
