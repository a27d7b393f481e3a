using System;
using FusedOps.Training;
using Xunit;

namespace FusedOps.Tests.Training;

/// <summary>
/// Trajectories are computed by hand with dyadic values (exact in float32), so the expected
/// numbers are exact and the assertions are exact.
/// </summary>
public sealed class SgdTests
{
    [Fact]
    public void Step_PlainSgd_SubtractsLearningRateTimesGradientAndKeepsGradient()
    {
        Parameter w = Tensor("w", data: [1f, -2f, 0.5f], grad: [0.5f, 0.25f, -1f]);
        var sgd = new Sgd(new ParameterList(w), learningRate: 0.5f);

        sgd.Step();

        Assert.Equal(new[] { 0.75f, -2.125f, 1f }, w.Data);
        Assert.Equal(new[] { 0.5f, 0.25f, -1f }, w.Grad);
    }

    [Fact]
    public void Step_PlainSgdWithWeightDecay_AddsDecayTimesParameterToGradient()
    {
        Parameter w = Tensor("w", data: [2f], grad: [1f]);
        var sgd = new Sgd(new ParameterList(w), learningRate: 0.5f, weightDecay: 0.25f);

        sgd.Step(); // g = 1 + 0.25·2 = 1.5; p = 2 − 0.75
        Assert.Equal(1.25f, w.Data[0]);
        sgd.Step(); // g = 1 + 0.25·1.25 = 1.3125; p = 1.25 − 0.65625
        Assert.Equal(0.59375f, w.Data[0]);
    }

    [Fact]
    public void Step_MomentumAndWeightDecay_FollowsHandComputedTwoStepTrajectory()
    {
        Parameter a = Tensor("a", data: [1f, -2f], grad: [0.5f, 1f]);
        Parameter b = Tensor("b", data: [4f], grad: [2f]);
        var sgd = new Sgd(new ParameterList(a, b), learningRate: 0.5f, momentum: 0.5f, weightDecay: 0.25f);

        // Step 1: d = g + 0.25·p; buf = d (first step); p −= 0.5·buf.
        //   a0: d = 0.5 + 0.25 = 0.75,  p = 1 − 0.375 = 0.625
        //   a1: d = 1 − 0.5 = 0.5,      p = −2 − 0.25 = −2.25
        //   b0: d = 2 + 1 = 3,          p = 4 − 1.5 = 2.5
        sgd.Step();
        Assert.Equal(new[] { 0.625f, -2.25f }, a.Data);
        Assert.Equal(new[] { 2.5f }, b.Data);

        // Step 2, new gradients: buf = 0.5·buf + d; p −= 0.5·buf.
        //   a0: d = 0.25 + 0.15625 = 0.40625,   buf = 0.375 + 0.40625 = 0.78125,  p = 0.625 − 0.390625 = 0.234375
        //   a1: d = −0.5 − 0.5625 = −1.0625,    buf = 0.25 − 1.0625 = −0.8125,    p = −2.25 + 0.40625 = −1.84375
        //   b0: d = 2 + 0.625 = 2.625,          buf = 1.5 + 2.625 = 4.125,        p = 2.5 − 2.0625 = 0.4375
        a.Grad[0] = 0.25f;
        a.Grad[1] = -0.5f;
        sgd.Step();
        Assert.Equal(new[] { 0.234375f, -1.84375f }, a.Data);
        Assert.Equal(new[] { 0.4375f }, b.Data);
    }

    [Fact]
    public void Step_Dampening_IsNotAppliedOnTheFirstStep()
    {
        Parameter w = Tensor("w", data: [0f], grad: [1f]);
        var sgd = new Sgd(new ParameterList(w), learningRate: 1f, momentum: 0.5f, dampening: 0.5f);

        sgd.Step(); // buf = g = 1 (undamped); p = −1
        Assert.Equal(-1f, w.Data[0]);
        w.Grad[0] = 2f;
        sgd.Step(); // buf = 0.5·1 + (1 − 0.5)·2 = 1.5; p = −2.5
        Assert.Equal(-2.5f, w.Data[0]);
    }

    [Fact]
    public void Step_Nesterov_StepsAlongGradientPlusMomentumTimesBuffer()
    {
        Parameter w = Tensor("w", data: [0f], grad: [1f]);
        var sgd = new Sgd(new ParameterList(w), learningRate: 1f, momentum: 0.5f, nesterov: true);

        sgd.Step(); // buf = 1; step = 1 + 0.5·1 = 1.5
        Assert.Equal(-1.5f, w.Data[0]);
        sgd.Step(); // buf = 0.5 + 1 = 1.5; step = 1 + 0.75 = 1.75
        Assert.Equal(-3.25f, w.Data[0]);
    }

