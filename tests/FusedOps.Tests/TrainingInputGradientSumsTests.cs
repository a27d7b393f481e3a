using System;
using System.Linq;
using FusedOps.Kernels;
using Xunit;
using static FusedOps.Tests.TrainingNormFusionTests;

namespace FusedOps.Tests;

/// <summary>
/// A group's BatchNorm reductions formed per sample in the next conv's backward as it writes the group's dY (the generator's
/// TrainingNormFusion rule 7): <see cref="Conv2dTrainer.ReduceInputGradient"/> and <see cref="TrainingPasses.FinishSums"/> against the
/// conv's backward followed by <see cref="TrainingPasses.BackwardSums"/> (or <see cref="TrainingPasses.AddBackwardSums"/> with a saved
/// tensor's gradient), bitwise, at every width and at 1, 2 and 3 threads.
/// </summary>
[Collection("KernelLevel")]
public sealed class TrainingInputGradientSumsTests
{
    [Theory]
    [MemberData(nameof(TrainingNormFusionTests.Cases), MemberType = typeof(TrainingNormFusionTests))]
    public void SumsInNextConvBackward_MatchSumsPass(int bits, int c, int h, int w, int n)
    {
        SumsInNextConvBackward(new ReluOperator(), bits, c, h, w, n, saved: false);
        SumsInNextConvBackward(new ReluOperator(), bits, c, h, w, n, saved: true);
        SumsInNextConvBackward(new LeakyReluOperator(0.1f), bits, c, h, w, n, saved: true);
        // A batch of 3: its own partition of the conv (3 parts of one sample) against the sums pass's.
        SumsInNextConvBackward(new ReluOperator(), bits, c, h, w, 3, saved: true);
    }

    [Fact]
    public void ReduceInputGradient_WithoutInputGradient_ThrowsBeforeWriting()
    {
        var trainer = new Conv2dTrainer(2, 6, 6, 3, 3, 1, 1);
        float[] x = new float[2 * 36], z = new float[3 * 36], weight = new float[3 * 2 * 9], wGrad = new float[weight.Length], dx = new float[x.Length];
        float[] per = new float[2];
        trainer.Forward(x, weight, null, z, 1, null, null);
        trainer.ReduceInputGradient(new ReluOperator(), x, per, per, per, per, null, new double[4]);
        var error = Assert.Throws<ArgumentException>(() => trainer.Backward(x, ref z[0], weight, wGrad, null, ref dx[0], false, 1));
        Assert.Equal("wantInput", error.ParamName);
        trainer.ReduceInputGradient(new ReluOperator(), x, per, per, per, per, null, new double[3]);
        error = Assert.Throws<ArgumentException>(() => trainer.Backward(x, ref z[0], weight, wGrad, null, ref dx[0], true, 1));
        Assert.Contains("perSample of 4", error.Message);
        Assert.All(wGrad, v => Assert.Equal(0f, v));

        // Set for one Backward only: the failed call dropped it, so the next runs without it.
        trainer.Backward(x, ref z[0], weight, wGrad, null, ref dx[0], false, 1);
        double[] sums = new double[2];
        error = Assert.Throws<ArgumentException>(() => TrainingPasses.FinishSums(new double[3], 1, 2, 36, ref sums[0], ref sums[1]));
        Assert.Equal("perSample", error.ParamName);
    }

    [Fact]
    public void SumsInNextConvBackward_AllocatesNothingOnceWarm()
    {
        const int c = 8, h = 14, w = 14, n = 13, oc = 6;
        var random = new Random(7);
        int plane = h * w;
        float[] z = Values(random, n * c * plane), scale = Values(random, c), shift = Values(random, c), mean = Values(random, c), invStd = Values(random, c);
        float[] weight = Values(random, oc * c * 9), dy = Values(random, n * oc * plane), wGrad = new float[weight.Length], dx = new float[z.Length];
        float[] saved = Values(random, z.Length), output = new float[dy.Length];
        double[] perSample = new double[n * 2 * c], sum = new double[c], sumSq = new double[c];
        var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
        trainer.NormalizeInput(new ReluOperator(), scale, shift);
        trainer.Forward(z, weight, null, output, n, null, null);
        void Step()
        {
            trainer.ReduceInputGradient(new ReluOperator(), z, scale, shift, mean, invStd, saved, perSample);
            trainer.Backward(z, ref dy[0], weight, wGrad, null, ref dx[0], true, n);
            TrainingPasses.FinishSums(perSample, n, c, plane, ref sum[0], ref sumSq[0]);
        }

        Step();
        Assert.Equal(0, SteadyAllocations.Cleanest(Step));
    }

    private static void SumsInNextConvBackward<TAct>(TAct act, int bits, int c, int h, int w, int n, bool saved)
        where TAct : struct, IActivationOperator => AtEveryThreadCount(bits, () =>
    {
        var random = new Random((c * 29) + w + n + (saved ? 1 : 0));
        int oc = 6, plane = h * w;
        float[] z = Values(random, n * c * plane), scale = Values(random, c), shift = Values(random, c), mean = Values(random, c);
        float[] invStd = scale.Select(v => 1f + Math.Abs(v)).ToArray(), weight = Values(random, oc * c * 9), bias = Values(random, oc);
        float[] dy = Values(random, n * oc * plane), savedGrad = Values(random, z.Length), output = new float[dy.Length];
        var trainer = new Conv2dTrainer(c, h, w, oc, 3, 1, 1);
        trainer.NormalizeInput(act, scale, shift);
        trainer.Forward(z, weight, bias, output, n, null, null);

        // The conv's backward writes dX; then the group's own pass (the saved gradient added in place first).
        float[] dxA = new float[z.Length], wA = new float[weight.Length], bA = new float[oc];
        double[] sumA = new double[c], sumSqA = new double[c];
        trainer.Backward(z, ref dy[0], weight, wA, bA, ref dxA[0], true, n);
        if (saved)
        {
            TrainingPasses.AddBackwardSums(act, ref savedGrad[0], ref dxA[0], ref z[0], n, c, plane, ref scale[0], ref shift[0], ref mean[0], ref invStd[0],
                ref sumA[0], ref sumSqA[0]);
        }
        else
        {
            TrainingPasses.BackwardSums(act, ref dxA[0], ref z[0], n, c, plane, ref scale[0], ref shift[0], ref mean[0], ref invStd[0], ref sumA[0], ref sumSqA[0]);
        }

        float[] dxB = Values(random, z.Length), wB = new float[weight.Length], bB = new float[oc];
        double[] perSample = Enumerable.Repeat(double.NaN, n * 2 * c).ToArray(), sumB = new double[c], sumSqB = new double[c];
        trainer.ReduceInputGradient(act, z, scale, shift, mean, invStd, saved ? savedGrad : null, perSample);
        trainer.Backward(z, ref dy[0], weight, wB, bB, ref dxB[0], true, n);
        TrainingPasses.FinishSums(perSample, n, c, plane, ref sumB[0], ref sumSqB[0]);

        AssertBitwise(dxA, dxB);
        AssertBitwise(wA, wB);
        AssertBitwise(bA, bB);
        Assert.Equal(sumA, sumB);
        Assert.Equal(sumSqA, sumSqB);
        return new[] { dxB, wB, sumB.Concat(sumSqB).Select(v => (float)v).ToArray() };
    });
}
