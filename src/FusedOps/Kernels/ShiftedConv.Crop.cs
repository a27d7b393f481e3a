using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// <see cref="ProductCropped"/>: the product with its grid cropped in the register block's epilogue, so the valid lanes go
/// straight to NCHW planes (with a bias and the per-row Σ, Σ² on the way) and no grid is written and read back.
/// </content>
public static unsafe partial class ShiftedConv
{
    // Lanes [16 − count, 32 − count) of this select the first `count` lanes of a vector (a store mask).
    private static readonly float[] s_prefix = CreatePrefix();

    /// <summary>Whether <see cref="ProductCropped"/> can run at the current width (512 bits, with compress and masked stores).</summary>
    public static bool CanCrop =>
#if NET9_0_OR_GREATER
        KernelDispatch.RuntimeBits == 512;
#else
        false;
#endif

    /// <summary>
    /// <see cref="Product"/> over <paramref name="crop"/>'s columns, with each row's valid lanes stored to its plane:
    /// <c>destination[r·plane + crop's output index] = C[r][j] + bias[r]</c>; when <paramref name="sums"/> is not empty,
    /// Σ and Σ² of each row's valid values (before the bias) are added to <c>sums[r]</c> and <c>sums[rows + r]</c>, summed in
    /// 16 float lanes per row over the whole product (<paramref name="lanes"/>, 32·rows floats of scratch), then in double.
    /// Only where <see cref="CanCrop"/>.
    /// </summary>
    public static void ProductCropped(ref float packed, int rows, int depth, ref float b, ref int offsets, GridCrop crop, ref float destination, int plane,
        ReadOnlySpan<float> bias, Span<double> sums, Span<float> lanes)
    {
#if NET9_0_OR_GREATER
        if (!CanCrop)
        {
            throw new InvalidOperationException("ProductCropped needs 512-bit vectors; check ShiftedConv.CanCrop.");
        }

        bool summed = !sums.IsEmpty;
        if (summed)
        {
            lanes.Slice(0, 32 * rows).Clear();
        }

        fixed (float* pd = &destination, pb = bias, pl = lanes, masks = crop.Masks, prefix = s_prefix)
        fixed (int* first = crop.First, count = crop.Count)
        {
            var store = new CropStore(pd, plane, first, count, masks, prefix, pb, summed ? pl : null);
            Product512(ref packed, rows, depth, ref b, ref offsets, crop.Columns, store);
        }

        if (summed)
        {
            for (int r = 0; r < rows; r++)
            {
                double s = 0, q = 0;
                for (int l = 0; l < 16; l++)
                {
                    s += lanes[(32 * r) + l];
                    q += lanes[(32 * r) + 16 + l];
                }

                sums[r] += s;
                sums[rows + r] += q;
            }
        }
#else
        throw new PlatformNotSupportedException("ProductCropped needs .NET 9 or later.");
#endif
    }

    private static float[] CreatePrefix()
    {
        var prefix = new float[32];
        prefix.AsSpan(0, 16).Fill(BitConverter.Int32BitsToSingle(-1));
        return prefix;
    }

#if NET9_0_OR_GREATER
    /// <summary>
    /// Per 16-lane group of grid columns: compress the valid lanes (consecutive output pixels) and store them with a mask of
    /// their count, so nothing outside a row's plane is written; sum the masked raw values into the row's 16 + 16 lanes.
    /// </summary>
    private readonly struct CropStore(float* destination, nint plane, int* first, int* count, float* masks, float* prefix, float* bias, float* lanes)
        : ITileStore
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Row<TV>(int row, int column, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2)
            where TV : struct, IVectors
        {
            int g = column >> 4;
            Vector512<float> shift = bias is null ? Vector512<float>.Zero : Vector512.Create(bias[row]);
            float* d = destination + (row * plane);
            float* l = lanes is null ? null : lanes + (32 * row);
            Lane(g, v0, shift, d, l);
            if (default(TV).Count > 1)
            {
                Lane(g + 1, v1, shift, d, l);
            }

            if (default(TV).Count > 2)
            {
                Lane(g + 2, v2, shift, d, l);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Lane(int g, Vector512<float> v, Vector512<float> shift, float* d, float* l)
        {
            Vector512<float> mask = Vector512.Load(masks + (16 * g));
            if (l is not null)
            {
                Vector512<float> x = v & mask;
                Vector512.Store(Vector512.Load(l) + x, l);
                Vector512.Store(Simd.Fma(x, x, Vector512.Load(l + 16)), l + 16);
            }

            int n = count[g];
            if (n != 0)
            {
                Avx512F.MaskStore(d + first[g], Vector512.Load(prefix + 16 - n), Avx512F.Compress(Vector512<float>.Zero, mask, v + shift));
            }
        }
    }
#endif
}

/// <summary>
/// Where the valid lanes of a padded-width grid go in NCHW: grid column q = y·gridWidth + x is output pixel
/// <c>y·width + (x − start)</c> when y &lt; rows and start ≤ x &lt; start + width, and is dropped otherwise. Per 16-column
/// group: the output pixel of its first valid lane, how many, and a lane mask (the valid lanes of a group are consecutive
/// pixels, so they are stored as one run). Built once per layer.
/// </summary>
[System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
public sealed class GridCrop
{
    /// <summary>The crop of a grid of <paramref name="columns"/> (a multiple of <see cref="ShiftedConv.Columns"/>) onto <paramref name="rows"/> × <paramref name="width"/>.</summary>
    public GridCrop(int rows, int width, int start, int gridWidth, int columns)
    {
        if (columns % ShiftedConv.Columns != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, $"columns must be a multiple of {ShiftedConv.Columns}.");
        }

        Columns = columns;
        int groups = columns / 16;
        (First, Count, Masks) = (new int[groups], new int[groups], new float[columns]);
        float all = BitConverter.Int32BitsToSingle(-1);
        for (int g = 0; g < groups; g++)
        {
            for (int lane = 0; lane < 16; lane++)
            {
                int q = (16 * g) + lane, y = q / gridWidth, x = (q % gridWidth) - start;
                if (y < rows && x >= 0 && x < width)
                {
                    First[g] = Count[g]++ == 0 ? (y * width) + x : First[g];
                    Masks[q] = all;
                }
            }
        }
    }

    /// <summary>Grid columns covered.</summary>
    public int Columns { get; }

    internal int[] First { get; }

    internal int[] Count { get; }

    internal float[] Masks { get; }
}
