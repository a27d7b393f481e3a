using System;
using System.Collections.Generic;
using System.Numerics;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>
/// Stochastic gradient descent exactly as <c>torch.optim.SGD</c> (not <c>maximize</c>), in float32:
/// for each parameter p with gradient g,
/// <code>
/// g = g + weightDecay·p                           (if weightDecay ≠ 0)
/// buf = g on the first step,                      (if momentum ≠ 0)
///       momentum·buf + (1 − dampening)·g after
/// g = nesterov ? g + momentum·buf : buf           (if momentum ≠ 0)
/// p = p − learningRate·g
/// </code>
/// Gradients are read, not changed; clear them with <see cref="Optimizer.ZeroGrad"/>. State:
/// <c>momentum_buffer</c> (with momentum only; PyTorch keeps no <c>step</c> for SGD).
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>Creates an optimizer over <paramref name="parameters"/> (typically a model's <c>Parameters</c>).</summary>
    /// <param name="parameters">Learnable tensors; every one must have a gradient.</param>
    /// <param name="learningRate">Step size, finite and ≥ 0.</param>
    /// <param name="momentum">Momentum factor, finite and ≥ 0; 0 turns momentum off.</param>
    /// <param name="dampening">Dampening for momentum, finite; not applied on the first step.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, finite and ≥ 0.</param>
    /// <param name="nesterov">Nesterov momentum; needs <paramref name="momentum"/> &gt; 0 and <paramref name="dampening"/> = 0.</param>
    /// <exception cref="ArgumentException">An argument is out of range (the message names it, the allowed range and the value), or a tensor has no gradient.</exception>
    public Sgd(ParameterList parameters, float learningRate, float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(parameters, learningRate, ["momentum_buffer"], countsSteps: false)
    {
        CheckNonNegative(momentum, nameof(momentum));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        if (!float.IsFinite(dampening))
        {
            throw new ArgumentOutOfRangeException(nameof(dampening), dampening, Invariant($"dampening must be finite, got {dampening}."));
        }

        if (nesterov && (momentum <= 0f || dampening != 0f))
        {
            throw new ArgumentException(Invariant($"Nesterov momentum needs momentum > 0 and dampening = 0, got momentum = {momentum} and dampening = {dampening}."), nameof(nesterov));
        }

        Momentum = momentum;
        WeightDecay = weightDecay;
        Dampening = dampening;
        Nesterov = nesterov;
    }

    /// <summary>Momentum factor (0: none).</summary>
    public float Momentum { get; }

    /// <summary>L2 penalty factor.</summary>
    public float WeightDecay { get; }

    /// <summary>Dampening of the gradient in the momentum buffer after the first step.</summary>
    public float Dampening { get; }

    /// <summary>Whether the step uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    private protected override void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient, long step)
    {
        bool first = Momentum != 0f && !HasState(index, 0);
        Span<float> buffer = Momentum == 0f ? default : State(index, 0);
        var kernel = new Kernel(LearningRate, Momentum, 1f - Dampening, WeightDecay, Nesterov, first);
        UpdateLoop.Run(kernel, parameter, gradient, buffer, default, default);
    }

    private protected override IEnumerable<KeyValuePair<string, string>> Hyperparameters() =>
    [
        new("momentum", Format(Momentum)),
        new("dampening", Format(Dampening)),
        new("weight_decay", Format(WeightDecay)),
        new("nesterov", Nesterov ? "true" : "false"),
    ];

    private readonly struct Kernel(float lr, float momentum, float keep, float weightDecay, bool nesterov, bool first) : IUpdateKernel
    {
        public void Apply(ref Vector<float> p, Vector<float> g, ref Vector<float> buf, ref Vector<float> b, ref Vector<float> c)
        {
            // The weight-decay term is skipped, not multiplied by 0, when it is off: 0·inf would be NaN.
            Vector<float> d = weightDecay != 0f ? g + (weightDecay * p) : g;
            if (momentum != 0f)
            {
                buf = first ? d : (momentum * buf) + (keep * d);
                d = nesterov ? d + (momentum * buf) : buf;
            }

            p -= lr * d;
        }
    }
}
