using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The last Maxout fusions: after Linear → BatchNorm and after Conv2d → BatchNorm with a 1×1 output (riding the normalise and
/// reduction passes), and after a plain Linear with pieces not dividing 16 (the GEMM's epilogue in blocked order, inference and
/// training). Against the reference interpreter (Infer, Frozen.Infer, forward, running statistics, every gradient) at every kernel
/// width and batches 1, 3 and 7 (2, 3 and 7 for a BatchNorm on a 1×1 conv output, which cannot train on one sample); bitwise the same
/// at 1, 2 and 3 threads with the passes and the GEMMs split; the BatchNorm fusions bitwise identical to the Maxout's own passes.
/// The generator's tests check that these plans are the ones chosen (MaxoutBlockHeaderTests).
/// </summary>
[Collection("KernelLevel")]
public sealed class MaxoutBlockTests
{
    public static IEnumerable<object[]> Cases() =>
        from bits in Widths().Select(w => (int)w[0])
        from c in new[]
        {
            (nameof(LinearBnMaxoutNet), 1), (nameof(LinearBnMaxoutNet), 3), (nameof(LinearBnMaxoutNet), 7), (nameof(LinearBnMaxoutFused), 3),
            (nameof(ConvBn1x1MaxoutNet), 2), (nameof(ConvBn1x1MaxoutNet), 3), (nameof(ConvBn1x1MaxoutNet), 7), (nameof(ConvBn1x1GridMaxout), 2),
            (nameof(ConvBn1x1GridMaxout), 7), (nameof(LinearMaxoutBlocks), 1), (nameof(LinearMaxoutBlocks), 3), (nameof(LinearMaxoutBlocks), 7),
            (nameof(WideLinearMaxoutBlocks), 1), (nameof(WideLinearMaxoutBlocks), 7),
        }
        select new object[] { c.Item1, bits, c.Item2 };

    public static IEnumerable<object[]> Widths() => LinearBatchNormTrainingTests.Widths();

    public static IEnumerable<object[]> ThreadCases() =>
        from bits in Widths().Select(w => (int)w[0])
        from pipeline in new[] { nameof(WideLinearBnMaxout), nameof(ConvBn1x1MaxoutWide), nameof(WideLinearMaxoutBlocks) }
        select new object[] { pipeline, bits };

    public static IEnumerable<object[]> OwnPassPairs() =>
        Widths().SelectMany(w => new[]
        {
            new object[] { nameof(LinearBnMaxoutFused), nameof(LinearBnMaxoutUnfused), w[0] },
            [nameof(ConvBn1x1MaxoutFused), nameof(ConvBn1x1MaxoutUnfused), w[0]],
        });

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedMaxout_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);

    [Theory]
    [MemberData(nameof(ThreadCases))]
    public void FusedMaxoutTraining_AnyThreadCount_BitwiseIdentical(string pipeline, int bits) =>
        // 64 samples: the normalise and reduction passes (over 64 K values) and the GEMMs split into parts.
        TrainingEpilogueTests.AssertAnyThreadCount(pipeline, 64, bits);

    [Theory]
    [MemberData(nameof(Widths))]
    public void BlockedMaxoutInference_AnyThreadCount_BitwiseIdentical(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        const int batch = 8;
        float[]? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            KernelLevelCollection.AtThreads(threads, () =>
            {
                var model = new WideLinearMaxoutBlocks(3);
                var random = new Random(5);
                float[] x = Enumerable.Range(0, batch * WideLinearMaxoutBlocks.InputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
                float[] y = new float[batch * WideLinearMaxoutBlocks.OutputLength], frozen = new float[y.Length];
                model.Infer(x, y, batch);
                model.Freeze().Infer(x, frozen, batch);
                Assert.Equal(y, frozen);
                first ??= y;
                Assert.Equal(first, y);
            });
        }
    });

    [Theory]
    [MemberData(nameof(OwnPassPairs))]
    public void BatchNormMaxout_BitwiseIdenticalToItsOwnPass(string fusedPipeline, string ownPipeline, int bits) =>
        TrainingEpilogueTests.AssertSameAsOwnPass(fusedPipeline, ownPipeline, bits);

    public static IEnumerable<object[]> KernelCases() =>
        from bits in Widths().Select(w => (int)w[0])
        from rows in new[] { 1, 7, 13 }
        from shape in new[] { (57, 3), (95, 5), (42, 6), (60, 20) }
        select new object[] { bits, rows, shape.Item1, shape.Item2 };

    [Theory]
    [MemberData(nameof(KernelCases))]
    public void BlockedMaxoutKernels_TheMaxoutPassOnTheProduct_Bitwise(int bits, int rows, int features, int pieces) => KernelLevelCollection.AtLevel(bits, () =>
    {
        const int length = 9;
        int outputs = features / pieces;
        var random = new Random(rows + features);
        float[] x = Enumerable.Range(0, rows * length).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] w = Enumerable.Range(0, features * length).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] bias = Enumerable.Range(0, features).Select(_ => random.NextSingle() - 0.5f).ToArray();
        bias[1] = float.NaN;                                // output 0's second piece: a NaN wins
        bias[pieces] = float.NegativeInfinity;              // output 1's first piece loses
        bias[features - 1] = float.PositiveInfinity;        // the last output's last piece wins
        bias[features - pieces] = bias[features - pieces + 1] = 1e30f; // a tie of the last output's first two: the first wins (then +∞)

        // The product as the unfused passes compute it (packed, identity), then the Maxout pass on it.
        float[] ones = Enumerable.Repeat(1f, features).ToArray(), plain = new float[rows * features];
        LinearKernels.Infer(default(IdentityOperator), ref x[0], rows, w, LinearKernels.PackWeights(w, features, length), features, length, ref plain[0], ones, bias);
        float[] expected = new float[rows * outputs];
        int[] expectedPiece = new int[expected.Length];
        ChannelActivations.MaxoutForward(ref plain[0], ref expected[0], ref expectedPiece[0], true, rows, outputs, pieces, 1);

        // Training: the maxima and the winning pieces.
        float[] y = new float[expected.Length];
        int[] winners = new int[expected.Length];
        LinearKernels.TrainMaxout(ref x[0], rows, w, features, length, ref y[0], winners, bias, pieces);
        Assert.Equal(expected, y);
        Assert.Equal(expectedPiece, winners);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(float.PositiveInfinity, y[outputs - 1]);

        // Inference: frozen, W in blocked order and packed; unfrozen, W in PyTorch's order packed per call. The in-order maximum (a NaN wins).
        int cols = LinearKernels.MaxoutColumns(features, pieces);
        float[] ordered = LinearKernels.MaxoutOrder(w, features, length, pieces);
        float[] orderedScale = LinearKernels.MaxoutOrder(ones, features, 1, pieces), orderedShift = LinearKernels.MaxoutOrder(bias, features, 1, pieces);
        foreach ((float[] weight, float[] packedW) in new[] { (w, Array.Empty<float>()), (ordered, LinearKernels.PackWeights(ordered, cols, length)) })
        {
            float[] actual = new float[expected.Length];
            LinearKernels.InferMaxout(default(IdentityOperator), ref x[0], rows, weight, packedW, cols, length, ref actual[0], outputs, orderedScale, orderedShift, pieces);
            Assert.Equal(expected, actual);
        }
    });
}
