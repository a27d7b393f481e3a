using System;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// MaxPool2d(2)'s vector path gives the scalar path's maxima and arg-maxima exactly, ties (first in row-major
/// order wins) and NaNs (a later NaN wins) included, on odd and even plane sides.
/// </summary>
[Collection("KernelLevel")]
public sealed class MaxPool2x2Tests
{
    [Theory]
    [InlineData(28, 28)]
    [InlineData(7, 35)]
    [InlineData(14, 17)]
    [InlineData(14, 14)]
    public void VectorPath_MatchesScalarPath(int h, int w)
    {
        const int planes = 3;
        var random = new Random(h * w);
        float[] x = new float[planes * h * w];
        for (int i = 0; i < x.Length; i++)
        {
            // Few distinct values make ties common; a few NaNs and infinities.
            int pick = random.Next(40);
            x[i] = pick == 0 ? float.NaN : pick == 1 ? float.NegativeInfinity : random.Next(4) - 1.5f;
        }

        var g = new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0);
        (float[] y, int[] at) expected = Pool(x, planes, g, 0);
        foreach (int bits in new[] { 512, 256 })
        {
            if (bits > KernelDispatch.HardwareBits)
            {
                continue;
            }

            (float[] y, int[] at) actual = Pool(x, planes, g, bits);
            Assert.Equal(expected.at, actual.at);
            for (int i = 0; i < expected.y.Length; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(expected.y[i]), BitConverter.SingleToInt32Bits(actual.y[i]));
            }
        }
    }

    private static (float[] Y, int[] At) Pool(float[] x, int planes, Pooling.Window g, int bits)
    {
        float[] y = new float[planes * g.OutPlane];
        int[] at = new int[y.Length];
        KernelLevelCollection.AtLevel(bits, () => Pooling.MaxForward(ref x[0], ref y[0], ref at[0], planes, g, save: true));
        return (y, at);
    }
}
