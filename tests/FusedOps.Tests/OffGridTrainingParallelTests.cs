using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The generated per-sample Conv2d training loops (strided, grouped, dilated and grouped) split into parts over threads: at a batch
/// cut into parts, the same as the reference (so the parts' partial sums are added right), and outputs, every gradient, the
/// input gradient and the running statistics bitwise identical at 1, 2 and 3 threads, at every kernel width.
/// </summary>
[Collection("KernelLevel")]
public sealed class OffGridTrainingParallelTests
{
    private const int Batch = 29;

    public static IEnumerable<object[]> Widths() =>
        new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits).Select(b => new object[] { b });

    [Theory]
    [MemberData(nameof(Widths))]
    public void OffGridTraining_InParts_MatchesReference(int bits) =>
        KernelLevelCollection.AtThreads(2, () => FusedVsReferenceTests.CompareAt(nameof(OffGridTraining), bits, Batch));

    [Theory]
    [MemberData(nameof(Widths))]
    public void OffGridTraining_AnyThreadCount_BitwiseIdentical(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        TrainingParallelTests.Step? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            TrainingParallelTests.Step step = default;
            KernelLevelCollection.AtThreads(threads, () => step = TrainingParallelTests.Run(nameof(OffGridTraining), Batch, steps: 2));
            first ??= step;
            TrainingParallelTests.AssertBitwise(first.Value.Values, step.Values, $"{nameof(OffGridTraining)} at {bits} bits, {threads} threads");
        }
    });

    [Fact]
    public void OffGridTraining_InParts_SteadyStateAllocatesNothing() =>
        KernelLevelCollection.AtThreads(2, () => TrainingParallelTests.AssertSteadyStateAllocatesNothing(new OffGridTraining(3), Batch));

    [Fact]
    public void PartSums_AddsThePartsInOrder_AndChecksTheirLength()
    {
        float[] partials = [1f, 2f, 1e8f, 3f, -1e8f, 4f];
        float[] target = [10f, 20f];
        PartSums.AddTo(partials, 3, target);
        Assert.Equal(new[] { 10f + ((1f + 1e8f) + -1e8f), 29f }, target);
        var e = Assert.Throws<System.ArgumentOutOfRangeException>(() => PartSums.AddTo(partials, 4, target));
        Assert.Equal("parts", e.ParamName);
        Assert.Equal(8, PartSums.Parts(29, 1_000_000));
        Assert.Equal(1, PartSums.Parts(29, 1_000));
    }
}
