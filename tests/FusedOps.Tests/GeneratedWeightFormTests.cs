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
}
