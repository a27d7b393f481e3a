using System.Collections.Generic;
using System.Linq;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Every activation (ActivationPipelines.cs), pooling, Dropout and the per-sample norms (LayerPipelines.cs)
/// against the reference interpreter, as
/// <see cref="FusedVsReferenceTests"/>, at every kernel level this machine has. Dropout draws the same
/// masks as the reference (the same per-step stream), so its outputs and gradients compare exactly.
/// </summary>
[Collection("KernelLevel")]
public sealed class LayerPipelineTests
{
    public static IEnumerable<object[]> Cases()
    {
        string[] pipelines =
        [
            nameof(ConvEluSelu), nameof(MlpGeluSigmoid), nameof(ConvTanhArcTanSoftsign), nameof(MlpSiluSwishMish),
            nameof(ConvSoftplusHard), nameof(ConvIsruSqnl), nameof(MlpBinaryStep),
            nameof(PoolingCnn), nameof(OverlappingPoolCnn), nameof(DropoutMlp), nameof(DropoutFirstCnn),
            nameof(LinearLayerNormGelu), nameof(GroupInstanceNormCnn), nameof(ImageNorms), nameof(VectorNorms),
            nameof(ChannelActivationNet), nameof(MaxoutNet), nameof(LrnNet),
        ];
        foreach (int level in KernelLevels())
        {
            for (int p = 0; p < pipelines.Length; p++)
            {
                // Batches of 3 to 6: BatchNorm1d over 2 samples normalises to ±1, where gradients are ill-conditioned in float.
                yield return new object[] { pipelines[p], level, 3 + (p % 4) };
            }

            // One sample: the per-sample norms, pooling and Dropout do not need a batch.
            foreach (string single in new[] { nameof(DropoutMlp), nameof(OverlappingPoolCnn), nameof(ImageNorms), nameof(VectorNorms), nameof(ChannelActivationNet) })
            {
                yield return new object[] { single, level, 1 };
            }
        }
    }

    /// <summary>The vector widths this machine runs (512, 256 and the scalar path 0).</summary>
    internal static IEnumerable<int> KernelLevels() =>
        new[] { 512, 256, 0 }.Where(l => l <= FusedOps.Kernels.KernelDispatch.HardwareLevel switch { 2 => 512, 1 => 256, _ => 0 });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pipeline_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);

    public static IEnumerable<object[]> Fixtures() =>
        KernelLevels().Select(level => new object[] { level });

    /// <summary>The libtorch fixture linear_layernorm_gelu through the generated pipeline: eval and train outputs, every gradient.</summary>
    [Theory]
    [MemberData(nameof(Fixtures))]
    public void LinearLayerNormGelu_ReplaysFixture(int vectorBits)
    {
        int saved = KernelOptions.MaxVectorBits;
        try
        {
            KernelOptions.MaxVectorBits = vectorBits;
            FusedFixtureTests.Replay("linear_layernorm_gelu", typeof(LinearLayerNormGelu));
        }
        finally
        {
            KernelOptions.MaxVectorBits = saved;
        }
    }
}
