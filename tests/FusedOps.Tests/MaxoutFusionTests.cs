using System.Collections.Generic;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Maxout run in the inference epilogue of the Conv2d or Linear before it, against the reference interpreter at every kernel width
/// and batch sizes 1, 3 and 8 (Infer, Frozen.Infer, and training: forward, running statistics and every gradient), runs crossing a
/// grouped conv's groups included (CrossingMaxout, CrossingMaxoutResidual, MaxoutNotFused's second conv).
/// </summary>
[Collection("KernelLevel")]
public sealed class MaxoutFusionTests
{
    public static IEnumerable<object[]> Cases() =>
        FusedVsReferenceTests.CasesFor(
            "ConvMaxoutBn", "ConvMaxoutCut", "ResidualGroupedMaxout", "MaxoutNotFused", "ParallelConvMaxout", "MaxoutNet", "LinearMaxouts", "WideLinearMaxout",
            "VeryWideConvMaxout", "CrossingMaxout", "CrossingMaxoutResidual");

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedMaxout_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);
}
