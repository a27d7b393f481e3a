using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Generated convolutions split over threads in inference (by sample, or by panel for one sample): Infer and
/// Frozen.Infer give the same bits at 1 and 2 threads, at every kernel width, and match the reference at 2 threads.
/// </summary>
[Collection("KernelLevel")]
public sealed class ConvParallelTests
{
    public static IEnumerable<object[]> Cases()
    {
        int[] levels = new[] { 512, 256, 128, 0 }.Where(l => l <= FusedOps.Kernels.KernelDispatch.HardwareBits).ToArray();
        foreach (int level in levels)
        {
            foreach (string pipeline in new[] { nameof(ParallelConvPool), nameof(ParallelResidual), nameof(ConvMaxPoolOdd), nameof(GridConvs), nameof(ParallelConvPool3), nameof(ConvMaxPool3Odd) })
            {
                foreach (int batch in new[] { 1, 3, 8 })
                {
                    yield return new object[] { pipeline, level, batch };
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Inference_IsBitwiseIdentical_AtOneAndTwoThreads(string pipeline, int vectorBits, int batch) =>
        AssertSameBitsAtThreadCounts(pipeline, vectorBits, batch, 2);

    /// <summary>
    /// Infer and Frozen.Infer of <paramref name="pipeline"/> (random running statistics) give the bits of one thread at each of
    /// <paramref name="threadCounts"/>, and match the reference at two threads.
    /// </summary>
    internal static void AssertSameBitsAtThreadCounts(string pipeline, int vectorBits, int batch, params int[] threadCounts)
    {
        int savedBits = KernelOptions.MaxVectorBits, savedThreads = KernelOptions.MaxDegreeOfParallelism;
        try
        {
            KernelOptions.MaxVectorBits = vectorBits;
            Type type = typeof(ConvBnRelu).Assembly.GetType("FusedOps.Tests.Pipelines." + pipeline, throwOnError: true)!;
            var model = (IFusedModel)Activator.CreateInstance(type, 3)!;
            var rng = new Random(5);
            foreach (Parameter p in model.Parameters.Concat(model.Buffers).Where(p => p.Shape.Length == 1))
            {
                for (int i = 0; i < p.Length; i++)
                {
                    p.Data[i] = p.Name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + (float)rng.NextDouble() : (float)(rng.NextDouble() - 0.5);
                }
            }

            var frozen = (IInferenceModel)type.GetMethod("Freeze")!.Invoke(model, null)!;
            float[] x = Enumerable.Range(0, batch * model.InputLength).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
            foreach ((string what, Action<float[]> run) in new (string, Action<float[]>)[]
            {
                ("Infer", y => model.Infer(x, y, batch)),
                ("Frozen.Infer", y => frozen.Infer(x, y, batch)),
            })
            {
                KernelOptions.MaxDegreeOfParallelism = 1;
                float[] one = new float[batch * model.OutputLength];
                run(one);
                foreach (int threads in threadCounts)
                {
                    KernelOptions.MaxDegreeOfParallelism = threads;
                    float[] many = Enumerable.Repeat(float.NaN, one.Length).ToArray();
                    run(many);
                    int differ = Enumerable.Range(0, one.Length).Count(i => BitConverter.SingleToInt32Bits(one[i]) != BitConverter.SingleToInt32Bits(many[i]));
                    Assert.True(differ == 0, $"{what}: {differ} of {one.Length} outputs differ between 1 and {threads} threads");
                }
            }

            // And right, not only repeatable: the reference comparison at two threads.
            KernelOptions.MaxDegreeOfParallelism = 2;
            FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);
        }
        finally
        {
            KernelOptions.MaxVectorBits = savedBits;
            KernelOptions.MaxDegreeOfParallelism = savedThreads;
        }
    }
}
