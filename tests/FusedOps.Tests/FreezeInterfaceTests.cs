using System;
using System.Linq;
using FusedOps.Reference;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary><see cref="IFusedModel.Freeze"/>: generic code can freeze any pipeline, and the frozen model keeps the state it was frozen with.</summary>
public sealed class FreezeInterfaceTests
{
    [Fact]
    public void GeneratedPipeline_FreezeThroughTheInterface_MatchesInferAndIgnoresLaterTraining() =>
        FreezeKeepsState(new ConvBnRelu(seed: 3));

    [Fact]
    public void ReferenceModel_FreezeThroughTheInterface_MatchesInferAndIgnoresLaterTraining()
    {
        var model = ReferenceModel.FromDeclaration("[FusedPipeline(2, 5, 5)]\n[Conv2d(3, 3, Padding = 1)]\n[BatchNorm]\n[ReLU]", seed: 3);
        FreezeKeepsState(model);
    }

    private static void FreezeKeepsState(IFusedModel model)
    {
        const int batch = 3;
        var random = new Random(7);
        float[] input = Enumerable.Range(0, batch * model.InputLength).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[] expected = new float[batch * model.OutputLength];
        model.Infer(input, expected, batch);

        IInferenceModel frozen = model.Freeze();
        Assert.Equal(model.InputLength, frozen.InputLength);
        Assert.Equal(model.OutputLength, frozen.OutputLength);

        // Change the model after freezing: a training-mode Forward moves the running statistics, and the weights move too.
        model.Forward(input, new float[expected.Length], batch);
        foreach (Parameter p in model.Parameters)
        {
            for (int i = 0; i < p.Data.Length; i++)
            {
                p.Data[i] += 0.5f;
            }
        }

        float[] changed = new float[expected.Length];
        model.Infer(input, changed, batch);
        Assert.NotEqual(expected, changed);

        float[] actual = new float[expected.Length];
        frozen.Infer(input, actual, batch);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * Math.Max(1f, Math.Abs(expected[i])), $"output {i}: frozen {actual[i]}, expected {expected[i]}");
        }
    }
}
