using System;
using System.Linq;
using System.Reflection;
using FusedOps.Reference;
using Xunit;

namespace FusedOps.Generator.Tests.Property;

/// <summary>
/// A generated pipeline against the reference interpreter built from the same attributes and seed, as
/// FusedOps.Tests' FusedVsReferenceTests: the same state names and initial values; then, with non-trivial
/// one-dimensional state, Infer on a batch one sample past an inference chunk, Frozen.Infer, a training
/// Forward, the running statistics after it, and every gradient of one Backward.
/// </summary>
internal static class ReferenceComparison
{
    private const int Seed = 5;

    public static void Compare(Type type, Random random)
    {
        var fused = (IFusedModel)Activator.CreateInstance(type, Seed)!;
        FusedPipelineAttribute pipeline = type.GetCustomAttribute<FusedPipelineAttribute>()!;
        var reference = new ReferenceModel(pipeline.InputShape, [.. type.GetCustomAttributes<LayerAttribute>(inherit: false)], Seed);

        Assert.Equal(reference.Parameters.Names, fused.Parameters.Names);
        Assert.Equal(reference.Buffers.Names, fused.Buffers.Names);
        foreach (Parameter p in reference.Parameters.Concat(reference.Buffers))
        {
            Parameter q = fused.Parameters.Contains(p.Name) ? fused.Parameters[p.Name] : fused.Buffers[p.Name];
            Assert.Equal(p.Shape, q.Shape);
            Assert.Equal(p.Data, q.Data);
        }

        // Non-trivial norm state (and biases), so that inference with running statistics and folding are exercised.
        foreach (Parameter p in fused.Parameters.Concat(fused.Buffers).Where(p => p.Shape.Length == 1))
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] = p.Name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + random.NextSingle() : random.NextSingle() - 0.5f;
            }
        }

        reference.Parameters.CopyFrom(fused.Parameters);
        reference.Buffers.CopyFrom(fused.Buffers);

        int inferBatch = InferChunk(type.Assembly) + 1;
        float[] x = RandomArray(random, inferBatch * fused.InputLength);
        float[] expected = new float[inferBatch * fused.OutputLength];
        float[] actual = new float[expected.Length];
        reference.Infer(x, expected, inferBatch);
        fused.Infer(x, actual, inferBatch);
        AssertClose(expected, actual, 1e-5, $"Infer (batch {inferBatch})");

        var frozen = (IInferenceModel)type.GetMethod("Freeze", Type.EmptyTypes)!.Invoke(fused, null)!;
        Array.Fill(actual, float.NaN);
        frozen.Infer(x, actual, inferBatch);
        AssertClose(expected, actual, 1e-5, $"Frozen.Infer (batch {inferBatch})");

        // Batches of 3 or 4: BatchNorm1d over 2 samples normalises to ±1, where gradients are ill-conditioned in float.
        int batch = 3 + random.Next(2);
        float[] xt = RandomArray(random, batch * fused.InputLength);
        float[] yExpected = new float[batch * fused.OutputLength];
        float[] yActual = new float[yExpected.Length];
        reference.Forward(xt, yExpected, batch);
        fused.Forward(xt, yActual, batch);
        AssertClose(yExpected, yActual, 1e-5, "Forward");
        foreach (Parameter p in reference.Buffers)
        {
            AssertClose(p.Data, fused.Buffers[p.Name].Data, 1e-4, "running statistic " + p.Name);
        }

        float[] g = RandomArray(random, yExpected.Length);
        float[] dxExpected = new float[xt.Length];
        float[] dxActual = new float[xt.Length];
        reference.ZeroGrad();
        fused.ZeroGrad();
        reference.Backward(g, dxExpected);
        fused.Backward(g, dxActual);
        double caseMax = reference.Parameters.Select(p => MaxAbs(p.Grad)).Append(MaxAbs(dxExpected)).Max();
        AssertGradientClose(dxExpected, dxActual, caseMax, "input gradient");
        foreach (Parameter p in reference.Parameters)
        {
            AssertGradientClose(p.Grad, fused.Parameters[p.Name].Grad, caseMax, "gradient of " + p.Name);
        }
    }

    /// <summary>The generated inference chunk (a private constant of the inference kernels), or 1 when there is none.</summary>
    private static int InferChunk(Assembly generated) =>
        generated.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.Name == "InferChunk")
            .Select(f => (int)f.GetRawConstantValue()!)
            .DefaultIfEmpty(1)
            .Max();

    private static float[] RandomArray(Random random, int length)
    {
        float[] a = new float[length];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (random.NextSingle() * 2) - 1;
        }

        return a;
    }

    private static double MaxAbs(float[] values) => values.Length == 0 ? 0 : values.Max(v => Math.Abs((double)v));

    private static double MaxAbsDifference(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)expected[i] - actual[i]);
            max = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(max, d);
        }

        return max;
    }

    /// <summary>The fixtures' normwise output error: max|ours − reference| / max(max|reference|, 1e-3).</summary>
    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        double error = MaxAbsDifference(expected, actual) / Math.Max(MaxAbs(expected), 1e-3);
        Assert.True(error <= tolerance, $"{what}: normwise error {error:E3} > {tolerance:E0}");
    }

    /// <summary>The fixtures' normwise gradient error, relative to the largest gradient of the case as well.</summary>
    private static void AssertGradientClose(float[] expected, float[] actual, double caseMax, string what)
    {
        double error = MaxAbsDifference(expected, actual) / Math.Max(Math.Max(MaxAbs(expected), 1e-2 * caseMax), 1e-3);
        Assert.True(error <= 1e-4, $"{what}: normwise error {error:E3} > 1E-4");
    }
}
