using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Kernels;
using FusedOps.Reference;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The training Forward's last group may write the caller's output span directly (no buffer copied there): the output, the
/// input gradient and every parameter gradient are bitwise those of a step into a fresh zeroed array when the caller's span is a
/// slice of a NaN-filled array (garbage beforehand), nothing outside the slice is written, and Backward is unchanged when the
/// caller overwrites its output after Forward (so Backward never reads it). Likewise the first grid conv may pad straight from the
/// caller's input span (its padded planes kept for the backward): Backward after the caller overwrote its input array gives the
/// gradients of the Forward's input. Pipelines that write or read the spans directly (conv on the grid, strided conv, depthwise,
/// pointwise, Linear, each with BatchNorm; WideConv also at a batch too large to keep the planes) and ones that copy (FashionNet,
/// a Linear head).
/// </summary>
[Collection("KernelLevel")]
public sealed class TrainingOutputSpanTests
{
    private const int Margin = 5;

    public static IEnumerable<object[]> Cases()
    {
        foreach (int bits in new[] { 512, 256, 128, 0 }.Where(b => b <= KernelDispatch.HardwareBits))
        {
            foreach (string pipeline in new[]
            {
                nameof(WideConv), nameof(ConvBnRelu), nameof(StridedConv), nameof(DepthwiseConv), nameof(PointwiseConv), nameof(LinearBnRelu),
                nameof(TwoBlockCnn), typeof(FusedOps.Samples.FashionMnist.FashionNet).FullName!,
            })
            {
                yield return new object[] { pipeline, bits, 3 };
            }

            // 40 samples of WideConv's padded planes are 1.3 MB: not kept, so the model copies the input.
            yield return new object[] { nameof(WideConv), bits, 40 };
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Step_SpansOverwrittenBeforeBackward_SameBits(string pipeline, int bits, int batch) => KernelLevelCollection.AtLevel(bits, () =>
    {
        IFusedModel clean = Create(pipeline), reused = Create(pipeline);
        var random = new Random(23);
        float[] x = Enumerable.Range(0, batch * clean.InputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        float[] g = Enumerable.Range(0, batch * clean.OutputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        int length = batch * clean.OutputLength;

        float[] y = new float[length], dx = new float[x.Length];
        clean.ZeroGrad();
        clean.Forward(x, y, batch);
        clean.Backward(g, dx);

        // The caller's output: a slice of an array full of NaN; it and the caller's input are overwritten after Forward.
        float[] wide = Enumerable.Repeat(float.NaN, length + (2 * Margin)).ToArray();
        float[] x2 = (float[])x.Clone(), dx2 = new float[x.Length];
        reused.ZeroGrad();
        reused.Forward(x2, wide.AsSpan(Margin, length), batch);
        float[] y2 = wide.AsSpan(Margin, length).ToArray();
        Array.Fill(wide, float.NaN);
        Array.Fill(x2, float.NaN);
        reused.Backward(g, dx2);

        Assert.All(wide, v => Assert.True(float.IsNaN(v)));
        TrainingParallelTests.AssertBitwise(Values(clean, y, dx), Values(reused, y2, dx2), $"{pipeline} at {bits} bits");

        // Both runs above share the generated path; the reference interpreter (same seed, same parameters) checks that the first
        // layer's weight gradient (the one that reads the input) after the input was overwritten is the Forward input's, not that of a
        // stale or overwritten copy. (A conv bias before BatchNorm has a gradient of rounding noise only: the bitwise check covers it.)
        ReferenceModel reference = FusedVsReferenceTests.ReferenceFor(reused.GetType(), 5);
        float[] dxReference = new float[x.Length];
        reference.ZeroGrad();
        reference.Forward(x, new float[length], batch);
        reference.Backward(g, dxReference);
        double caseMax = reference.Parameters.Select(p => Normwise.MaxAbs(Normwise.ToDouble(p.Grad))).Append(Normwise.MaxAbs(Normwise.ToDouble(dxReference))).Max();
        foreach (Parameter p in reference.Parameters.Where(p => p.Name == "0.weight"))
        {
            Normwise.AssertWithin(Normwise.GradientError(Normwise.ToDouble(reused.Parameters[p.Name].Grad), Normwise.ToDouble(p.Grad), caseMax), 1e-4, "gradient of " + p.Name);
        }
    });

    private static IFusedModel Create(string pipeline)
    {
        string name = pipeline.Contains('.', StringComparison.Ordinal) ? pipeline : "FusedOps.Tests.Pipelines." + pipeline;
        Type type = typeof(ConvBnRelu).Assembly.GetType(name, throwOnError: true)!;
        return (IFusedModel)Activator.CreateInstance(type, 5)!;
    }

    private static List<(string, float[])> Values(IFusedModel net, float[] y, float[] dx)
    {
        var values = new List<(string, float[])> { ("output", y), ("input gradient", dx) };
        values.AddRange(net.Parameters.Select(p => ("gradient of " + p.Name, (float[])p.Grad.Clone())));
        values.AddRange(net.Buffers.Select(p => (p.Name, (float[])p.Data.Clone())));
        return values;
    }
}
