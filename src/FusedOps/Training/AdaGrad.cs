using System;
using System.Collections.Generic;
using System.Numerics;

namespace FusedOps.Training;

/// <summary>
/// AdaGrad exactly as <c>torch.optim.Adagrad</c> (not <c>maximize</c>), in float32: for each
/// parameter p with gradient g at step t,
/// <code>
/// g = g + weightDecay·p                               (if weightDecay ≠ 0)
/// sum = sum + g²                                      (starts at initialAccumulator)
/// p = p − lr/(1 + (t − 1)·learningRateDecay) · g / (√sum + epsilon)
/// </code>
/// State: <c>step</c>, <c>sum</c>.
/// </summary>
public sealed class AdaGrad : Optimizer
{
    /// <summary>Creates an AdaGrad optimizer (PyTorch's defaults).</summary>
    /// <param name="parameters">Learnable tensors; every one must have a gradient.</param>
    /// <param name="learningRate">Step size, finite and ≥ 0.</param>
    /// <param name="learningRateDecay">Per-step decay of the step size, finite and ≥ 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, finite and ≥ 0.</param>
    /// <param name="initialAccumulator">Starting value of <c>sum</c>, finite and ≥ 0.</param>
    /// <param name="epsilon">Added to the denominator, finite and ≥ 0.</param>
    /// <exception cref="ArgumentException">An argument is out of range (the message names it, the allowed range and the value), or a tensor has no gradient.</exception>
    public AdaGrad(ParameterList parameters, float learningRate = 1e-2f, float learningRateDecay = 0f, float weightDecay = 0f, float initialAccumulator = 0f, float epsilon = 1e-10f)
        : base(parameters, learningRate, ["sum"], countsSteps: true)
    {
        CheckNonNegative(learningRateDecay, nameof(learningRateDecay));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        CheckNonNegative(initialAccumulator, nameof(initialAccumulator));
        CheckNonNegative(epsilon, nameof(epsilon));
        LearningRateDecay = learningRateDecay;
        WeightDecay = weightDecay;
        InitialAccumulator = initialAccumulator;
        Epsilon = epsilon;
    }

    /// <summary>Per-step decay of the step size.</summary>
    public float LearningRateDecay { get; }

    /// <summary>L2 penalty factor.</summary>
    public float WeightDecay { get; }

    /// <summary>Starting value of the squared-gradient sum.</summary>
    public float InitialAccumulator { get; }

    /// <summary>Added to the denominator.</summary>
    public float Epsilon { get; }

    private protected override void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient, long step)
    {
        float clr = (float)(LearningRate / (1.0 + ((step - 1) * (double)LearningRateDecay)));
        UpdateLoop.Run(new Kernel(clr, WeightDecay, Epsilon), parameter, gradient, State(index, 0, InitialAccumulator), default, default);
    }

    private protected override IEnumerable<KeyValuePair<string, string>> Hyperparameters() =>
    [
        new("lr_decay", Format(LearningRateDecay)),
        new("weight_decay", Format(WeightDecay)),
        new("initial_accumulator_value", Format(InitialAccumulator)),
        new("eps", Format(Epsilon)),
    ];

    private readonly struct Kernel(float clr, float weightDecay, float epsilon) : IUpdateKernel
    {
        public void Apply(ref Vector<float> p, Vector<float> g, ref Vector<float> sum, ref Vector<float> b, ref Vector<float> c)
        {
            if (weightDecay != 0f)
            {
                g += weightDecay * p;
            }

            sum += g * g;
            p -= clr * (g / (Vector.SquareRoot(sum) + new Vector<float>(epsilon)));
        }
    }
}
