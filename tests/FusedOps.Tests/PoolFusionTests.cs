using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Conv2d groups with a 2×2 pool fused into their inference epilogue, against the reference interpreter at every
/// kernel width and batch sizes 1, 3 and 8 (Infer, Frozen.Infer, and training, which keeps its own pool pass).
/// </summary>
[Collection("KernelLevel")]
public sealed class PoolFusionTests
{
    public static IEnumerable<object[]> Cases()
    {
        int[] levels = new[] { 512, 256, 128, 0 }.Where(l => l <= FusedOps.Kernels.KernelDispatch.HardwareBits).ToArray();
        string[] pipelines = ["ConvMaxPoolOdd", "WideConvAvgPool", "ResidualMaxPool", "StridedGroupedPool"];
        foreach (int level in levels)
        {
            foreach (string pipeline in pipelines)
            {
                foreach (int batch in new[] { 1, 3, 8 })
                {
                    yield return new object[] { pipeline, level, batch };
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedPool_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);
}
