using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// <see cref="SingleChannelConv.Run3x3{TAct}"/> called directly at 256 bits: the bits of the generated kernels' sum (the 9 taps
/// in order, one FMA each from zero, then act(scale · sum + shift)) on rows that are and are not whole vectors, output channel
/// counts with and without a remainder past 4, one row and one vector; nothing past the output is written; the scalar level refuses
/// (128 bits: Vector128RemainderTests).
/// </summary>
[Collection("KernelLevel")]
public sealed class SingleChannelConvTests
{
    [Theory]
    [InlineData(28, 28, 16)]
    [InlineData(16, 16, 8)]
    [InlineData(5, 9, 5)]
    [InlineData(7, 13, 6)]
    [InlineData(1, 17, 3)]
    [InlineData(3, 8, 1)]
    public void Run3x3_GivesTheDirectSumsBits(int height, int width, int outChannels) =>
        KernelLevelCollection.AtLevel(256, () =>
        {
            if (KernelDispatch.Level != 1)
            {
                return; // no AVX2 + FMA: 128 bits at most (Vector128RemainderTests, where FMA is fused) or the grid kernels
            }

            var rng = new Random((height * 31) + (width * 7) + outChannels);
            float[] x = Values(rng, height * width), w = Values(rng, outChannels * 9), scale = Values(rng, outChannels), shift = Values(rng, outChannels);
            int length = outChannels * height * width;
            float[] y = Enumerable.Repeat(12345f, length + 16).ToArray();
            float[] scratch = new float[SingleChannelConv.ScratchLength(height, width)];
            SingleChannelConv.Run3x3(new ReluOperator(), ref x[0], height, width, outChannels, ref w[0], ref scale[0], ref shift[0], ref y[0], ref scratch[0]);

            for (int o = 0; o < outChannels; o++)
            {
                for (int r = 0; r < height; r++)
                {
                    for (int c = 0; c < width; c++)
                    {
                        float expected = DirectSum(x, height, width, w, scale, shift, o, r, c);
                        Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(y[(((o * height) + r) * width) + c]));
                    }
                }
            }

            Assert.All(y.Skip(length), v => Assert.Equal(12345f, v));
        });

    [Fact]
    public void Run3x3_RefusesOtherLevelsAndNarrowRows()
    {
        float[] x = new float[64], w = new float[9], scale = new float[1], shift = new float[1], y = new float[64], scratch = new float[100];
        KernelLevelCollection.AtLevel(256, () =>
        {
            if (SingleChannelConv.Enabled256)
            {
                Assert.Throws<ArgumentOutOfRangeException>(() => SingleChannelConv.Run3x3(
                    new ReluOperator(), ref x[0], 8, 7, 1, ref w[0], ref scale[0], ref shift[0], ref y[0], ref scratch[0]));
            }
        });
        KernelLevelCollection.AtLevel(0, () =>
        {
            Assert.False(SingleChannelConv.Enabled256);
            Assert.Throws<InvalidOperationException>(() => SingleChannelConv.Run3x3(
                new ReluOperator(), ref x[0], 8, 8, 1, ref w[0], ref scale[0], ref shift[0], ref y[0], ref scratch[0]));
        });
    }

    /// <summary>Output (o, r, c) as the generated kernels sum it: the 9 taps in order, one FMA each from zero, then ReLU(scale · sum + shift).</summary>
    internal static float DirectSum(float[] x, int height, int width, float[] w, float[] scale, float[] shift, int o, int r, int c)
    {
        float acc = 0f;
        for (int k = 0; k < 9; k++)
        {
            int ir = r + (k / 3) - 1, ic = c + (k % 3) - 1;
            float v = ir >= 0 && ir < height && ic >= 0 && ic < width ? x[(ir * width) + ic] : 0f;
            acc = MathF.FusedMultiplyAdd(w[(o * 9) + k], v, acc);
        }

        return MathF.Max(MathF.FusedMultiplyAdd(acc, scale[o], shift[o]), 0f);
    }

    private static float[] Values(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
}
