using System;
using System.Collections.Generic;
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
/// <remarks>
/// Random pipelines include ill-conditioned ones (a LayerNorm over nearly equal values, a kink of an
/// activation right at an input), where no float32 implementation can match double to the fixed
/// tolerances. Each comparison therefore allows, on top of the fixed tolerance, the reference's own change
/// when its input and every parameter move by <see cref="Ulps"/> float32 ulps (a parameter stands for the
/// rounding of the layer that adds it): what the pipeline's conditioning makes of rounding. For
/// well-conditioned cases that term is far below the fixed tolerance.
/// </remarks>
internal static class ReferenceComparison
{
    private const int Seed = 5;

    /// <summary>The relative input perturbation of the conditioning term: 16 float32 ulps (2⁻¹⁹ relative).</summary>
    private const double Ulps = 16.0 / (1 << 23);

    public static void Compare(Type type, Random random)
    {
        var fused = (IFusedModel)Activator.CreateInstance(type, Seed)!;
        FusedPipelineAttribute pipeline = type.GetCustomAttribute<FusedPipelineAttribute>()!;
        LayerAttribute[] layers = [.. type.GetCustomAttributes<LayerAttribute>(inherit: false)];
        var reference = new ReferenceModel(pipeline.InputShape, layers, Seed);

        // FusedVsReferenceTests' 1e-5 for outputs holds for one normalisation; each norm divides by a float
        // standard deviation, and a random pipeline may stack several, so their rounding adds up.
        double outputTolerance = 1e-5 * Math.Max(1, layers.Count(l => l is BatchNormAttribute or LayerNormAttribute or GroupNormAttribute
            or InstanceNormAttribute or SwitchableNormAttribute or LocalResponseNormAttribute));

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
        double inferSlack = Conditioning(reference, x, inferBatch, training: false, random, null).Output;
        AssertClose(expected, actual, outputTolerance + inferSlack, $"Infer (batch {inferBatch})");

        var frozen = (IInferenceModel)type.GetMethod("Freeze", Type.EmptyTypes)!.Invoke(fused, null)!;
        Array.Fill(actual, float.NaN);
        frozen.Infer(x, actual, inferBatch);
        AssertClose(expected, actual, outputTolerance + inferSlack, $"Frozen.Infer (batch {inferBatch})");

        // Batches of 3 or 4: BatchNorm1d over 2 samples normalises to ±1, where gradients are ill-conditioned in float.
        int batch = 3 + random.Next(2);
        float[] xt = RandomArray(random, batch * fused.InputLength);
        float[] yExpected = new float[batch * fused.OutputLength];
        float[] yActual = new float[yExpected.Length];
        float[] g = RandomArray(random, yExpected.Length);

        // Before Forward: ForwardDouble draws the masks the next Forward will, without advancing the stream.
        (double forwardSlack, double gradientSlack) = Conditioning(reference, xt, batch, training: true, random, g);
        reference.Forward(xt, yExpected, batch);
        fused.Forward(xt, yActual, batch);
        AssertClose(yExpected, yActual, outputTolerance + forwardSlack, "Forward");
        foreach (Parameter p in reference.Buffers)
        {
            AssertClose(p.Data, fused.Buffers[p.Name].Data, 1e-4 + forwardSlack, "running statistic " + p.Name);
        }

        float[] dxExpected = new float[xt.Length];
        float[] dxActual = new float[xt.Length];
        reference.ZeroGrad();
        fused.ZeroGrad();
        reference.Backward(g, dxExpected);
        fused.Backward(g, dxActual);
        if (!GradientsWellConditioned(pipeline.InputShape, layers, reference))
        {
            return;
        }

        double caseMax = reference.Parameters.Select(p => MaxAbs(p.Grad)).Append(MaxAbs(dxExpected)).Max();
        AssertGradientClose(dxExpected, dxActual, caseMax, 1e-4 + gradientSlack, "input gradient");
        foreach (Parameter p in reference.Parameters)
        {
            AssertGradientClose(p.Grad, fused.Parameters[p.Name].Grad, caseMax, 1e-4 + gradientSlack, "gradient of " + p.Name);
        }
    }

