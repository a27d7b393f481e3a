using System;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using FusedOps.Kernels;
using Xunit;
using static FusedOps.Tests.Vector128KernelTests;

namespace FusedOps.Tests;

/// <summary>
/// The last runtime kernels given a 128-bit path (<see cref="KernelOptions.MaxVectorBits"/> 128): <see cref="SingleChannelConv.Run3x3{TAct}"/>
/// (the bits of the direct sum, one FMA a tap from zero, as at 256; rows of 2 to 10 4-pixel vectors, so every mix of the 4-, 3- and
/// 2-vector steps, the last vector overlapping or not; output channel counts with a remainder past 4), <see cref="Gemm.RowSums"/> (the 256-bit path's bits: its accumulators as halves, the
/// lanes added across as <c>Vector256.Sum</c> adds them), and <see cref="Conv2dTrainer"/>'s input-gradient crop with and without a
/// saved gradient added (the 256-bit and scalar paths' values on rows of 4-wide steps, an overlapping last vector and scalar rows).
/// </summary>
[Collection("KernelLevel")]
public sealed class Vector128RemainderTests
{
    // At 128 bits Run3x3 runs where Vector128 is accelerated; its sums are fused where the hardware has FMA (x64 FMA3, ARM64).
    private static bool Fused128 => KernelDispatch.HardwareBits >= 128 && (Fma.IsSupported || AdvSimd.IsSupported);

    [Theory]
    [InlineData(28, 28, 16)]
    [InlineData(16, 16, 8)]
    [InlineData(5, 9, 5)]
    [InlineData(7, 13, 6)]
    [InlineData(1, 17, 3)]
    [InlineData(3, 8, 1)]
    [InlineData(4, 12, 7)]
    [InlineData(2, 10, 4)]
    [InlineData(3, 24, 4)]
    [InlineData(2, 37, 9)]
    [InlineData(3, 21, 5)]
    public void SingleChannelConv_At128Bits_GivesTheDirectSumsBits(int height, int width, int outChannels)
    {
        if (!Fused128)
        {
            return; // no Vector128 with FMA: the direct sum's bits are the fused ones
        }

        var random = new Random((height * 31) + (width * 7) + outChannels);
        float[] x = Random(random, height * width), w = Random(random, outChannels * 9), scale = Random(random, outChannels), shift = Random(random, outChannels);
        float[] y = SingleChannel(128, x, height, width, outChannels, w, scale, shift);
        int length = outChannels * height * width;
        for (int o = 0; o < outChannels; o++)
        {
            for (int r = 0; r < height; r++)
            {
                for (int c = 0; c < width; c++)
                {
                    float expected = SingleChannelConvTests.DirectSum(x, height, width, w, scale, shift, o, r, c);
                    float actual = y[(((o * height) + r) * width) + c];
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                        $"{height} × {width}, {outChannels} channels: output ({o}, {r}, {c}) is {actual:R} at 128 bits, the direct sum {expected:R}.");
                }
            }
        }

