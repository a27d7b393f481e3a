using System;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>Penalties added to the gradients between <c>Backward</c> and the optimiser's step.</summary>
public static class Regularization
{
    /// <summary>
    /// L1 regularisation: adds <paramref name="strength"/>·sign(w) to every parameter's gradient (the
    /// gradient of strength·Σ|w|, with sign(0) = 0 as <c>torch.sign</c>). L2 is the optimisers'
    /// <c>weightDecay</c>.
    /// </summary>
    /// <param name="parameters">Learnable tensors (buffers, without a gradient, are rejected).</param>
    /// <param name="strength">Penalty factor, finite and ≥ 0.</param>
    /// <returns>The penalty strength·Σ|w| itself, to add to the reported loss.</returns>
    /// <exception cref="ArgumentException">The strength is out of range or a tensor has no gradient; nothing is changed then.</exception>
    public static double AddL1(ParameterList parameters, float strength)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(strength >= 0f) || !float.IsFinite(strength))
        {
            throw new ArgumentOutOfRangeException(nameof(strength), strength, Invariant($"strength must be finite and >= 0, got {strength}."));
        }

        GradientClipping.CheckHaveGradients(parameters);
        double penalty = 0;
        foreach (Parameter p in parameters)
        {
            float[] w = p.Data, g = p.Grad;
            for (int j = 0; j < w.Length; j++)
            {
                float v = w[j];
                penalty += Math.Abs(v);
                g[j] += strength * (v > 0f ? 1f : v < 0f ? -1f : v); // NaN stays NaN, as torch.sign
            }
        }

        return strength * penalty;
    }
}
