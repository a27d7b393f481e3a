using System;
using FusedOps.Training;
using Xunit;

namespace FusedOps.Tests.Training;

public sealed class RegularizationAndScheduleTests
{
    [Fact]
    public void AddL1_AddsStrengthTimesSignAndReturnsPenalty()
    {
        Parameter w = Tensor("w", [2f, -0.5f, 0f, float.NaN], [1f, 1f, 1f, 1f]);

        double penalty = Regularization.AddL1(new ParameterList(w), 0.25f);

        Assert.Equal(new[] { 1.25f, 0.75f, 1f, float.NaN }, w.Grad);
        Assert.True(double.IsNaN(penalty)); // |NaN| in the sum, as torch's abs().sum()
        Assert.Equal(0.625, Regularization.AddL1(new ParameterList(Tensor("v", [2f, -0.5f], [0f, 0f])), 0.25f));
    }

    [Fact]
    public void ClipNorm_AboveMax_ScalesToMaxAndReturnsNormBefore()
    {
        Parameter a = Tensor("a", [0f, 0f], [3f, 0f]);
        Parameter b = Tensor("b", [0f], [4f]);

        float norm = GradientClipping.ClipNorm(new ParameterList(a, b), 1f);

        Assert.Equal(5f, norm);
        double factor = 1.0 / (5 + 1e-6); // PyTorch's max_norm / (total_norm + 1e-6)
        Assert.Equal((float)(3 * (float)factor), a.Grad[0]);
        Assert.Equal((float)(4 * (float)factor), b.Grad[0]);
    }

    [Fact]
    public void ClipNorm_BelowMax_LeavesGradientsAlone()
    {
        Parameter a = Tensor("a", [0f, 0f], [0.3f, -0.4f]);

        Assert.Equal(0.5f, GradientClipping.ClipNorm(new ParameterList(a), 1f), 6);
        Assert.Equal(new[] { 0.3f, -0.4f }, a.Grad);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    public void ClipNorm_BadMaxNorm_ThrowsNamingIt(float maxNorm)
    {
        Parameter a = Tensor("a", [0f], [10f]);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipNorm(new ParameterList(a), maxNorm));

        Assert.Equal("maxNorm", ex.ParamName);
        Assert.Contains("must be finite and > 0", ex.Message, StringComparison.Ordinal);
        Assert.Equal(10f, a.Grad[0]);
    }

    [Fact]
    public void StepLR_DecaysByGammaEveryStepSizeEpochs()
    {
        var sgd = new Sgd(new ParameterList(Tensor("w", [0f], [0f])), learningRate: 0.1f);
        var schedule = new StepLR(sgd, stepSize: 2, gamma: 0.5f);
        float[] rates = new float[6];
        for (int e = 0; e < rates.Length; e++)
        {
            rates[e] = sgd.LearningRate;
            schedule.Step();
        }

        Assert.Equal(new[] { 0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f }, rates);
    }

    [Fact]
    public void CosineAnnealingLR_FollowsPyTorchClosedForm()
    {
        var adam = new Adam(new ParameterList(Tensor("w", [0f], [0f])), learningRate: 0.01f);
        var schedule = new CosineAnnealingLR(adam, tMax: 4, minLearningRate: 0.001f);
        for (int e = 0; e <= 4; e++)
        {
            Assert.Equal((float)Cosine(e), adam.LearningRate);
            schedule.Step();
        }

        // Past tMax the closed form rises again, as PyTorch's schedule does.
        Assert.Equal((float)Cosine(5), adam.LearningRate);

        // eta_min + (base_lr − eta_min)·(1 + cos(π·epoch/T_max))/2 on the float32 hyperparameters.
        static double Cosine(int epoch) => 0.001f + ((0.01f - (double)0.001f) * (1 + Math.Cos(Math.PI * epoch / 4)) / 2);
    }

    [Fact]
    public void LinearWarmupLR_RampsFromStartFactorThenHolds()
    {
        var adam = new Adam(new ParameterList(Tensor("w", [0f], [0f])), learningRate: 0.3f);
        var schedule = new LinearWarmupLR(adam, startFactor: 0.25f, endFactor: 1f, totalEpochs: 3);
        float[] rates = new float[5];
        for (int e = 0; e < rates.Length; e++)
        {
            rates[e] = adam.LearningRate;
            schedule.Step();
        }

        for (int e = 0; e < rates.Length; e++)
        {
            Assert.Equal((float)(0.3f * (0.25f + (0.75 * Math.Min(e, 3) / 3))), rates[e]);
        }
    }

    [Fact]
    public void Schedules_BadArguments_ThrowNamingThem()
    {
        var sgd = new Sgd(new ParameterList(Tensor("w", [0f], [0f])), learningRate: 0.1f);

        Assert.Equal("stepSize", Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(sgd, 0)).ParamName);
        Assert.Equal("tMax", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(sgd, 0)).ParamName);
        Assert.Equal("startFactor", Assert.Throws<ArgumentOutOfRangeException>(() => new LinearWarmupLR(sgd, startFactor: 0f)).ParamName);
        Assert.Equal(0.1f, sgd.LearningRate);
    }

    internal static Parameter Tensor(string name, float[] data, float[] grad)
    {
        var p = new Parameter(name, [data.Length], hasGrad: true);
        data.CopyTo(p.Data, 0);
        grad.CopyTo(p.Grad, 0);
        return p;
    }
}
