using System;
using System.Collections.Generic;
using System.Numerics;

namespace FusedOps.Training;

/// <summary>
/// Adam exactly as <c>torch.optim.Adam</c> (not <c>maximize</c>), in float32: for each parameter p
/// with gradient g at step t,
/// <code>
/// g = g + weightDecay·p                    (if weightDecay ≠ 0; AdamW instead: p = p·(1 − lr·weightDecay))
/// m = m + (1 − beta1)·(g − m)              (exp_avg, PyTorch's lerp)
/// v = beta2·v + (1 − beta2)·g²             (exp_avg_sq)
/// vmax = max(vmax, v)                      (max_exp_avg_sq, if amsGrad; used for v below)
/// p = p − lr/(1 − beta1ᵗ) · m / (√v / √(1 − beta2ᵗ) + epsilon)
/// </code>
/// State: <c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>max_exp_avg_sq</c> (amsGrad only).
/// </summary>
public class Adam : Optimizer
{
    private readonly bool _decoupled;
    private long _correctedStep = -1;
    private double _correction1, _correction2Sqrt;

    /// <summary>Creates an Adam optimizer (PyTorch's defaults).</summary>
    /// <param name="parameters">Learnable tensors; every one must have a gradient.</param>
    /// <param name="learningRate">Step size, finite and ≥ 0.</param>
    /// <param name="beta1">Decay of the first moment, in [0, 1).</param>
    /// <param name="beta2">Decay of the second moment, in [0, 1).</param>
    /// <param name="epsilon">Added to the denominator, finite and ≥ 0.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, finite and ≥ 0.</param>
    /// <param name="amsGrad">Use the running maximum of the second moment (AMSGrad).</param>
    /// <exception cref="ArgumentException">An argument is out of range (the message names it, the allowed range and the value), or a tensor has no gradient.</exception>
    public Adam(ParameterList parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f, bool amsGrad = false)
        : this(parameters, learningRate, beta1, beta2, epsilon, weightDecay, amsGrad, decoupled: false)
    {
    }

    private protected Adam(ParameterList parameters, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, bool amsGrad, bool decoupled)
        : base(parameters, learningRate, ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], countsSteps: true)
    {
        CheckUnit(beta1, nameof(beta1), includeOne: false);
        CheckUnit(beta2, nameof(beta2), includeOne: false);
        CheckNonNegative(epsilon, nameof(epsilon));
        CheckNonNegative(weightDecay, nameof(weightDecay));
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        AmsGrad = amsGrad;
        _decoupled = decoupled;
    }

    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the denominator.</summary>
    public float Epsilon { get; }

    /// <summary>Weight decay: an L2 term in the gradient (Adam) or decoupled shrinking (AdamW).</summary>
    public float WeightDecay { get; }

    /// <summary>Whether the running maximum of the second moment is used.</summary>
    public bool AmsGrad { get; }

    private protected override void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient, long step)
    {
        // Bias corrections in double, as PyTorch computes them on Python floats; once per step count, not per tensor (every tensor
        // is usually at the same step: two Math.Pow calls each for Fashion-MNIST's 20 tensors were a few µs of the serial step).
        if (step != _correctedStep)
        {
            _correction1 = 1.0 - Math.Pow(Beta1, step);
            _correction2Sqrt = Math.Sqrt(1.0 - Math.Pow(Beta2, step));
            _correctedStep = step;
        }

        double correction1 = _correction1, correction2Sqrt = _correction2Sqrt;
        float lr = LearningRate;
        var kernel = new Kernel(
            stepSize: (float)(lr / correction1),
            correction2Sqrt: (float)correction2Sqrt,
            beta1Complement: 1f - Beta1,
            beta2: Beta2,
            beta2Complement: 1f - Beta2,
            epsilon: Epsilon,
            l2: _decoupled ? 0f : WeightDecay,
            shrink: _decoupled && WeightDecay != 0f ? (float)(1.0 - ((double)lr * WeightDecay)) : 1f,
            amsGrad: AmsGrad);
        UpdateLoop.Run(kernel, parameter, gradient, State(index, 0), State(index, 1), AmsGrad ? State(index, 2) : default);
    }

    private protected override IEnumerable<KeyValuePair<string, string>> Hyperparameters() =>
    [
        new("betas", Format(Beta1) + "," + Format(Beta2)),
        new("eps", Format(Epsilon)),
        new("weight_decay", Format(WeightDecay)),
        new("amsgrad", AmsGrad ? "true" : "false"),
    ];

    private readonly struct Kernel(
        float stepSize, float correction2Sqrt, float beta1Complement, float beta2, float beta2Complement, float epsilon, float l2, float shrink, bool amsGrad)
        : IUpdateKernel
    {
        public void Apply(ref Vector<float> p, Vector<float> g, ref Vector<float> m, ref Vector<float> v, ref Vector<float> vMax)
        {
            if (shrink != 1f)
            {
                p *= shrink;
            }

            if (l2 != 0f)
            {
                g += l2 * p;
            }

            m += beta1Complement * (g - m);
            v = (beta2 * v) + (beta2Complement * (g * g));
            Vector<float> second = v;
            if (amsGrad)
            {
                vMax = Vector.Max(vMax, v);
                second = vMax;
            }

            Vector<float> denominator = (Vector.SquareRoot(second) / new Vector<float>(correction2Sqrt)) + new Vector<float>(epsilon);
            p -= stepSize * (m / denominator);
        }
    }
}

/// <summary>
/// AdamW exactly as <c>torch.optim.AdamW</c>: Adam whose weight decay shrinks the parameters,
/// p = p·(1 − lr·weightDecay), before the step instead of adding to the gradient (decoupled);
/// <paramref name="weightDecay"/> defaults to 1e-2. State as <see cref="Adam"/>.
/// </summary>
/// <param name="parameters">Learnable tensors; every one must have a gradient.</param>
/// <param name="learningRate">Step size, finite and ≥ 0.</param>
/// <param name="beta1">Decay of the first moment, in [0, 1).</param>
/// <param name="beta2">Decay of the second moment, in [0, 1).</param>
/// <param name="epsilon">Added to the denominator, finite and ≥ 0.</param>
/// <param name="weightDecay">Decoupled weight decay, finite and ≥ 0.</param>
/// <param name="amsGrad">Use the running maximum of the second moment (AMSGrad).</param>
public sealed class AdamW(ParameterList parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 1e-2f, bool amsGrad = false)
    : Adam(parameters, learningRate, beta1, beta2, epsilon, weightDecay, amsGrad, decoupled: true)
{
}
