using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Training with the next group's Maxout in BatchNorm's normalise pass and its reduction pass (after a grid and a strided
/// Conv2d, pieces 2 and 3): against the reference interpreter (forward, every gradient, running statistics) at every kernel
/// width and batches 1, 3 and 8; bitwise identical at 1, 2 and 3 threads; bitwise identical to the Maxout's own passes.
/// </summary>
[Collection("KernelLevel")]
public sealed class TrainingBnMaxoutTests
{
    public static IEnumerable<object[]> Cases() => FusedVsReferenceTests.CasesFor(nameof(Pipelines.ConvBnMaxoutNet), nameof(Pipelines.ConvBnMaxoutFused));

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedTraining_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);

    [Theory]
    [MemberData(nameof(TrainingEpilogueTests.Widths), MemberType = typeof(TrainingEpilogueTests))]
    public void FusedTraining_AnyThreadCount_BitwiseIdentical(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        TrainingParallelTests.Step? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            TrainingParallelTests.Step step = default;
            // 61 samples: the normalise and reduction passes (over 64 K values) split into parts.
            KernelLevelCollection.AtThreads(threads, () => step = TrainingParallelTests.Run(nameof(Pipelines.ConvBnMaxoutWide), 61, steps: 2));
            first ??= step;
            TrainingParallelTests.AssertBitwise(first.Value.Values, step.Values, $"{nameof(Pipelines.ConvBnMaxoutWide)} at {bits} bits, {threads} threads");
        }
    });

    [Theory]
    [MemberData(nameof(TrainingEpilogueTests.Widths), MemberType = typeof(TrainingEpilogueTests))]
    public void Fused_BitwiseIdenticalToTheMaxoutsOwnPass(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        foreach (int batch in new[] { 1, 3 })
        {
            TrainingParallelTests.Step own = TrainingParallelTests.Run(nameof(Pipelines.ConvBnMaxoutUnfused), batch, steps: 2);
            TrainingParallelTests.Step fused = TrainingParallelTests.Run(nameof(Pipelines.ConvBnMaxoutFused), batch, steps: 2);
            Assert.Contains(own.Values[1].Data, v => v != 0);
            TrainingParallelTests.AssertBitwise(own.Values, fused.Values, $"batch {batch} at {bits} bits");
        }
    });

    [Fact]
    public void MaxoutAffineForward_PiecesNotDividingChannels_Throws()
    {
        float[] z = new float[10], y = new float[10], scale = new float[5];
        int[] piece = new int[10];
        var e = Assert.Throws<System.ArgumentOutOfRangeException>(() =>
            TrainingPasses.MaxoutAffineForward(2, piece, ref z[0], ref y[0], 1, 5, 2, ref scale[0], ref scale[0]));
        Assert.Equal("pieces", e.ParamName);
    }
}
