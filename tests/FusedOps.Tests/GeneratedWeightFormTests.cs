using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// WeightNorm, SpectralNorm and CosineNorm on Linear/Conv2d, and SwitchableNorm, generated and compared with
/// the reference interpreter as <see cref="FusedVsReferenceTests"/> does (same initial state, Infer, Frozen.Infer,
/// Forward, running statistics and SpectralNorm's u and v after it, every gradient, accumulation), at every
/// kernel width this machine has, 128 bits included; and the libtorch fixture linear_weightnorm replayed.
/// </summary>
[Collection("KernelLevel")]
public sealed class GeneratedWeightFormTests
{
    public static IEnumerable<object[]> Cases()
    {
        int[] levels = new[] { 512, 256, 128, 0 }.Where(l => l <= FusedOps.Kernels.KernelDispatch.HardwareBits).ToArray();
        (string Pipeline, int[] Batches)[] cases =
        [
            (nameof(LinearWeightNorm), [1, 5]),
            (nameof(WeightNormCnn), [3]),
            (nameof(SpectralNormNet), [1, 4]),
            (nameof(CosineMlp), [1, 6]),
            (nameof(SwitchableNormCnn), [3, 4]),
            (nameof(SwitchableNormFirst), [1, 2]),
        ];
        foreach (int level in levels)
        {
            foreach ((string pipeline, int[] batches) in cases)
            {
                foreach (int batch in batches)
                {
                    yield return new object[] { pipeline, level, batch };
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pipeline_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);

    public static IEnumerable<object[]> Levels() =>
        new[] { 512, 256, 128, 0 }.Where(l => l <= FusedOps.Kernels.KernelDispatch.HardwareBits).Select(l => new object[] { l });

    /// <summary>The libtorch fixture linear_weightnorm through the generated pipeline: eval and train outputs, running statistics, every gradient.</summary>
    [Theory]
    [MemberData(nameof(Levels))]
    public void LinearWeightNorm_ReplaysFixture(int vectorBits)
    {
        int saved = KernelOptions.MaxVectorBits;
        try
        {
            KernelOptions.MaxVectorBits = vectorBits;
            FusedFixtureTests.Replay("linear_weightnorm", typeof(LinearWeightNorm));
        }
        finally
        {
            KernelOptions.MaxVectorBits = saved;
        }
    }

    /// <summary>One value per channel and one sample: no batch statistics to take, rejected before anything is written.</summary>
    [Fact]
    public void SwitchableNormOneValuePerChannel_Throws_StateUnchanged()
    {
        var model = new SwitchableNormPerChannelValue(3);
        float[] runningMean = (float[])model.Buffers["0.running_mean"].Data.Clone();
        float[] output = Enumerable.Repeat(7f, SwitchableNormPerChannelValue.OutputLength).ToArray();
        var ex = Assert.Throws<InvalidOperationException>(() => model.Forward(new float[SwitchableNormPerChannelValue.InputLength], output, 1));
        Assert.Contains("batchSize 1", ex.Message, StringComparison.Ordinal);
        Assert.All(output, v => Assert.Equal(7f, v));
        Assert.Equal(runningMean, model.Buffers["0.running_mean"].Data);

        // Two samples give two values per channel: it trains.
        model.Forward(new float[] { 1, 2, 3, 4, 5, 6, 7, 9 }, new float[8], 2);
    }

    /// <summary>
    /// A frozen model keeps the weight it was frozen with: later steps change the WeightNorm/SpectralNorm parameters
    /// and u, v, not the frozen output.
    /// </summary>
    [Fact]
    public void Frozen_IndependentOfLaterTraining()
    {
        var model = new SpectralNormNet(5);
        var rng = new Random(3);
        float[] x = Enumerable.Range(0, 2 * SpectralNormNet.InputLength).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] before = new float[2 * SpectralNormNet.OutputLength], after = new float[before.Length];
        SpectralNormNet.Frozen frozen = model.Freeze();
        frozen.Infer(x, before, 2);
        model.Forward(x, after, 2);
        foreach (Parameter p in model.Parameters)
        {
            Array.Fill(p.Data, 0.5f);
        }

        frozen.Infer(x, after, 2);
        Assert.Equal(before, after);
    }
}
