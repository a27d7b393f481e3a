using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using FusedOps.Kernels;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// The generated convolutions' Vector128 register blocks (<see cref="KernelOptions.MaxVectorBits"/> 128: 3 rows × 16 columns, a
/// panel's two halves in turn) take every tap in the same order as the Vector256 blocks and apply the same epilogue, so the
/// unfolded model's <c>Infer</c> (always the generated kernels) gives the 256-bit path's bits at 128 on every convolutional test
/// pipeline without a Linear layer or a per-sample norm (runtime kernels that sum in a width's own order): odd and partial channel blocks, partial
/// panels, grid and shifted panels, tap blocks, residuals, 2 × 2 pools in registers, banded pools, Maxout, channel activations,
/// groups, strides and dilations. A wrong column, row or half in a 128-bit block changes some output. The results against the
/// reference at 128 bits are FusedVsReferenceTests' and the other reference tests'.
/// </summary>
[Collection("KernelLevel")]
public sealed class Vector128PathTests
{
    public static IEnumerable<object[]> Pipelines() =>
        typeof(Vector128PathTests).Assembly.GetTypes()
            .Where(t => t.Namespace == "FusedOps.Tests.Pipelines" && typeof(IFusedModel).IsAssignableFrom(t) && !t.IsAbstract
                && t.GetCustomAttribute<FusedPipelineAttribute>() is not null
                && t.GetCustomAttributes<LayerAttribute>(inherit: false).Any(l => l is Conv2dAttribute)
                && !t.GetCustomAttributes<LayerAttribute>(inherit: false).Any(SumsInItsWidthsOrder))
            .Select(t => t.Name)
            .OrderBy(n => n, StringComparer.Ordinal)
            .Select(n => new object[] { n });

    // Linear layers and the norms over a sample's own statistics (Layer, Group, Instance, Switchable) are runtime kernels whose
    // sums run in each width's own order.
    private static bool SumsInItsWidthsOrder(LayerAttribute layer) =>
        layer is LinearAttribute or LayerNormAttribute or GroupNormAttribute or InstanceNormAttribute or SwitchableNormAttribute;

    [Fact]
    public void ConvolutionalPipelines_AreCovered() => Assert.True(Pipelines().Count() >= 20, $"only {Pipelines().Count()} pipelines");

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void Infer_At128Bits_GivesThe256BitPathsBits(string pipeline)
    {
        if (KernelDispatch.HardwareBits < 256)
        {
            return; // Nothing wider to compare with (an ARM64 machine): the reference tests check the 128-bit path there.
        }

        Type type = typeof(Vector128PathTests).Assembly.GetType("FusedOps.Tests.Pipelines." + pipeline, throwOnError: true)!;
        foreach (int batch in new[] { 1, 3 })
        {
            float[] at256 = InferAt(type, 256, batch, out float[] x);
            float[] at128 = InferAt(type, 128, batch, out _);
            for (int i = 0; i < at256.Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(at256[i]) != BitConverter.SingleToInt32Bits(at128[i]))
                {
                    Assert.Fail($"{pipeline}, batch {batch}: output {i} of {at256.Length} is {at128[i]:R} at 128 bits, {at256[i]:R} at 256 (input length {x.Length}).");
                }
            }
        }
    }

    // Infer on a fresh model (seed 7) with non-trivial BatchNorm statistics and random input, at the given width.
    private static float[] InferAt(Type type, int bits, int batch, out float[] x)
    {
        var model = (IFusedModel)Activator.CreateInstance(type, 7)!;
        var rng = new Random(11);
        foreach (Parameter p in model.Parameters.Concat(model.Buffers).Where(p => p.Shape.Length == 1))
        {
            for (int i = 0; i < p.Length; i++)
            {
                p.Data[i] = p.Name.EndsWith("running_var", StringComparison.Ordinal) ? 0.5f + (float)rng.NextDouble() : (float)(rng.NextDouble() - 0.5);
            }
        }

        float[] input = Enumerable.Range(0, batch * model.InputLength).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        float[] y = new float[batch * model.OutputLength];
        Array.Fill(y, float.NaN);
        KernelLevelCollection.AtLevel(bits, () => model.Infer(input, y, batch));
        x = input;
        return y;
    }
}
