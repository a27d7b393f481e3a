using System;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <c>ConvHelpers.PoolBand</c>, which pools one band of a convolution's output rows in inference, against the pool pass
/// (<c>Pooling.MaxForward</c> / <c>AvgForward</c>) on the whole plane: the same maxima (ties, NaNs and −∞ included) and the same
/// means up to rounding, for windows cut by padding, strides above the window, rows shorter and longer than a vector; the
/// band positions past its columns hold NaN, so a read of them would show.
/// </summary>
public sealed class PoolBandKernelTests
{
    [Theory]
    [InlineData(11, 13, 3, 3, 0)]
    [InlineData(10, 14, 3, 3, 1)]
    [InlineData(21, 23, 4, 5, 2)]
    [InlineData(9, 8, 2, 3, 0)]
    [InlineData(5, 6, 2, 2, 1)]
    [InlineData(7, 40, 3, 3, 1)]
    [InlineData(6, 5, 1, 2, 0)]
    public void PoolBand_MatchesThePoolPass(int h, int w, int k, int stride, int padding)
    {
        const int channels = 3;
        var random = new Random((h * 100) + w);
        float[] x = new float[channels * h * w];
        for (int i = 0; i < x.Length; i++)
        {
            // Few distinct values make ties common; a few NaNs and infinities.
            int pick = random.Next(40);
            x[i] = pick == 0 ? float.NaN : pick == 1 ? float.NegativeInfinity : random.Next(4) - 1.5f;
        }

        var g = new Pooling.Window(h, w, ((h + (2 * padding) - k) / stride) + 1, ((w + (2 * padding) - k) / stride) + 1, k, stride, padding);
        foreach (bool max in new[] { true, false })
        {
            float[] expected = new float[channels * g.OutPlane];
            if (max)
            {
                Pooling.MaxForward(ref x[0], ref expected[0], ref System.Runtime.CompilerServices.Unsafe.NullRef<int>(), channels, g, false);
            }
            else
            {
                Pooling.AvgForward(ref x[0], ref expected[0], channels, g);
            }

            float[] actual = new float[expected.Length];
            int rowStep = w + 3, ld = (k * rowStep) + 5;
            for (int po = 0; po < g.OutH; po++)
            {
                int r0 = Math.Max(0, (po * stride) - padding), r1 = Math.Min(h, (po * stride) - padding + k);
                float[] band = new float[channels * ld];
                Array.Fill(band, float.NaN);
                for (int c = 0; c < channels; c++)
                {
                    for (int r = r0; r < r1; r++)
                    {
                        // Only the columns some window covers are the band's; the rest stays NaN.
                        int width = Math.Min(w, ((g.OutW - 1) * stride) - padding + k);
                        Array.Copy(x, (c * h * w) + (r * w), band, (c * ld) + ((r - r0) * rowStep), width);
                    }
                }

                ConvHelpers.PoolBand(ref band[0], channels, ld, rowStep, po, ref actual[po * g.OutW], g.OutPlane, g, max);
            }

            for (int i = 0; i < expected.Length; i++)
            {
                if (max || float.IsNaN(expected[i]) || float.IsInfinity(expected[i]))
                {
                    Assert.True(expected[i].Equals(actual[i]), $"max={max}, output {i}: expected {expected[i]}, got {actual[i]}");
                }
                else
                {
                    Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f * Math.Max(1f, Math.Abs(expected[i])), $"mean {i}: expected {expected[i]}, got {actual[i]}");
                }
            }
        }
    }
}