    /// <summary>
    /// How far the reference's output (and, given <paramref name="g"/>, its input and parameter gradients) move,
    /// normwise, when every input value moves by ±<see cref="Ulps"/> relative; the pure double passes leave the
    /// running statistics and the training random stream as they are.
    /// </summary>
    private static (double Output, double Gradient) Conditioning(ReferenceModel reference, float[] input, int batch, bool training, Random random, float[]? g)
    {
        double[] x = Array.ConvertAll(input, v => (double)v);
        double[] Move(double[] values) => Array.ConvertAll(values, v => v * (1 + (random.Next(2) == 0 ? -Ulps : Ulps)));
        double[] moved = Move(x);
        var movedState = reference.Parameters.ToDictionary(p => p.Name, p => Move(Array.ConvertAll(p.Data, v => (double)v)));
        double[] y = reference.ForwardDouble(x, batch, training);
        (double[] dx, IReadOnlyDictionary<string, double[]> dp) = g is null ? ([], new Dictionary<string, double[]>()) : reference.BackwardDouble(Array.ConvertAll(g, v => (double)v));
        double[] yMoved = reference.ForwardDouble(moved, batch, training, movedState);
        double output = MaxAbsDifference(y, yMoved) / Math.Max(MaxAbs(y), 1e-3);
        if (g is null)
        {
            return (output, 0);
        }

        (double[] dxMoved, IReadOnlyDictionary<string, double[]> dpMoved) = reference.BackwardDouble(Array.ConvertAll(g, v => (double)v));
        double caseMax = dp.Values.Select(MaxAbs).Append(MaxAbs(dx)).Max();
        double gradient = dp.Keys.Select(k => GradientError(dp[k], dpMoved[k], caseMax))
            .Append(GradientError(dx, dxMoved, caseMax))
            .Max();
        return (output, gradient);
    }

    private static double GradientError(double[] expected, double[] actual, double caseMax) =>
        MaxAbsDifference(expected, actual) / Math.Max(Math.Max(MaxAbs(expected), 1e-2 * caseMax), 1e-3);

    /// <summary>
    /// False when a per-sample norm normalises groups of at most two values: their outputs are ±1 (or 0) and the
    /// gradients through them are differences of nearly equal float terms, as BatchNorm1d over two samples
    /// (which is why the training batch is at least 3). Outputs are still compared; gradients are not.
    /// </summary>
    private static bool GradientsWellConditioned(int[] inputShape, LayerAttribute[] layers, ReferenceModel reference)
    {
        for (int i = 0; i < layers.Length; i++)
        {
            int[] shape = i == 0 ? inputShape : reference.LayerOutputShapes[i - 1];
            int perChannel = shape.Length == 3 ? shape[1] * shape[2] : 1;
            int group = layers[i] switch
            {
                LayerNormAttribute => shape.Aggregate(1, (a, b) => a * b),
                GroupNormAttribute g => shape[0] / g.Groups * perChannel,
                InstanceNormAttribute => perChannel,
                _ => int.MaxValue,
            };
            if (group <= 2)
            {
                return false;
            }
        }

        return true;
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

    private static double MaxAbs(float[] values) => MaxAbs(Array.ConvertAll(values, v => (double)v));

    private static double MaxAbs(double[] values) => values.Length == 0 ? 0 : values.Max(Math.Abs);

    private static double MaxAbsDifference(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(expected[i] - actual[i]);
            max = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(max, d);
        }

        return max;
    }

    private static double MaxAbsDifference(float[] expected, float[] actual) =>
        MaxAbsDifference(Array.ConvertAll(expected, v => (double)v), Array.ConvertAll(actual, v => (double)v));

    /// <summary>The fixtures' normwise output error: max|ours − reference| / max(max|reference|, 1e-3).</summary>
    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        double error = MaxAbsDifference(expected, actual) / Math.Max(MaxAbs(expected), 1e-3);
        Assert.True(error <= tolerance, $"{what}: normwise error {error:E3} > {tolerance:E2}{Worst(expected, actual)}");
    }

    /// <summary>The fixtures' normwise gradient error, relative to the largest gradient of the case as well.</summary>
    private static void AssertGradientClose(float[] expected, float[] actual, double caseMax, double tolerance, string what)
    {
        if (MaxAbs(expected) <= 1e-9 * caseMax)
        {
            // Zero by structure (a bias a later norm removes): the generated sum of many float terms is rounding
            // noise, which is judged against the case's largest gradient alone.
            Assert.True(MaxAbs(actual) <= tolerance * caseMax, $"{what}: {MaxAbs(actual):E3} where the reference has 0 (case's largest {caseMax:E3})");
            return;
        }

        double error = GradientError(Array.ConvertAll(expected, v => (double)v), Array.ConvertAll(actual, v => (double)v), caseMax);
        Assert.True(error <= tolerance, $"{what}: normwise error {error:E3} > {tolerance:E2}{Worst(expected, actual)}");
    }

    /// <summary>Where the largest difference is, for the failure message.</summary>
    private static string Worst(float[] expected, float[] actual)
    {
        int worst = Enumerable.Range(0, expected.Length).MaxBy(i => Math.Abs((double)expected[i] - actual[i]));
        return $" (largest at {worst} of {expected.Length}: reference {expected[worst]:R}, generated {actual[worst]:R})";
    }
}
