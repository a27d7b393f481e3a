using System;
using System.Collections.Generic;
using System.Linq;
using FusedOps.Tests.Pipelines;
using Xunit;

namespace FusedOps.Tests;

/// <summary>
/// Linear groups whose training runs the activation (after a residual add of a saved tensor too), PReLU (one slope, per feature), RReLU, BipolarReLU or Maxout in the forward GEMM's
/// epilogue and the derivative (with the bias and slope gradients) in the pass before the backward GEMMs: against the reference interpreter
/// at every kernel width and batches 1, 3, 17 and 64 (forward, every gradient, accumulation), and bitwise the same on 1 and 2 threads.
/// The generator's tests check that this plan is the one chosen (LinearTrainingHeaderTests).
/// </summary>
[Collection("KernelLevel")]
public sealed class LinearTrainingEpilogueTests
{
    private static readonly string[] Pipelines =
        [nameof(LinearActivationTraining), nameof(LinearChannelTraining), nameof(LinearMaxoutTraining), nameof(WideLinearTraining),
        nameof(LinearResidualTraining)];

    public static IEnumerable<object[]> Cases()
    {
        foreach (int level in new[] { 512, 256, 128, 0 }.Where(l => l <= FusedOps.Kernels.KernelDispatch.HardwareBits))
        {
            foreach (string pipeline in Pipelines)
            {
                foreach (int batch in new[] { 1, 3, 17, 64 })
                {
                    yield return new object[] { pipeline, level, batch };
                }
            }
        }
    }

    public static IEnumerable<object[]> ThreadCases() =>
        from level in new[] { 512, 256, 128, 0 }.Where(l => l <= FusedOps.Kernels.KernelDispatch.HardwareBits)
        from pipeline in Pipelines
        select new object[] { pipeline, level };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LinearTrainingEpilogue_MatchesReference(string pipeline, int vectorBits, int batch) =>
        FusedVsReferenceTests.CompareAt(pipeline, vectorBits, batch);

    [Theory]
    [MemberData(nameof(ThreadCases))]
    public void LinearTrainingEpilogue_OneAndTwoThreads_BitwiseIdentical(string pipeline, int vectorBits)
    {
        const int batch = 64;
        Type type = typeof(LinearChannelTraining).Assembly.GetType("FusedOps.Tests.Pipelines." + pipeline, throwOnError: true)!;
        (float[] Output, float[] InputGrad, float[][] Grads) Step(int threads)
        {
            (float[], float[], float[][]) result = default;
            KernelLevelCollection.AtThreads(threads, () =>
            {
                var model = (IFusedModel)Activator.CreateInstance(type, 3)!;
                var random = new Random(5);
                float[] x = Enumerable.Range(0, batch * model.InputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
                float[] g = Enumerable.Range(0, batch * model.OutputLength).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
                float[] y = new float[g.Length], dx = new float[x.Length];
                model.Forward(x, y, batch);
                model.ZeroGrad();
                model.Backward(g, dx);
                result = (y, dx, model.Parameters.Select(p => (float[])p.Grad.Clone()).ToArray());
            });
            return result;
        }

        KernelLevelCollection.AtLevel(vectorBits, () =>
        {
            var one = Step(1);
            var two = Step(2);
            Assert.Equal(one.Output, two.Output);
            Assert.Equal(one.InputGrad, two.InputGrad);
            Assert.Equal(one.Grads.Length, two.Grads.Length);
            for (int i = 0; i < one.Grads.Length; i++)
            {
                Assert.Equal(one.Grads[i], two.Grads[i]);
            }
        });
    }
}
