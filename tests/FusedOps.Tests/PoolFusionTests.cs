using System.Collections.Generic;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Conv2d groups with a 2×2 pool fused into their inference epilogue, against the reference interpreter at every
/// kernel width and batch sizes 1, 3 and 8 (Infer, Frozen.Infer, and training, which keeps its own pool pass).
/// </summary>
[Collection("KernelLevel")]
public sealed class PoolFusionTests
{
    public static IEnumerable<object[]> Cases() =>
        FusedVsReferenceTests.CasesFor("ConvMaxPoolOdd", "WideConvAvgPool", "ResidualMaxPool", "StridedGroupedPool");

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedPool_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);
}
