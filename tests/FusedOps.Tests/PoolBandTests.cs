using System.Collections.Generic;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Conv2d groups with a non-overlapping pool other than the 2×2 one fused into their inference pass (bands of output rows),
/// and an overlapping pool that is not fused, against the reference interpreter at every kernel width and batch sizes 1, 3
/// and 8 (Infer, Frozen.Infer, and training, which keeps its own pool pass).
/// </summary>
[Collection("KernelLevel")]
public sealed class PoolBandTests
{
    public static IEnumerable<object[]> Cases() =>
        FusedVsReferenceTests.CasesFor(
            "ConvMaxPool3Odd", "ConvAvgPool3Padded", "UnpaddedConvMaxPool4", "StridedConvSparsePool", "ResidualBandPool", "DilatedConvPool4",
            "WideRowsPool3", "UnpaddedRowsPool3", "OverlappingPool", "VeryWideConvPool3");

    [Theory]
    [MemberData(nameof(Cases))]
    public void BandPool_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);
}
