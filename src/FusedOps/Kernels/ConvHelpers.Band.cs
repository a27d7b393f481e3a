using System;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <summary>The padded band of input rows the runtime's inference convolutions (<see cref="Im2colGemm"/>, <see cref="LanesConv"/>) read.</summary>
public static unsafe partial class ConvHelpers
{
    /// <summary>
    /// Padded rows <paramref name="r0"/> … <paramref name="r0"/> + <paramref name="rows"/> − 1 of every channel of
    /// <paramref name="x"/> (channels × height × width), each (width + 2·padding) floats with zeros either side, and rows
    /// above or below the image all zeros, one channel's rows after another from <paramref name="band"/>. Each part of a
    /// split call pads only the rows it reads, so no serial pass precedes the split.
    /// </summary>
    /// <returns>The float after the band.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float* PadRows(float* x, int channels, int height, int width, int padding, int r0, int rows, float* band)
    {
        int wp = width + (2 * padding);
        float* to = band;
        for (int ci = 0; ci < channels; ci++)
        {
            for (int r = r0; r < r0 + rows; r++, to += wp)
            {
                int ih = r - padding;
                if (ih < 0 || ih >= height)
                {
                    new Span<float>(to, wp).Clear();
                    continue;
                }

                // The borders are a float or two: stores, not a Span.Clear call each (those calls were 3 % of the Fashion network's inference).
                for (int i = 0; i < padding; i++)
                {
                    to[i] = 0f;
                    to[padding + width + i] = 0f;
                }

                CopyShort(ref *(x + ((((nint)ci * height) + ih) * width)), ref *(to + padding), width);
            }
        }

        return to;
    }
}
