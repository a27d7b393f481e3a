using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The output-channels-in-lanes inference route (<c>LanesConv</c>): Infer (the direct kernel) and Frozen.Infer (the route at
/// 512 bits, the direct kernel at the other widths) match the reference at every kernel width and give the same bits at 1, 2
/// and 3 threads (one sample split by output rows, several by sample), on rows that are not whole strips or tiles, two groups
/// of 64 channels, dilation 2, a 5 × 5 kernel, padding 0, 1 and 2.
/// </summary>
[Collection("KernelLevel")]
public sealed class LanesConvTests
{
    public static IEnumerable<object[]> Cases()
    {
        int[] levels = new[] { 512, 256, 128, 0 }.Where(l => l <= KernelDispatch.HardwareBits).ToArray();
        foreach (int level in levels)
        {
            foreach (string pipeline in new[] { nameof(LanesPad1), nameof(LanesDilatedK5), nameof(LanesOddRows) })
            {
                foreach (int batch in new[] { 1, 3 })
                {
                    yield return new object[] { pipeline, level, batch };
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Inference_MatchesReference_AndIsBitwiseIdentical_AtOneTwoAndThreeThreads(string pipeline, int vectorBits, int batch) =>
        ConvParallelTests.AssertSameBitsAtThreadCounts(pipeline, vectorBits, batch, 2, 3);

    /// <summary>
    /// The route against a plain double-precision convolution, called directly with rows split at every row: the same bits
    /// as one call over all rows (each part pads its own rows), and within float rounding of the reference.
    /// </summary>
    [Fact]
    public void Run_MatchesADirectConvolution_AndEveryRowSplitGivesTheSameBits()
    {
        if (!LanesConv.Enabled)
        {
            return; // Vector512 only; the generated kernels cover the other widths.
        }

        var shape = new LanesShape(5, 7, 17, 64, 3, 1, 1);
        var rng = new Random(3);
        float[] x = Enumerable.Range(0, 5 * 7 * 17).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] w = Enumerable.Range(0, 64 * 45).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] scale = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() + 0.5)).ToArray();
        float[] shift = Enumerable.Range(0, 64).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        float[] packed = LanesConv.Packed(shape, w);
        float[] scratch = ConvParallel.AlignedScratch(shape.ScratchLength, out int at);
        float[] whole = new float[64 * shape.Pixels], split = new float[whole.Length];
        LanesConv.Run(default(IdentityOperator), shape, ref x[0], ref packed[0], ref scale[0], ref shift[0], ref whole[0], ref scratch[at], 0, 7);
        for (int r = 0; r < 7; r++)
        {
            LanesConv.Run(default(IdentityOperator), shape, ref x[0], ref packed[0], ref scale[0], ref shift[0], ref split[0], ref scratch[at], r, r + 1);
        }

        Assert.Equal(whole.Select(BitConverter.SingleToInt32Bits), split.Select(BitConverter.SingleToInt32Bits));
        for (int o = 0; o < 64; o++)
        {
            for (int oy = 0; oy < 7; oy++)
            {
                for (int ox = 0; ox < 17; ox++)
                {
                    double sum = 0;
                    for (int c = 0; c < 5; c++)
                    {
                        for (int ky = 0; ky < 3; ky++)
                        {
                            for (int kx = 0; kx < 3; kx++)
                            {
                                int iy = oy + ky - 1, ix = ox + kx - 1;
                                if (iy >= 0 && iy < 7 && ix >= 0 && ix < 17)
                                {
                                    sum += (double)w[(o * 45) + (c * 9) + (ky * 3) + kx] * x[(c * 119) + (iy * 17) + ix];
                                }
                            }
                        }
                    }

                    double expected = (sum * scale[o]) + shift[o];
                    Assert.True(Math.Abs(whole[(o * 119) + (oy * 17) + ox] - expected) < 1e-5, $"output ({o}, {oy}, {ox}): {whole[(o * 119) + (oy * 17) + ox]} vs {expected}");
                }
            }
        }
    }

    [Fact]
    public void Pack_RejectsBadShapes_NamingTheArgument()
    {
        var shape = new LanesShape(2, 4, 16, 48, 3, 1, 1);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => LanesConv.Packed(shape, new float[48 * 18]));
        Assert.Equal("shape", e.ParamName);
        Assert.Contains("48", e.Message);
        var good = new LanesShape(2, 4, 16, 64, 3, 1, 1);
        var w = Assert.Throws<ArgumentException>(() => LanesConv.Pack(good, new float[10], new float[good.PackedLength]));
        Assert.Equal("w", w.ParamName);
        Assert.Contains("1152", w.Message);
        var p = Assert.Throws<ArgumentException>(() => LanesConv.Pack(good, new float[64 * 18], new float[5]));
        Assert.Equal("packed", p.ParamName);
    }

    /// <summary>Frozen.Infer on the lanes route allocates nothing once warm: the padded band and row sums use the thread's scratch.</summary>
    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(3, 2)]
    public void FrozenInfer_OnTheLanesRoute_AllocatesNothing(int batch, int threads)
    {
        int saved = KernelOptions.MaxDegreeOfParallelism;
        try
        {
            KernelOptions.MaxDegreeOfParallelism = threads;
            IInferenceModel frozen = new LanesPad1(3).Freeze();
            float[] x = Enumerable.Range(0, batch * LanesPad1.InputLength).Select(i => MathF.Sin(i)).ToArray();
            float[] y = new float[batch * LanesPad1.OutputLength];
            for (int i = 0; i < 5; i++)
            {
                frozen.Infer(x, y, batch);
            }

            Assert.Equal(0, SteadyAllocations.Cleanest(() => frozen.Infer(x, y, batch)));
        }
        finally
        {
            KernelOptions.MaxDegreeOfParallelism = saved;
        }
    }
}
