using System;
using System.Collections.Generic;
using System.Numerics;

namespace FusedOps.Training;

/// <summary>
/// RMSprop exactly as <c>torch.optim.RMSprop</c> (not <c>maximize</c>), in float32: for each
/// parameter p with gradient g,
/// <code>
/// g = g + weightDecay·p                             (if weightDecay ≠ 0)
/// square_avg = alpha·square_avg + (1 − alpha)·g²
/// grad_avg = grad_avg + (1 − alpha)·(g − grad_avg)  (if centered)
/// avg = √(square_avg − grad_avg²) + epsilon         (centered; else √square_avg + epsilon)
/// buf = momentum·buf + g/avg; p = p − lr·buf        (if momentum &gt; 0)
/// p = p − lr·g/avg                                  (otherwise)
/// </code>
/// State: <c>step</c>, <c>square_avg</c>, <c>momentum_buffer</c> (momentum &gt; 0), <c>grad_avg</c> (centered).
/// </summary>
public sealed class RmsProp : Optimizer
{
    /// <summary>Creates an RMSprop optimizer (PyTorch's defaults).</summary>
    /// <param name="parameters">Learnable tensors; every one must have a gradient.</param>
    /// <param name="learningRate">Step size, finite and ≥ 0.</param>
    /// <param name="alpha">Smoothing constant, finite and ≥ 0.</param>
    /// <param name="epsilon">Added to the denominator, finite and ≥ 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, finite and ≥ 0.</param>
    /// <param name="momentum">Momentum factor, finite and ≥ 0.</param>
    /// <param name="centered">Normalise by an estimate of the gradient's variance instead of its second moment.</param>
    /// <exception cref="ArgumentException">An argument is out of range (the message names it, the allowed range and the value), or a tensor has no gradient.</exception>
    public RmsProp(ParameterList parameters, float learningRate = 1e-2f, float alpha = 0.99f, float epsilon = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : base(parameters, learningRate, ["square_avg", "momentum_buffer", "grad_avg"], countsSteps: true)
    {
        CheckNonNegative(alpha, nameof(alpha));
        CheckNonNegative(epsilon, nameof(epsilon));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        CheckNonNegative(momentum, nameof(momentum));
        Alpha = alpha;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        Momentum = momentum;
        Centered = centered;
    }

    /// <summary>Smoothing constant.</summary>
    public float Alpha { get; }

    /// <summary>Added to the denominator.</summary>
    public float Epsilon { get; }

    /// <summary>L2 penalty factor.</summary>
    public float WeightDecay { get; }

    /// <summary>Momentum factor (0: none).</summary>
    public float Momentum { get; }

    /// <summary>Whether the gradient's mean is subtracted (centered RMSprop).</summary>
    public bool Centered { get; }

    private protected override void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient, long step)
    {
        var kernel = new Kernel(LearningRate, Alpha, 1f - Alpha, Epsilon, WeightDecay, Momentum, Centered);
        Span<float> buffer = Momentum > 0f ? State(index, 1) : default, gradAvg = Centered ? State(index, 2) : default;
        UpdateLoop.Run(kernel, parameter, gradient, State(index, 0), buffer, gradAvg);
    }

    private protected override IEnumerable<KeyValuePair<string, string>> Hyperparameters() =>
    [
        new("alpha", Format(Alpha)),
        new("eps", Format(Epsilon)),
        new("weight_decay", Format(WeightDecay)),
        new("momentum", Format(Momentum)),
        new("centered", Centered ? "true" : "false"),
    ];

    private readonly struct Kernel(float lr, float alpha, float alphaComplement, float epsilon, float weightDecay, float momentum, bool centered) : IUpdateKernel
    {
        public void Apply(ref Vector<float> p, Vector<float> g, ref Vector<float> squareAvg, ref Vector<float> buffer, ref Vector<float> gradAvg)
        {
            if (weightDecay != 0f)
            {
                g += weightDecay * p;
            }

            squareAvg = (alpha * squareAvg) + (alphaComplement * (g * g));
            Vector<float> variance = squareAvg;
            if (centered)
            {
                gradAvg += alphaComplement * (g - gradAvg);
                variance = squareAvg - (gradAvg * gradAvg);
            }

            Vector<float> avg = Vector.SquareRoot(variance) + new Vector<float>(epsilon);
            if (momentum > 0f)
            {
                buffer = (momentum * buffer) + (g / avg);
                p -= lr * buffer;
            }
            else
            {
                p -= lr * (g / avg);
            }
        }
    }
}
