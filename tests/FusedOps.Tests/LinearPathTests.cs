using System;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Reference;
using FusedOps.Training;
using Xunit;

namespace FusedOps.Tests;

// FOPS0013 warns that BatchNorm after a Linear trains only with batches of 2 or more: these use 64.
#pragma warning disable FOPS0013

/// <summary>Case M's MLP: both Linear layers large enough for <see cref="PackedGemm"/> to split them over two threads.</summary>
[FusedPipeline(784)]
[Linear(256)]
[BatchNorm]
[ReLU]
[Linear(10)]
public partial class LinearThreadsMlp
{
}

#pragma warning restore FOPS0013

/// <summary>
/// The generated Linear path on the packed GEMM: weights packed at <c>Freeze()</c> never go stale, the unfrozen
/// <c>Infer</c> sees an optimiser step at once, results are bitwise identical for 1 and 2 threads at every kernel
/// width, steady-state calls allocate nothing, and <see cref="LinearKernels"/>' entry points match a naive product.
/// </summary>
[Collection("KernelLevel")]
public sealed class LinearPathTests
{
    private const int Batch = 64;

    public static TheoryData<int> Levels() => [.. new[] { 512, 256, 128, 0 }.Where(l => l <= KernelDispatch.HardwareBits)];

    [Fact]
    public void Freeze_AfterOptimiserStep_ServesTheNewWeights()
    {
        var net = new LinearThreadsMlp(seed: 3);
        float[] x = Inputs(new Random(1), Batch * LinearThreadsMlp.InputLength);
        TrainingStep(net, x, dx: []);       // running statistics move away from their initial values
        LinearThreadsMlp.Frozen before = net.Freeze();
        float[] frozenBefore = Infer(before.Infer, x);
        float[] inferBefore = Infer(net.Infer, x);

        new Sgd(net.Parameters, learningRate: 0.5f).Step();
        float[] inferAfter = Infer(net.Infer, x);
        float[] frozenAfter = Infer(net.Freeze().Infer, x);

        // The old frozen model is a snapshot; the unfrozen Infer and a new Freeze both read the stepped weights.
        Assert.Equal(frozenBefore, Infer(before.Infer, x));
        Assert.NotEqual(inferBefore, inferAfter);
        ReferenceModel reference = FusedVsReferenceTests.ReferenceFor(typeof(LinearThreadsMlp), seed: 0);
        reference.Parameters.CopyFrom(net.Parameters);
        reference.Buffers.CopyFrom(net.Buffers);
        float[] expected = Infer(reference.Infer, x);
        AssertClose(expected, inferAfter);
        AssertClose(expected, frozenAfter);
    }

