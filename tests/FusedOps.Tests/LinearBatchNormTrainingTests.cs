using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Linear→BatchNorm groups whose next layer's PReLU (one slope, per feature), RReLU or BipolarReLU rides the BatchNorm normalise pass
/// in training and its derivative the reduction pass: against the reference interpreter at every kernel width and batches 1, 3, 17
/// and 64 (forward, running statistics, every gradient including γ, β and the slopes); bitwise the same at 1, 2 and 3 threads with
/// the passes split into parts; PReLU and RReLU bitwise identical to their own passes (RReLU: the same random stream).
/// The generator's tests check that this plan is the one chosen (LinearTrainingHeaderTests).
/// </summary>
[Collection("KernelLevel")]
public sealed class LinearBatchNormTrainingTests
{
    public static IEnumerable<object[]> Cases() =>
        from bits in Widths().Select(w => (int)w[0])
        from pipeline in new[] { nameof(LinearBnChannelTraining), nameof(WideLinearBnTraining), nameof(LinearBnRReluFused) }
        from batch in new[] { 1, 3, 17, 64 }
        select new object[] { pipeline, bits, batch };

    public static IEnumerable<object[]> Widths() =>
        new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits).Select(b => new object[] { b });

    public static IEnumerable<object[]> OwnPassPairs() =>
        Widths().SelectMany(w => new[]
        {
            new object[] { nameof(LinearBnRReluFused), nameof(LinearBnRReluUnfused), w[0] },
            [nameof(LinearBnPReluFused), nameof(LinearBnPReluUnfused), w[0]],
        });

    [Theory]
    [MemberData(nameof(Cases))]
    public void LinearBatchNormChannel_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);

    [Theory]
    [MemberData(nameof(Widths))]
    public void LinearBatchNormChannel_AnyThreadCount_BitwiseIdentical(int bits) =>
        // 64 samples of 1031 features: the normalise and reduction passes (66 K values) split into parts.
        TrainingEpilogueTests.AssertAnyThreadCount(nameof(WideLinearBnTraining), 64, bits);

    [Theory]
    [MemberData(nameof(OwnPassPairs))]
    public void LinearBatchNormChannel_BitwiseIdenticalToItsOwnPass(string fusedPipeline, string ownPipeline, int bits) =>
        TrainingEpilogueTests.AssertSameAsOwnPass(fusedPipeline, ownPipeline, bits);
}
