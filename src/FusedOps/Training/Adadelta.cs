using System;
using System.Collections.Generic;
using System.Numerics;

namespace FusedOps.Training;

/// <summary>
/// Adadelta exactly as <c>torch.optim.Adadelta</c> (not <c>maximize</c>), in float32: for each
/// parameter p with gradient g,
/// <code>
/// g = g + weightDecay·p                                  (if weightDecay ≠ 0)
/// square_avg = rho·square_avg + (1 − rho)·g²
/// delta = √(acc_delta + epsilon) / √(square_avg + epsilon) · g
/// acc_delta = rho·acc_delta + (1 − rho)·delta²
/// p = p − lr·delta
/// </code>
/// State: <c>step</c>, <c>square_avg</c>, <c>acc_delta</c>.
/// </summary>
public sealed class Adadelta : Optimizer
{
    /// <summary>Creates an Adadelta optimizer (PyTorch's defaults).</summary>
    /// <param name="parameters">Learnable tensors; every one must have a gradient.</param>
    /// <param name="learningRate">Scale of the step, finite and ≥ 0.</param>
    /// <param name="rho">Decay of the running averages, in [0, 1].</param>
    /// <param name="epsilon">Added inside the square roots, finite and ≥ 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, finite and ≥ 0.</param>
    /// <exception cref="ArgumentException">An argument is out of range (the message names it, the allowed range and the value), or a tensor has no gradient.</exception>
    public Adadelta(ParameterList parameters, float learningRate = 1f, float rho = 0.9f, float epsilon = 1e-6f, float weightDecay = 0f)
        : base(parameters, learningRate, ["square_avg", "acc_delta"], countsSteps: true)
    {
        CheckUnit(rho, nameof(rho), includeOne: true);
        CheckNonNegative(epsilon, nameof(epsilon));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        Rho = rho;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
    }

    /// <summary>Decay of the running averages.</summary>
    public float Rho { get; }

    /// <summary>Added inside the square roots.</summary>
    public float Epsilon { get; }

    /// <summary>L2 penalty factor.</summary>
    public float WeightDecay { get; }

    private protected override void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient, long step) =>
        UpdateLoop.Run(new Kernel(LearningRate, Rho, 1f - Rho, Epsilon, WeightDecay), parameter, gradient, State(index, 0), State(index, 1), default);

    private protected override IEnumerable<KeyValuePair<string, string>> Hyperparameters() =>
    [
        new("rho", Format(Rho)),
        new("eps", Format(Epsilon)),
        new("weight_decay", Format(WeightDecay)),
    ];

    private readonly struct Kernel(float lr, float rho, float rhoComplement, float epsilon, float weightDecay) : IUpdateKernel
    {
        public void Apply(ref Vector<float> p, Vector<float> g, ref Vector<float> squareAvg, ref Vector<float> accDelta, ref Vector<float> c)
        {
            if (weightDecay != 0f)
            {
                g += weightDecay * p;
            }

            var eps = new Vector<float>(epsilon);
            squareAvg = (rho * squareAvg) + (rhoComplement * (g * g));
            Vector<float> delta = Vector.SquareRoot(accDelta + eps) / Vector.SquareRoot(squareAvg + eps) * g;
            accDelta = (rho * accDelta) + (rhoComplement * (delta * delta));
            p -= lr * delta;
        }
    }
}