        Assert.All(y.Skip(length), v => Assert.Equal(12345f, v));
        if (KernelDispatch.HardwareBits >= 256)
        {
            AssertSameBits(SingleChannel(256, x, height, width, outChannels, w, scale, shift), y, $"Run3x3 {height} × {width}, {outChannels} channels");
        }
    }

    [Fact]
    public void SingleChannelConv_RunsAt128Bits_OnRowsOf8AndMore()
    {
        float[] x = new float[64], w = new float[9], scale = new float[1], shift = new float[1], y = new float[64], scratch = new float[100];
        KernelLevelCollection.AtLevel(128, () =>
        {
            Assert.Equal(Vector128.IsHardwareAccelerated, SingleChannelConv.Enabled256);
            if (SingleChannelConv.Enabled256)
            {
                Assert.Throws<ArgumentOutOfRangeException>(() => SingleChannelConv.Run3x3(
                    new ReluOperator(), ref x[0], 8, 7, 1, ref w[0], ref scale[0], ref shift[0], ref y[0], ref scratch[0]));
            }
        });
    }

    [Fact]
    public void RowSums_At128Bits_GivesThe256BitPathsBits()
    {
        if (KernelDispatch.HardwareBits < 256)
        {
            return; // Nothing wider to compare with (ARM64): GemmTests checks the 128-bit path against double loops there.
        }

        var random = new Random(4);
        foreach (int rows in new[] { 1, 2, 3, 7 })
        {
            foreach (int length in new[] { 0, 1, 3, 4, 7, 8, 9, 12, 15, 16, 17, 24, 31, 33, 100, 1000 })
            {
                // Pairs of ±10¹⁷ at random places among small values: the small ones added to a double sum holding a large one are rounded
                // to its 16s and the pairs cancel only when both are in, so another grouping or order changes the float sums.
                float[] source = Random(random, rows * length), sums = Random(random, rows);
                for (int r = 0; r < rows; r++)
                {
                    int[] places = Enumerable.Range(0, length).OrderBy(_ => random.Next()).ToArray();
                    for (int k = 0; k + 1 < length / 3; k += 2)
                    {
                        source[(r * length) + places[k]] = 1e17f;
                        source[(r * length) + places[k + 1]] = -1e17f;
                    }
                }

                float[] at256 = (float[])sums.Clone(), at128 = (float[])sums.Clone();
                if (length > 0)
                {
                    KernelLevelCollection.AtLevel(256, () => Gemm.RowSums(ref source[0], rows, length, ref at256[0]));
                    KernelLevelCollection.AtLevel(128, () => Gemm.RowSums(ref source[0], rows, length, ref at128[0]));
                }

                AssertSameBits(at256, at128, $"RowSums rows {rows}, length {length}");
            }
        }
    }

    /// <summary>
    /// The training backward's input gradient (Winograd off: the grid's product gives the same sums at 256, 128 and 0 bits) at 128
    /// bits: dX bitwise as at 256, cropped plainly (<c>CropInput</c>) and with a saved tensor's gradient added as the next group's
    /// BatchNorm sums are formed (<c>ReduceInputGradient</c>'s crop); plainly as the scalar path's; with the saved gradient as the
    /// plain dX plus it (rows of 4 to 7 take the 4-wide copy at 256 bits too). Rows of 28 (4-wide steps only), 14, 13 and 6 (an
    /// overlapping last vector), 4 (one vector) and 3 (scalar); nothing written past dX.
    /// </summary>
    [Theory]
    [InlineData(3, 28, 28)]
    [InlineData(2, 14, 14)]
    [InlineData(2, 9, 13)]
    [InlineData(3, 6, 6)]
    [InlineData(2, 5, 4)]
    [InlineData(2, 7, 3)]
    public void InputGradientCrop_At128Bits_GivesThe256BitAndScalarPathsBits(int c, int h, int w)
    {
        if (KernelDispatch.HardwareBits < 128)
        {
            return;
        }

        const int n = 3, oc = 5;
        var random = new Random((c * 17) + (h * 5) + w);
        int length = n * c * h * w;
        float[] x = Random(random, length), weight = Random(random, oc * c * 9), bias = Random(random, oc), dy = Random(random, n * oc * h * w);
        float[] saved = Random(random, length), zPrevious = Random(random, length), scale = Random(random, c), shift = Random(random, c);
        float[] mean = Random(random, c), invStd = Random(random, c);
        float[] InputGradient(int bits, bool withSaved)
        {
            float[] dx = Enumerable.Repeat(12345f, length + 8).ToArray(), z = new float[dy.Length], weightGrad = new float[weight.Length];
            bool winograd = Conv2dTrainer.WinogradEnabled;
            try
            {
                Conv2dTrainer.WinogradEnabled = false;
                KernelLevelCollection.AtLevel(bits, () =>
                {
                    var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
                    trainer.Forward(x, weight, bias, z, n, null, null);
                    if (withSaved)
                    {
                        trainer.ReduceInputGradient(new ReluOperator(), zPrevious, scale, shift, mean, invStd, saved, new double[n * 2 * c]);
                    }

                    trainer.Backward(x, ref dy[0], weight, weightGrad, null, ref dx[0], true, n);
                });
            }
            finally
            {
                Conv2dTrainer.WinogradEnabled = winograd;
            }

            Assert.All(dx.Skip(length), v => Assert.Equal(12345f, v));
            return dx;
        }

        foreach (bool withSaved in KernelDispatch.HardwareBits >= 256 ? new[] { false, true } : [])
        {
            float[] at256 = InputGradient(256, withSaved), at128 = InputGradient(128, withSaved);
            Assert.DoesNotContain(12345f, at128.Take(length));
            AssertSameBits(at256, at128, $"dX, {c} channels of {h} × {w}{(withSaved ? " + saved" : string.Empty)}");
        }

        float[] scalar = InputGradient(0, false), plain = InputGradient(128, false), added = InputGradient(128, true);
        AssertSameBits(scalar, plain, $"dX at 128 bits (expected: the scalar path's), {c} channels of {h} × {w}");
        AssertSameBits(plain.Take(length).Select((v, i) => v + saved[i]).Concat(added.Skip(length)).ToArray(), added, $"dX + saved at 128 bits (expected: dX at 128 plus saved), {c} channels of {h} × {w}");
    }

    // Run3x3 at the given width into an output with 16 sentinels past its end.
    private static float[] SingleChannel(int bits, float[] x, int height, int width, int outChannels, float[] w, float[] scale, float[] shift)
    {
        float[] y = Enumerable.Repeat(12345f, (outChannels * height * width) + 16).ToArray();
        float[] scratch = new float[SingleChannelConv.ScratchLength(height, width)];
        KernelLevelCollection.AtLevel(bits, () =>
        {
            Assert.True(SingleChannelConv.Enabled256, $"Run3x3 does not run at {bits} bits");
            SingleChannelConv.Run3x3(new ReluOperator(), ref x[0], height, width, outChannels, ref w[0], ref scale[0], ref shift[0], ref y[0], ref scratch[0]);
        });
        return y;
    }
}
