using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Emit;
using Xunit;

namespace FusedOps.Generator.Tests.Property;

/// <summary>
/// Emits a generated compilation, loads it into a collectible <see cref="AssemblyLoadContext"/> that
/// shares the already loaded FusedOps runtime (so the pipeline is usable as <see cref="IFusedModel"/>),
/// and runs Infer, Freeze().Infer, Forward and Backward on small random batches.
/// </summary>
internal static class PipelineRunner
{
    /// <summary>Runs every entry point once; asserts no exception and, when <paramref name="expectFinite"/>, finite results.</summary>
    /// <param name="compareWithReference">Also compare every entry point with the reference interpreter (<see cref="ReferenceComparison"/>).</param>
    public static void Run(Compilation compilation, Declaration declaration, int[] expectedOutputShape, bool expectFinite, bool compareWithReference)
    {
        using var image = new MemoryStream();
        EmitResult emitted = compilation.Emit(image);
        // Emit reports every compiler diagnostic, so this is also the "no warning, no error" check.
        Assert.True(emitted.Success, "Emit failed:\n" + GeneratorRun.Describe(emitted.Diagnostics));
        Assert.Empty(emitted.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        image.Position = 0;

        var context = new RuntimeSharingLoadContext();
        try
        {
            Assembly assembly = context.LoadFromStream(image);
            Type type = assembly.GetType(declaration.Host.MetadataName, throwOnError: true)!;
            RunModel(type, declaration, expectedOutputShape, expectFinite);
            if (compareWithReference)
            {
                ReferenceComparison.Compare(type, new Random(StableHash(declaration.Attributes)));
            }
        }
        finally
        {
            context.Unload();
        }
    }

    private static void RunModel(Type type, Declaration declaration, int[] expectedOutputShape, bool expectFinite)
    {
        var model = (IFusedModel)Activator.CreateInstance(type, 3)!;
        Assert.Equal(declaration.InputShape, model.InputShapeArray);
        Assert.Equal(expectedOutputShape, model.OutputShapeArray);
        Assert.Equal(declaration.InputShape.Aggregate(1, (a, b) => a * b), model.InputLength);
        Assert.Equal(expectedOutputShape.Aggregate(1, (a, b) => a * b), model.OutputLength);
        Assert.All(model.Parameters.Concat(model.Buffers), p => AssertFinite(p.Data, p.Name + " after construction"));

        // Deterministic per declaration, so a failure replays with the same numbers.
        var random = new Random(StableHash(declaration.Attributes));
        int inLength = model.InputLength, outLength = model.OutputLength;

        const int inferBatch = 3;
        float[] input = RandomArray(random, inferBatch * inLength);
        float[] inferred = new float[inferBatch * outLength];
        model.Infer(input, inferred, inferBatch);

        var frozen = (IInferenceModel)type.GetMethod("Freeze", Type.EmptyTypes)!.Invoke(model, null)!;
        float[] frozenOut = new float[inferBatch * outLength];
        frozen.Infer(input, frozenOut, inferBatch);

        // Batch 2 or 3: BatchNorm always has at least two values per channel.
        int batch = 2 + random.Next(2);
        float[] trainInput = RandomArray(random, batch * inLength);
        float[] trained = new float[batch * outLength];
        model.Forward(trainInput, trained, batch);
        float[] outputGradient = RandomArray(random, batch * outLength);
        float[] inputGradient = new float[batch * inLength];
        model.Backward(outputGradient, inputGradient);

        if (!expectFinite)
        {
            return;
        }

        AssertFinite(inferred, "Infer output");
        AssertFinite(frozenOut, "Freeze().Infer output");
        AssertFinite(trained, "Forward output");
        AssertFinite(inputGradient, "Backward input gradient");
        Assert.All(model.Parameters, p => AssertFinite(p.Grad, p.Name + " gradient"));
        Assert.All(model.Buffers, p => AssertFinite(p.Data, p.Name + " after Forward"));

        // Folding BatchNorm into the preceding op only reorders float arithmetic.
        float scale = inferred.Select(Math.Abs).DefaultIfEmpty(0f).Max();
        for (int i = 0; i < inferred.Length; i++)
        {
            Assert.True(
                Math.Abs(inferred[i] - frozenOut[i]) <= 1e-3f * Math.Max(1f, scale),
                $"Freeze().Infer differs from Infer at {i}: {frozenOut[i]} vs {inferred[i]}");
        }
    }

    private static float[] RandomArray(Random random, int length)
    {
        float[] a = new float[length];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return a;
    }

    private static void AssertFinite(float[] values, string what)
    {
        int bad = Array.FindIndex(values, v => !float.IsFinite(v));
        Assert.True(bad < 0, $"{what} is not finite at {bad}: {(bad >= 0 ? values[bad] : 0)}");
    }

    /// <summary>FNV-1a over the text: string.GetHashCode is randomised per process.</summary>
    private static int StableHash(string text)
    {
        uint hash = 2166136261;
        foreach (char ch in text)
        {
            hash = (hash ^ ch) * 16777619;
        }

        return (int)(hash & 0x7FFFFFFF);
    }

    /// <summary>Loads the test assembly's own FusedOps for "FusedOps", so IFusedModel is one type on both sides.</summary>
    private sealed class RuntimeSharingLoadContext : AssemblyLoadContext
    {
        private static readonly Assembly s_runtime = typeof(Parameter).Assembly;

        public RuntimeSharingLoadContext()
            : base("FusedOps.PropertyCase", isCollectible: true)
        {
        }

        protected override Assembly? Load(AssemblyName assemblyName) =>
            assemblyName.Name == s_runtime.GetName().Name ? s_runtime : null;
    }
}
