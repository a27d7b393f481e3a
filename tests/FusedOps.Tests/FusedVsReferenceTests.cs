using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using FusedOps.Reference;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Generated Forward, Backward, Infer and Frozen.Infer against the naive reference interpreter, on
/// every pipeline in <see cref="Pipelines"/>, at every kernel level this machine has (Vector512,
/// Vector256, Vector128 — the generated convolutions' and the runtime kernels' 128-bit paths — and scalar).
/// </summary>
[Collection("KernelLevel")]
public sealed class FusedVsReferenceTests
{
    public static IEnumerable<object[]> Cases()
    {
        int[] levels = new[] { 512, 256, 128, 0 }.Where(l => l <= FusedOps.Kernels.KernelDispatch.HardwareBits).ToArray();
        foreach (int level in levels)
        {
            yield return new object[] { nameof(ConvBnRelu), level, 4 };
            yield return new object[] { nameof(LinearBnRelu), level, 6 };
            yield return new object[] { nameof(CnnHead), level, 3 };
            yield return new object[] { nameof(StridedConv), level, 3 };
            yield return new object[] { nameof(DilatedConv), level, 1 };
            yield return new object[] { nameof(DilatedConv), level, 2 };
            yield return new object[] { nameof(DepthwiseConv), level, 3 };
            yield return new object[] { nameof(GroupedConv), level, 2 };
            yield return new object[] { nameof(PointwiseConv), level, 5 };
            yield return new object[] { nameof(BatchNormFirst), level, 3 };
            yield return new object[] { nameof(TwoBlockCnn), level, 3 };
            yield return new object[] { nameof(Mlp), level, 1 };
            yield return new object[] { nameof(Mlp), level, 7 };
            yield return new object[] { nameof(WideConv), level, 2 };
            yield return new object[] { nameof(NormalisedMlp), level, 9 };
            yield return new object[] { nameof(LargeKernelConv), level, 2 };
            yield return new object[] { nameof(WideRowConv), level, 3 };
            yield return new object[] { nameof(FlattenOnly), level, 2 };
            yield return new object[] { nameof(VeryWideConv), level, 2 };
            yield return new object[] { nameof(ActivationFirst), level, 4 };
            yield return new object[] { nameof(ResIdentity), level, 3 };
            yield return new object[] { nameof(ResProjection), level, 3 };
            yield return new object[] { nameof(StrideBranch), level, 2 };
            yield return new object[] { nameof(ConcatNet), level, 3 };
            yield return new object[] { nameof(TwoSaves), level, 2 };
            yield return new object[] { nameof(LinearResidual), level, 5 };
            yield return new object[] { nameof(GridConvs), level, 2 };
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pipeline_MatchesReference(string pipeline, int vectorBits, int batch) => CompareAt(pipeline, vectorBits, batch);

    /// <summary>Every pipeline in <paramref name="pipelines"/> at every kernel width this machine has, at batches 1, 3 and 8.</summary>
    internal static IEnumerable<object[]> CasesFor(params string[] pipelines)
    {
        int[] levels = new[] { 512, 256, 128, 0 }.Where(l => l <= FusedOps.Kernels.KernelDispatch.HardwareBits).ToArray();
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

    /// <summary>Compares the pipeline class <paramref name="pipeline"/> (in FusedOps.Tests.Pipelines) with the reference at one kernel width.</summary>
    internal static void CompareAt(string pipeline, int vectorBits, int batch)
    {
        int saved = KernelOptions.MaxVectorBits;
        try
        {
            KernelOptions.MaxVectorBits = vectorBits;
            Type type = typeof(ConvBnRelu).Assembly.GetType("FusedOps.Tests.Pipelines." + pipeline, throwOnError: true)!;
            Compare(type, batch);
        }
        finally
        {
            KernelOptions.MaxVectorBits = saved;
        }
    }

    internal static ReferenceModel ReferenceFor(Type type, int seed)
    {
        var pipeline = type.GetCustomAttribute<FusedPipelineAttribute>()!;
        var layers = type.GetCustomAttributes<LayerAttribute>(inherit: false).ToList();
        return new ReferenceModel(pipeline.InputShape, layers, seed);
    }

    private static void Compare(Type type, int batch)
    {
        var fused = (IFusedModel)Activator.CreateInstance(type, 7)!;
        ReferenceModel reference = ReferenceFor(type, 7);

        // Same layers, same seed: the same state-dict names, shapes and initial values.
        Assert.Equal(reference.Parameters.Names, fused.Parameters.Names);
        Assert.Equal(reference.Buffers.Names, fused.Buffers.Names);
        foreach (Parameter p in reference.Parameters.Concat(reference.Buffers))
        {
            Parameter q = fused.Parameters.Contains(p.Name) ? fused.Parameters[p.Name] : fused.Buffers[p.Name];
            Assert.Equal(p.Shape, q.Shape);
            Assert.Equal(p.Data, q.Data);
        }

        Assert.Equal(reference.InputLength, fused.InputLength);
        Assert.Equal(reference.OutputLength, fused.OutputLength);

        // Non-trivial BatchNorm state so that eval mode and folding are exercised.
        var rng = new Random(11);
        foreach (Parameter p in fused.Parameters.Concat(fused.Buffers).Where(p => !p.Name.EndsWith("0.weight", StringComparison.Ordinal) && p.Shape.Length == 1))
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] = p.Name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + (float)rng.NextDouble() : (float)(rng.NextDouble() - 0.5);
            }
        }

        reference.Parameters.CopyFrom(fused.Parameters);
        reference.Buffers.CopyFrom(fused.Buffers);

        float[] x = Enumerable.Range(0, batch * fused.InputLength).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] g = Enumerable.Range(0, batch * fused.OutputLength).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

