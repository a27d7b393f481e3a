using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The training step split over threads (Conv2d passes and the elementwise passes over a fixed partition of
/// samples, BatchNorm reductions summed per part in part order): outputs, every gradient, the input gradient and
/// the running statistics are bitwise identical at 1, 2 and 3 threads, at every kernel width; and a steady-state
/// step allocates nothing on the calling thread.
/// </summary>
[Collection("KernelLevel")]
public sealed class TrainingParallelTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (int bits in new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits))
        {
            // Batches large enough for ParallelWork.ThreadsFor to split (≥ 2 MFLOP per pass) and not a multiple of the parts.
            yield return new object[] { nameof(WideConv), bits, 13 };
            yield return new object[] { nameof(ResIdentity), bits, 83 };
            yield return new object[] { nameof(DilatedConv), bits, 61 };

            // Every pass of the sample's network split: BatchNorm statistics, normalise, the residual add, max-pooling,
            // the backward reductions and Dropout.
            yield return new object[] { typeof(FusedOps.Samples.FashionMnist.FashionNet).FullName!, bits, 13 };
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainingStep_AnyThreadCount_BitwiseIdentical(string pipeline, int bits, int batch) => KernelLevelCollection.AtLevel(bits, () =>
    {
        Step? first = null;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            Step step = default;
            KernelLevelCollection.AtThreads(threads, () => step = Run(pipeline, batch, steps: 2));
            first ??= step;
            AssertBitwise(first.Value.Values, step.Values, $"{pipeline} at {bits} bits, {threads} threads");
        }
    });

    [Fact]
    public void TrainingStep_SteadyState_AllocatesNothing() => KernelLevelCollection.AtThreads(2, () =>
    {
        AssertSteadyStateAllocatesNothing(new ResIdentity(3), 83);
        AssertSteadyStateAllocatesNothing(new FusedOps.Samples.FashionMnist.FashionNet(3), 13);
    });

    internal static void AssertSteadyStateAllocatesNothing(IFusedModel net, int batch)
    {
        (float[] x, float[] g, float[] y) = Inputs(net, batch);
        for (int i = 0; i < 3; i++)
        {
            TrainStep(net, x, g, y);
        }

        // Steady state: some window of 5 steps allocates nothing. A step that allocates every time fails every window;
        // a one-time lazy allocation that other tests running at the same time can delay past the warm-up (seen in
        // CI under the whole suite: 4,880 bytes once) falls in one window only.
        long allocated = 0;
        for (int window = 0; window < 4; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++)
            {
                TrainStep(net, x, g, y);
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0)
            {
                break;
            }
        }

        Assert.Equal(0, allocated);
    }

    internal static Step Run(string pipeline, int batch, int steps)
    {
        string name = pipeline.Contains('.', StringComparison.Ordinal) ? pipeline : "FusedOps.Tests.Pipelines." + pipeline;
        Type type = typeof(ConvBnRelu).Assembly.GetType(name, throwOnError: true)!;
        var net = (IFusedModel)Activator.CreateInstance(type, 5)!;
        (float[] x, float[] g, float[] y) = Inputs(net, batch);
        float[] dx = new float[x.Length];
        var values = new List<(string, float[])>();
        for (int s = 0; s < steps; s++)
        {
            net.ZeroGrad();
            net.Forward(x, y, batch);
            net.Backward(g, dx);

            // A second step from changed weights, so that the running statistics are updated twice.
            foreach (Parameter p in net.Parameters)
            {
                for (int i = 0; i < p.Length; i++)
                {
                    p.Data[i] -= 0.01f * p.Grad[i];
                }
            }
        }

        values.Add(("output", (float[])y.Clone()));
        values.Add(("input gradient", dx));
        values.AddRange(net.Parameters.Select(p => ("gradient of " + p.Name, (float[])p.Grad.Clone())));
        values.AddRange(net.Parameters.Concat(net.Buffers).Select(p => (p.Name, (float[])p.Data.Clone())));
        return new Step(values);
    }

    private static (float[] X, float[] G, float[] Y) Inputs(IFusedModel net, int batch)
    {
        var random = new Random(17);
        float[] x = Enumerable.Range(0, batch * net.InputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        float[] g = Enumerable.Range(0, batch * net.OutputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        return (x, g, new float[batch * net.OutputLength]);
    }

    private static void TrainStep(IFusedModel net, float[] x, float[] g, float[] y)
    {
        net.ZeroGrad();
        net.Forward(x, y, x.Length / net.InputLength);
        net.Backward(g, Span<float>.Empty);
    }

    internal static void AssertBitwise(List<(string Name, float[] Data)> expected, List<(string Name, float[] Data)> actual, string what)
    {
        Assert.Equal(expected.Select(e => e.Name), actual.Select(a => a.Name));
        for (int t = 0; t < expected.Count; t++)
        {
            float[] e = expected[t].Data, a = actual[t].Data;
            for (int i = 0; i < e.Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(e[i]) != BitConverter.SingleToInt32Bits(a[i]))
                {
                    Assert.Fail($"{what}: {expected[t].Name}[{i}] is {a[i]:R}, at 1 thread {e[i]:R}");
                }
            }
        }
    }

    internal readonly record struct Step(List<(string Name, float[] Data)> Values);
}