    [Fact]
    public void Step_NoWeightDecayAndInfiniteParameter_KeepsInfinityInsteadOfNaN()
    {
        // PyTorch skips the decay term when it is 0; computing 0·inf would give NaN.
        Parameter w = Tensor("w", data: [float.PositiveInfinity, 1f], grad: [0f, 0f]);
        var plain = new Sgd(new ParameterList(w), learningRate: 0.1f);
        plain.Step();
        var momentum = new Sgd(new ParameterList(w), learningRate: 0.1f, momentum: 0.9f);
        momentum.Step();

        Assert.Equal(new[] { float.PositiveInfinity, 1f }, w.Data);
    }

    [Fact]
    public void LearningRate_ChangedBetweenSteps_IsUsedByTheNextStep()
    {
        Parameter w = Tensor("w", data: [1f], grad: [1f]);
        var sgd = new Sgd(new ParameterList(w), learningRate: 0.5f);

        sgd.Step();
        sgd.LearningRate = 0.125f;
        sgd.Step();

        Assert.Equal(0.375f, w.Data[0]);
        Assert.Equal(0.125f, sgd.LearningRate);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void LearningRate_SetInvalid_ThrowsAndKeepsOldValue(float value)
    {
        var sgd = new Sgd(new ParameterList(Tensor("w", [1f], [1f])), learningRate: 0.5f);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = value);

        Assert.Contains("must be finite and >= 0", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0.5f, sgd.LearningRate);
    }

    [Theory]
    [InlineData(-0.1f, 0f, 0f, 0f, false, "learningRate", "got -0.1")]
    [InlineData(float.NaN, 0f, 0f, 0f, false, "learningRate", "got NaN")]
    [InlineData(float.PositiveInfinity, 0f, 0f, 0f, false, "learningRate", "got Infinity")]
    [InlineData(0.1f, -0.5f, 0f, 0f, false, "momentum", "got -0.5")]
    [InlineData(0.1f, float.NaN, 0f, 0f, false, "momentum", "got NaN")]
    [InlineData(0.1f, 0f, -1f, 0f, false, "weightDecay", "got -1")]
    [InlineData(0.1f, 0.9f, 0f, float.NaN, false, "dampening", "got NaN")]
    [InlineData(0.1f, 0f, 0f, 0f, true, "nesterov", "got momentum = 0 and dampening = 0")]
    [InlineData(0.1f, 0.9f, 0f, 0.1f, true, "nesterov", "got momentum = 0.9 and dampening = 0.1")]
    public void Constructor_InvalidHyperparameter_ThrowsNamingItAndTheValue(float lr, float momentum, float weightDecay, float dampening, bool nesterov, string parameter, string fragment)
    {
        var parameters = new ParameterList(Tensor("w", [1f], [1f]));

        var ex = Assert.ThrowsAny<ArgumentException>(() => new Sgd(parameters, lr, momentum, dampening, weightDecay, nesterov));

        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ZeroLearningRate_IsAllowedAndLeavesParametersUnchanged()
    {
        Parameter w = Tensor("w", [3f], [1f]);
        var sgd = new Sgd(new ParameterList(w), learningRate: 0f, momentum: 0.9f);

        sgd.Step();

        Assert.Equal(3f, w.Data[0]);
    }

    [Fact]
    public void Constructor_BufferWithoutGradient_ThrowsNamingIt()
    {
        var buffer = new Parameter("1.running_mean", [4], hasGrad: false);

        var ex = Assert.Throws<ArgumentException>(() => new Sgd(new ParameterList(buffer), 0.1f));

        Assert.Contains("'1.running_mean' [4] has no gradient", ex.Message, StringComparison.Ordinal);
        Assert.Equal("parameters", ex.ParamName);
    }

    [Fact]
    public void ZeroGrad_ClearsEveryGradient()
    {
        Parameter a = Tensor("a", [1f, 2f], [3f, 4f]);
        Parameter b = Tensor("b", [1f], [-5f]);
        var sgd = new Sgd(new ParameterList(a, b), 0.1f);

        sgd.ZeroGrad();

        Assert.Equal(new[] { 0f, 0f }, a.Grad);
        Assert.Equal(new[] { 0f }, b.Grad);
        Assert.Equal(new[] { 1f, 2f }, a.Data);
    }

    private static Parameter Tensor(string name, float[] data, float[] grad)
    {
        var p = new Parameter(name, [data.Length], hasGrad: true);
        data.CopyTo(p.Data, 0);
        grad.CopyTo(p.Grad, 0);
        return p;
    }
}