        float[] expected = new float[batch * fused.OutputLength];
        float[] actual = new float[expected.Length];
        reference.Infer(x, expected, batch);
        fused.Infer(x, actual, batch);
        AssertClose(expected, actual, 1e-5, "Infer");

        IInferenceModel frozen = (IInferenceModel)type.GetMethod("Freeze")!.Invoke(fused, null)!;
        Array.Fill(actual, float.NaN);
        frozen.Infer(x, actual, batch);
        AssertClose(expected, actual, 1e-5, "Frozen.Infer");

        bool canTrain = !fused.Buffers.Any() || batch > 1 || type.GetCustomAttributes<LayerAttribute>().All(l => l is not BatchNormAttribute) || fused.InputShapeArray.Length == 3 && SpatialBeforeEveryBatchNormAboveOne(reference);
        if (!canTrain)
        {
            return;
        }

        float[][] buffersBefore = fused.Buffers.Select(p => (float[])p.Data.Clone()).ToArray();
        reference.Forward(x, expected, batch);
        fused.Forward(x, actual, batch);
        AssertClose(expected, actual, 1e-5, "Forward");
        foreach (Parameter p in reference.Buffers)
        {
            AssertClose(p.Data, fused.Buffers[p.Name].Data, 1e-4, "running statistic " + p.Name);
        }

        float[] dxExpected = new float[x.Length];
        float[] dxActual = new float[x.Length];
        reference.ZeroGrad();
        fused.ZeroGrad();
        reference.Backward(g, dxExpected);
        fused.Backward(g, dxActual);
        double caseMax = reference.Parameters.Select(p => Normwise.MaxAbs(Normwise.ToDouble(p.Grad))).Append(Normwise.MaxAbs(Normwise.ToDouble(dxExpected))).Max();
        AssertGradClose(dxExpected, dxActual, caseMax, "input gradient");
        foreach (Parameter p in reference.Parameters)
        {
            AssertGradClose(p.Grad, fused.Parameters[p.Name].Grad, caseMax, "gradient of " + p.Name);
        }

        // Gradients accumulate, and an empty input gradient skips it (each Backward needs its own Forward).
        // A pipeline with Dropout restarts its training randomness so that this step draws the first step's masks.
        type.GetProperty("Seed")?.SetValue(fused, 7);
        // The same step again from the same buffers: SpectralNorm's power iteration starts from the stored u and v.
        for (int k = 0; k < buffersBefore.Length; k++)
        {
            buffersBefore[k].CopyTo(fused.Buffers[k].Data, 0);
        }

        fused.Forward(x, actual, batch);
        fused.Backward(g, Span<float>.Empty);
        foreach (Parameter p in reference.Parameters)
        {
            float[] twice = p.Grad.Select(v => 2 * v).ToArray();
            AssertGradClose(twice, fused.Parameters[p.Name].Grad, 2 * caseMax, "accumulated gradient of " + p.Name);
        }
    }

    private static bool SpatialBeforeEveryBatchNormAboveOne(ReferenceModel reference) => true;

    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what) =>
        Normwise.AssertWithin(Normwise.OutputError(Normwise.ToDouble(actual), Normwise.ToDouble(expected)), tolerance, what);

    private static void AssertGradClose(float[] expected, float[] actual, double caseMax, string what) =>
        Normwise.AssertWithin(Normwise.GradientError(Normwise.ToDouble(actual), Normwise.ToDouble(expected), caseMax), 1e-4, what);
}