    [Theory]
    [MemberData(nameof(Levels))]
    public void TrainingAndInference_OneAndTwoThreads_BitwiseIdentical(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        float[] x = Inputs(new Random(2), Batch * LinearThreadsMlp.InputLength);
        (float[] Output, float[] Dx, float[][] Grads, float[][] Buffers, float[] Frozen, float[] Infer) Run(int threads)
        {
            (float[], float[], float[][], float[][], float[], float[]) result = default;
            KernelLevelCollection.AtThreads(threads, () =>
            {
                var net = new LinearThreadsMlp(seed: 5);
                float[] dx = new float[x.Length];
                float[] output = TrainingStep(net, x, dx);
                result = (output, dx, net.Parameters.Select(p => p.Grad.ToArray()).ToArray(), net.Buffers.Select(p => p.Data.ToArray()).ToArray(),
                    Infer(net.Freeze().Infer, x), Infer(net.Infer, x));
            });
            return result;
        }

        var one = Run(1);
        var two = Run(2);
        Assert.True(one.Output.AsSpan().SequenceEqual(two.Output), $"{bits} bits: Forward output");
        Assert.True(one.Dx.AsSpan().SequenceEqual(two.Dx), $"{bits} bits: input gradient");
        for (int i = 0; i < one.Grads.Length; i++)
        {
            Assert.True(one.Grads[i].AsSpan().SequenceEqual(two.Grads[i]), $"{bits} bits: gradient {i}");
        }

        for (int i = 0; i < one.Buffers.Length; i++)
        {
            Assert.True(one.Buffers[i].AsSpan().SequenceEqual(two.Buffers[i]), $"{bits} bits: buffer {i}");
        }

        Assert.True(one.Frozen.AsSpan().SequenceEqual(two.Frozen), $"{bits} bits: Frozen.Infer");
        Assert.True(one.Infer.AsSpan().SequenceEqual(two.Infer), $"{bits} bits: Infer");
    });

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SteadyState_FrozenInferAndTrainingStep_AllocateNothing(int threads) => KernelLevelCollection.AtThreads(threads, () =>
    {
        var net = new LinearThreadsMlp(seed: 7);
        float[] x = Inputs(new Random(3), Batch * LinearThreadsMlp.InputLength);
        float[] y = new float[Batch * LinearThreadsMlp.OutputLength], dy = Inputs(new Random(4), y.Length), dx = new float[x.Length];
        LinearThreadsMlp.Frozen frozen = net.Freeze();
        for (int warm = 0; warm < 3; warm++)
        {
            frozen.Infer(x, y, Batch);
            net.Forward(x, y, Batch);
            net.Backward(dy, dx);
        }

        Assert.Equal(0, SteadyAllocations.Cleanest(() => frozen.Infer(x, y, Batch)));
        Assert.Equal(0, SteadyAllocations.Cleanest(() =>
        {
            net.ZeroGrad();
            net.Forward(x, y, Batch);
            net.Backward(dy, dx);
        }));
    });

    [Theory]
    [MemberData(nameof(Levels))]
    public void Kernels_PackedUnpackedAndInputGradient_MatchNaive(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        var random = new Random(6);
        foreach ((int rows, int cols, int length) in new[] { (1, 3, 5), (7, 17, 33), (8, 16, 16), (13, 37, 29) })
        {
            float[] x = Inputs(random, rows * length), w = Inputs(random, cols * length), scale = Inputs(random, cols), shift = Inputs(random, cols);
            float[] packed = LinearKernels.PackWeights(w, cols, length);
            float[] fromPacked = new float[rows * cols], unpacked = new float[rows * cols];
            LinearKernels.Infer(default(ReluOperator), ref x[0], rows, w, packed, cols, length, ref fromPacked[0], scale, shift);
            LinearKernels.Infer(default(ReluOperator), ref x[0], rows, w, [], cols, length, ref unpacked[0], scale, shift);
            float[] dz = Inputs(random, rows * cols), dx = Inputs(random, rows * length);
            LinearKernels.InputGradient(ref dz[0], rows, ref w[0], cols, length, ref dx[0]);
            for (int r = 0; r < rows; r++)
            {
                for (int o = 0; o < cols; o++)
                {
                    double s = 0, magnitude = 0;
                    for (int i = 0; i < length; i++)
                    {
                        s += (double)x[(r * length) + i] * w[(o * length) + i];
                        magnitude += Math.Abs((double)x[(r * length) + i] * w[(o * length) + i]);
                    }

                    double expected = Math.Max(0, (scale[o] * s) + shift[o]), tolerance = (length + 4) * 1.2e-7 * (magnitude + 1);
                    Assert.True(Math.Abs(expected - fromPacked[(r * cols) + o]) <= tolerance, $"{bits} bits {rows}×{cols}×{length}: packed [{r},{o}]");
                    Assert.True(Math.Abs(expected - unpacked[(r * cols) + o]) <= tolerance, $"{bits} bits {rows}×{cols}×{length}: unpacked [{r},{o}]");
                }

                for (int i = 0; i < length; i++)
                {
                    double s = 0, magnitude = 0;
                    for (int o = 0; o < cols; o++)
                    {
                        s += (double)dz[(r * cols) + o] * w[(o * length) + i];
                        magnitude += Math.Abs((double)dz[(r * cols) + o] * w[(o * length) + i]);
                    }

                    double error = Math.Abs(s - dx[(r * length) + i]);
                    Assert.True(error <= (cols + 2) * 1.2e-7 * (magnitude + 1), $"{bits} bits {rows}×{cols}×{length}: dx [{r},{i}]");
                }
            }
        }
    });

    [Theory]
    [MemberData(nameof(Levels))]
    public void InputAndWeightGradient_SplitOverThreads_BitwiseOneCall(int bits) => KernelLevelCollection.AtLevel(bits, () =>
    {
        // Fashion-MNIST's 1568 → 128 Linear and an odd width with a scalar tail split C's columns; 200 rows × 100 split its rows.
        var random = new Random(8);
        foreach ((int rows, int cols, int length) in new[] { (64, 128, 1568), (48, 96, 453), (200, 64, 100) })
        {
            float[] dz = Inputs(random, rows * cols), w = Inputs(random, cols * length), x = Inputs(random, rows * length), dw0 = Inputs(random, cols * length);
            float[] dxOne = new float[rows * length], dwOne = dw0.ToArray();
            Gemm.AxpyRows(ref dz[0], cols, 1, ref w[0], length, rows, cols, length, ref dxOne[0], length, accumulate: false);
            Gemm.AxpyRows(ref dz[0], 1, cols, ref x[0], length, cols, rows, length, ref dwOne[0], length, accumulate: true);
            foreach (int threads in new[] { 1, 2, 3 })
            {
                float[] dx = new float[rows * length], dw = dw0.ToArray();
                KernelLevelCollection.AtThreads(threads, () =>
                {
                    LinearKernels.InputGradient(ref dz[0], rows, ref w[0], cols, length, ref dx[0]);
                    LinearKernels.WeightGradient(ref dz[0], rows, ref x[0], cols, length, ref dw[0]);
                });
                Assert.True(dxOne.AsSpan().SequenceEqual(dx), $"{bits} bits {rows}×{cols}×{length}, {threads} threads: dX");
                Assert.True(dwOne.AsSpan().SequenceEqual(dw), $"{bits} bits {rows}×{cols}×{length}, {threads} threads: dW");
            }
        }
    });

    [Fact]
    public void Infer_ShortScaleOrShift_ThrowsBeforeWriting()
    {
        float[] x = new float[6], w = new float[6], y = [7, 7, 7, 7];
        var relu = default(ReluOperator);
        var e = Assert.Throws<ArgumentException>(() => LinearKernels.Infer(relu, ref x[0], 2, w, [], 2, 3, ref y[0], new float[1], new float[2]));
        Assert.Equal("scale", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => LinearKernels.Infer(relu, ref x[0], 2, w, [], 2, 3, ref y[0], new float[2], new float[1]));
        Assert.Equal("shift", e.ParamName);
        Assert.All(y, v => Assert.Equal(7f, v));
    }

    private static float[] TrainingStep(IFusedModel net, float[] x, float[] dx)
    {
        float[] y = new float[Batch * net.OutputLength];
        net.ZeroGrad();
        net.Forward(x, y, Batch);
        net.Backward(Inputs(new Random(9), y.Length), dx);
        return y;
    }

    private delegate void InferCall(ReadOnlySpan<float> input, Span<float> output, int batchSize);

    private static float[] Infer(InferCall infer, float[] x)
    {
        float[] y = new float[Batch * LinearThreadsMlp.OutputLength];
        infer(x, y, Batch);
        return y;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        double scale = expected.Max(v => Math.Abs((double)v)) + 1e-30;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs((double)expected[i] - actual[i]) <= 1e-4 * scale, $"[{i}]: {actual[i]}, expected {expected[i]}");
        }
    }

    private static float[] Inputs(Random random, int length) => [.. Enumerable.Range(0, length).Select(_ => (random.NextSingle() * 2) - 1)];
}
