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
    public static IEnumerable<object[]> Cases() => FusedVsReferenceTests.CasesFor(nameof(TrainingEpilogueNet), nameof(TrainingEpilogueWide), nameof(ConvRReluFused), nameof(TrainingEpilogueBn), nameof(ConvBnRReluFused));

    public static IEnumerable<object[]> Widths() =>
        new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits).Select(b => new object[] { b });

    public static IEnumerable<object[]> RReluPairs() =>
        Widths().SelectMany(w => new[] { new object[] { nameof(ConvRReluFused), nameof(ConvRReluUnfused), w[0] }, [nameof(ConvBnRReluFused), nameof(ConvBnRReluUnfused), w[0]] });

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedTraining_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);

    [Theory]
    [MemberData(nameof(Widths))]
    public void FusedTraining_AnyThreadCount_BitwiseIdentical(int bits) =>
        // 61 samples: the Conv2d passes and the normalise and reduction passes (64 K values) split into parts.
        AssertAnyThreadCount(nameof(TrainingEpilogueWide), 61, bits);

    /// <summary>Two training steps of <paramref name="pipeline"/> at 1, 2 and 3 threads: every value bitwise the same.</summary>
    internal static void AssertAnyThreadCount(string pipeline, int batch, int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        TrainingParallelTests.Step? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            TrainingParallelTests.Step step = default;
            KernelLevelCollection.AtThreads(threads, () => step = TrainingParallelTests.Run(pipeline, batch, steps: 2));
            first ??= step;
            TrainingParallelTests.AssertBitwise(first.Value.Values, step.Values, $"{pipeline} at {bits} bits, {threads} threads");
        }
    });

    [Theory]
    [MemberData(nameof(RReluPairs))]
    public void RReluFused_BitwiseIdenticalToItsOwnPass(string fusedPipeline, string ownPipeline, int bits) =>
        AssertSameAsOwnPass(fusedPipeline, ownPipeline, bits);

    /// <summary>
    /// Two training steps of <paramref name="fusedPipeline"/> and <paramref name="ownPipeline"/> (the same layers, the channel activation
    /// in its own passes) on the same data and seed: outputs, input gradients, every parameter, buffer and gradient bitwise identical.
    /// </summary>
    internal static void AssertSameAsOwnPass(string fusedPipeline, string ownPipeline, int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        const int batch = 5;
        IFusedModel[] models = [Create(fusedPipeline), Create(ownPipeline)];
        var random = new Random(5);
        float[] x = Enumerable.Range(0, batch * models[0].InputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        float[] g = Enumerable.Range(0, batch * models[0].OutputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        var results = new List<(string Name, float[] Data)>[2];
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
                // By position: a layer that keeps the activation in its own passes may shift the names' indices.
                results[k].AddRange(net.Parameters.Concat(net.Buffers).Select((p, j) => ($"state {j} and its gradient {step}", p.Data.Concat(p.Grad).ToArray())));
            }
        }

        Assert.Contains(results[0][0].Data, v => v < 0);
        TrainingParallelTests.AssertBitwise(results[1], results[0], $"{fusedPipeline} at {bits} bits");
    });

    private static IFusedModel Create(string pipeline) =>
        (IFusedModel)Activator.CreateInstance(typeof(ConvBnRelu).Assembly.GetType("FusedOps.Tests.Pipelines." + pipeline, throwOnError: true)!, 3)!;
}
