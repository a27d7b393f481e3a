using System;
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
/// Gradients are read, not changed; clear them with <see cref="ZeroGrad"/>.
/// </summary>
public sealed class Sgd
{
    private readonly Parameter[] _parameters;

    // One momentum buffer per parameter, created on its first step (PyTorch's lazy state).
    private readonly float[]?[] _momentumBuffers;
    private float _learningRate;

    /// <summary>Creates an optimizer over <paramref name="parameters"/> (typically a model's <c>Parameters</c>).</summary>
    /// <param name="parameters">Learnable tensors; every one must have a gradient.</param>
    /// <param name="learningRate">Step size, finite and ≥ 0.</param>
    /// <param name="momentum">Momentum factor, finite and ≥ 0; 0 turns momentum off.</param>
    /// <param name="weightDecay">L2 penalty added to the gradient, finite and ≥ 0.</param>
    /// <param name="dampening">Dampening for momentum, finite; not applied on the first step.</param>
    /// <param name="nesterov">Nesterov momentum; needs <paramref name="momentum"/> &gt; 0 and <paramref name="dampening"/> = 0.</param>
    /// <exception cref="ArgumentException">An argument is out of range (the message names it, the allowed range and the value), or a tensor has no gradient.</exception>
    public Sgd(ParameterList parameters, float learningRate, float momentum = 0f, float weightDecay = 0f, float dampening = 0f, bool nesterov = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckNonNegative(learningRate, nameof(learningRate));
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

        foreach (Parameter p in parameters)
        {
            if (!p.HasGrad)
            {
                throw new ArgumentException($"Tensor '{p.Name}' {p.ShapeText} has no gradient (is it a buffer?); SGD needs learnable parameters only.", nameof(parameters));
            }
        }

        Parameters = parameters;
        _parameters = [.. parameters];
        _momentumBuffers = new float[]?[_parameters.Length];
        _learningRate = learningRate;
        Momentum = momentum;
        WeightDecay = weightDecay;
        Dampening = dampening;
        Nesterov = nesterov;
    }

    /// <summary>The tensors this optimizer updates.</summary>
    public ParameterList Parameters { get; }

    /// <summary>Step size, used from the next <see cref="Step"/> on; finite and ≥ 0 (for schedules).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative, infinite or NaN.</exception>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            CheckNonNegative(value, nameof(value));
            _learningRate = value;
        }
    }

    /// <summary>Momentum factor (0: none).</summary>
    public float Momentum { get; }

    /// <summary>L2 penalty factor.</summary>
    public float WeightDecay { get; }

    /// <summary>Dampening of the gradient in the momentum buffer after the first step.</summary>
    public float Dampening { get; }

    /// <summary>Whether the step uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>Updates every parameter from its current gradient, in PyTorch's order of operations.</summary>
    public void Step()
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            Span<float> p = _parameters[i].Data;
            ReadOnlySpan<float> g = _parameters[i].Grad;
            if (Momentum == 0f)
            {
                StepPlain(p, g);
            }
            else
            {
                float[]? buffer = _momentumBuffers[i];
                bool first = buffer is null;
                buffer ??= _momentumBuffers[i] = new float[p.Length];
                StepMomentum(p, g, buffer, first);
            }
        }
    }

    /// <summary>Sets every parameter's gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (Parameter p in _parameters)
        {
            Array.Clear(p.Grad);
        }
    }

    private void StepPlain(Span<float> p, ReadOnlySpan<float> g)
    {
        float lr = _learningRate, wd = WeightDecay;

        // The weight-decay term is skipped, not multiplied by 0, when it is off: 0·inf would be NaN.
        if (wd == 0f)
        {
            for (int j = 0; j < p.Length; j++)
            {
                p[j] -= lr * g[j];
            }
        }
        else
        {
            for (int j = 0; j < p.Length; j++)
            {
                p[j] -= lr * (g[j] + (wd * p[j]));
            }
        }
    }

    private void StepMomentum(Span<float> p, ReadOnlySpan<float> g, Span<float> buffer, bool first)
    {
        float lr = _learningRate, wd = WeightDecay, mu = Momentum, keep = 1f - Dampening;
        bool decay = wd != 0f, nesterov = Nesterov;
        for (int j = 0; j < p.Length; j++)
        {
            float d = decay ? g[j] + (wd * p[j]) : g[j];
            float b = first ? d : (mu * buffer[j]) + (keep * d);
            buffer[j] = b;
            p[j] -= lr * (nesterov ? d + (mu * b) : b);
        }
    }

    private static void CheckNonNegative(float value, string name)
    {
        if (!(value >= 0f) || !float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, Invariant($"{name} must be finite and >= 0, got {value}."));
        }
    }
}
