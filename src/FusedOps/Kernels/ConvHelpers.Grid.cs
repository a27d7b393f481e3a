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
    private static void CopyRun(ref float source, ref float destination, int rows, int stride, int length)
    {
        if (length >= 8)
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
    /// The inverse of <see cref="CompressColumns"/> for a residual read in the output's layout:
    /// <c>tail[r·32 + lanes[32·pb + j]] = source[r·stride + j]</c> for j &lt; <paramref name="count"/>; other lanes untouched.
    /// </summary>
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
