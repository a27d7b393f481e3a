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
    [InlineData(10, 10)]
    [InlineData(12, 34)]
    [InlineData(8, 6)]
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
        foreach (int bits in new[] { 512, 256, 128 })
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

    /// <summary>
    /// The backward's vector path (windows written whole, no clear and scatter) gives the scalar path's bits: dy at each arg-max,
    /// +0 elsewhere and for a −0 gradient, NaN gradients carried, on planes whose rows end in 8-, 4- and overlapping 4-wide blocks;
    /// and odd sides (rows and columns in no window) keep their zeros.
    /// </summary>
    [Theory]
    [InlineData(28, 28)]
    [InlineData(14, 14)]
    [InlineData(10, 10)]
    [InlineData(12, 34)]
    [InlineData(8, 6)]
    [InlineData(7, 15)]
    public void VectorBackward_MatchesScalarPath(int h, int w)
    {
        const int planes = 3;
        var random = new Random((h * w) + 1);
        float[] x = new float[planes * h * w];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = random.Next(40) == 0 ? float.NaN : random.Next(5) - 2f;
        }

        var g = new Pooling.Window(h, w, h / 2, w / 2, 2, 2, 0);
        (_, int[] at) = Pool(x, planes, g, 0);
        float[] dy = new float[at.Length];
        for (int i = 0; i < dy.Length; i++)
        {
            int pick = random.Next(10);
            dy[i] = pick == 0 ? -0f : pick == 1 ? float.NaN : (float)(random.NextDouble() - 0.5);
        }

        float[] expected = Unpool(dy, at, planes, g, 0);
        Assert.Contains(expected, v => v != 0);
        foreach (int bits in new[] { 512, 256, 128 })
        {
            if (bits > KernelDispatch.HardwareBits)
            {
                continue;
            }

            float[] actual = Unpool(dy, at, planes, g, bits);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(actual[i]));
            }
        }
    }

    private static float[] Unpool(float[] dy, int[] at, int planes, Pooling.Window g, int bits)
    {
        float[] dx = new float[planes * g.InPlane];
        dx.AsSpan().Fill(float.NaN);
        KernelLevelCollection.AtLevel(bits, () => Pooling.MaxBackward(ref dy[0], ref at[0], ref dx[0], planes, g));
        return dx;
    }

    private static (float[] Y, int[] At) Pool(float[] x, int planes, Pooling.Window g, int bits)
    {
        float[] y = new float[planes * g.OutPlane];
        int[] at = new int[y.Length];
        KernelLevelCollection.AtLevel(bits, () => Pooling.MaxForward(ref x[0], ref y[0], ref at[0], planes, g, save: true));
        return (y, at);
    }
}
