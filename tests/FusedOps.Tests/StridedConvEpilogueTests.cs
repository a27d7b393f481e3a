using System.Collections.Generic;
using System.Linq;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Training of Conv2d groups off the grid (stride 2, two groups; with and without dilation 2) whose activation, residual Add, or next group's PReLU,
/// RReLU, BipolarReLU or Maxout ride the per-sample kernels' loop (with BatchNorm: its normalise and reduction passes): against the
/// reference interpreter (forward, running statistics, every gradient, accumulation) at every kernel width and batches 1, 3 and 5;
/// bitwise identical to the activations' own passes and at 1, 2 and 3 threads.
/// </summary>
[Collection("KernelLevel")]
public sealed class StridedConvEpilogueTests
{
    public static IEnumerable<object[]> Cases() =>
        from bits in TrainingEpilogueTests.Widths().Select(w => (int)w[0])
        from pipeline in new[] { nameof(StridedActivations), nameof(StridedResidual), nameof(StridedBatchNorm), nameof(StridedChainFused) }
        from batch in new[] { 1, 3, 5 }
        select new object[] { pipeline, bits, batch };

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedTraining_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);

    [Theory]
    [MemberData(nameof(TrainingEpilogueTests.Widths), MemberType = typeof(TrainingEpilogueTests))]
    public void FusedTraining_BitwiseIdenticalToTheActivationsOwnPasses(int bits) =>
        // Two steps, batch 5: outputs, input gradients, every parameter (PReLU's slopes), buffer and gradient; RReLU draws the same slopes.
        TrainingEpilogueTests.AssertSameAsOwnPass(nameof(StridedChainFused), nameof(StridedChainUnfused), bits);

    [Theory]
    [MemberData(nameof(TrainingEpilogueTests.Widths), MemberType = typeof(TrainingEpilogueTests))]
    public void FusedTraining_AnyThreadCount_BitwiseIdentical(int bits)
    {
        TrainingEpilogueTests.AssertAnyThreadCount(nameof(StridedChainFused), 61, bits);
        TrainingEpilogueTests.AssertAnyThreadCount(nameof(StridedBatchNorm), 61, bits);
    }
}
