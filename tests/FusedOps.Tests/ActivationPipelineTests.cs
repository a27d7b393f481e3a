using System.Collections.Generic;
using System.Linq;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Every generated activation (ActivationPipelines.cs) against the reference interpreter, as
/// <see cref="FusedVsReferenceTests"/>: Infer, Frozen.Infer, Forward, running statistics and every
/// gradient, at each kernel level this machine has, on batches of 1 to 5.
/// </summary>
[Collection("KernelLevel")]
public sealed class ActivationPipelineTests
{
    public static IEnumerable<object[]> Cases()
    {
        string[] pipelines =
        [
            nameof(ConvEluSelu), nameof(MlpGeluSigmoid), nameof(ConvTanhArcTanSoftsign), nameof(MlpSiluSwishMish),
            nameof(ConvSoftplusHard), nameof(ConvIsruSqnl), nameof(MlpBinaryStep),
        ];
        foreach (int level in KernelLevels())
        {
            for (int p = 0; p < pipelines.Length; p++)
            {
                yield return new object[] { pipelines[p], level, 2 + (p % 4) };
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
}
