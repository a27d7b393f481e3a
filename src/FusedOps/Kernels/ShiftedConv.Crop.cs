using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace FusedOps.Kernels;

/// <content>
/// <see cref="ProductCropped"/>: the product with its grid cropped in the register block's epilogue, so the valid lanes go
/// straight to NCHW planes and no grid is written and read back (the input gradient's crop was a pass of its own).
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
    /// <see cref="Product"/> over <paramref name="crop"/>'s columns with each row's valid lanes stored to its plane:
    /// <c>destination[r·plane + crop's output index of j] = C[r][j]</c>, nothing else written. Only where <see cref="CanCrop"/>.
    /// </summary>
    public static void ProductCropped(ref float packed, int rows, int depth, ref float b, ref int offsets, GridCrop crop, ref float destination, int plane)
    {
#if NET9_0_OR_GREATER
        if (!CanCrop)
        {
            throw new InvalidOperationException("ProductCropped needs 512-bit vectors; check ShiftedConv.CanCrop.");
        }

        fixed (float* pd = &destination, masks = crop.Masks, prefix = s_prefix)
        fixed (int* first = crop.First, count = crop.Count)
        {
            Product512(ref packed, rows, depth, ref b, ref offsets, crop.Columns, new CropStore(pd, plane, first, count, masks, prefix));
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
    /// Per 16-lane group of grid columns: stored as it is when all 16 lanes are valid (consecutive pixels of one row), else its
    /// valid lanes compressed and stored under a mask of their count, so nothing outside a row's pixels is written.
    /// </summary>
    private readonly struct CropStore(float* destination, nint plane, int* first, int* count, float* masks, float* prefix) : ITileStore
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Row<TV>(int row, int column, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2)
            where TV : struct, IVectors
        {
            int g = column >> 4;
            float* d = destination + (row * plane);
            Store(g, v0, d);
            if (default(TV).Count > 1)
            {
                Store(g + 1, v1, d);
            }

            if (default(TV).Count > 2)
            {
                Store(g + 2, v2, d);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Store(int g, Vector512<float> v, float* d)
        {
            int n = count[g];
            if (n == 16)
            {
                v.Store(d + first[g]);
            }
            else if (n != 0)
            {
                Vector512<float> mask = Vector512.Load(masks + (16 * g));
                Avx512F.MaskStore(d + first[g], Vector512.Load(prefix + 16 - n), Avx512F.Compress(Vector512<float>.Zero, mask, v));
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
