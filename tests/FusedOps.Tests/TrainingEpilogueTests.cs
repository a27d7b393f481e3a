using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Training with the group's residual Add and activation, or the next group's PReLU, RReLU, BipolarReLU or Maxout, in the grid
/// Conv2d's epilogue and its backward's prologue: against the reference interpreter (forward, every gradient, PReLU slopes,
/// accumulation) at every kernel width and batches 1, 3 and 8; bitwise identical at 1, 2 and 3 threads; RReLU bitwise identical
/// to its own pass (the same random stream).
/// </summary>
[Collection("KernelLevel")]
public sealed class TrainingEpilogueTests
{
    public static IEnumerable<object[]> Cases() => FusedVsReferenceTests.CasesFor(nameof(TrainingEpilogueNet), nameof(TrainingEpilogueWide), nameof(ConvRReluFused));

    public static IEnumerable<object[]> Widths() =>
        new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits).Select(b => new object[] { b });

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedTraining_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);

    [Theory]
    [MemberData(nameof(Widths))]
    public void FusedTraining_AnyThreadCount_BitwiseIdentical(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        TrainingParallelTests.Step? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            TrainingParallelTests.Step step = default;
            KernelLevelCollection.AtThreads(threads, () => step = TrainingParallelTests.Run(nameof(TrainingEpilogueWide), 13, steps: 2));
            first ??= step;
            TrainingParallelTests.AssertBitwise(first.Value.Values, step.Values, $"{nameof(TrainingEpilogueWide)} at {bits} bits, {threads} threads");
        }
    });

    [Theory]
    [MemberData(nameof(Widths))]
    public void RReluInConvEpilogue_BitwiseIdenticalToItsOwnPass(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        const int batch = 5;
        var fused = new ConvRReluFused(3);
        var own = new ConvRReluUnfused(3);
        var random = new Random(5);
        float[] x = Enumerable.Range(0, batch * ConvRReluFused.InputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        float[] g = Enumerable.Range(0, batch * ConvRReluFused.OutputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        var results = new List<(string Name, float[] Data)>[2];
        IFusedModel[] models = [fused, own];
        for (int k = 0; k < 2; k++)
        {
            IFusedModel net = models[k];
            float[] y = new float[g.Length], dx = new float[x.Length];
            results[k] = [];
            for (int step = 0; step < 2; step++)
            {
                // Two steps: the second draws new slopes from the same stream.
                net.ZeroGrad();
                net.Forward(x, y, batch);
                net.Backward(g, dx);
                results[k].Add(($"output {step}", (float[])y.Clone()));
                results[k].Add(($"input gradient {step}", (float[])dx.Clone()));
                results[k].AddRange(net.Parameters.Select(p => ($"gradient of {p.Name} {step}", (float[])p.Grad.Clone())));
            }
        }

        Assert.Contains(results[0][0].Data, v => v < 0);
        TrainingParallelTests.AssertBitwise(results[1], results[0], $"RReLU fused at {bits} bits");
    });
}
