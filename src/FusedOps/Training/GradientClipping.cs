using System;
using static System.FormattableString;

namespace FusedOps.Training;

/// <summary>Gradient clipping, as <c>torch.nn.utils</c>.</summary>
public static class GradientClipping
{
    /// <summary>
    /// As <c>clip_grad_norm_</c>: the 2-norm of all gradients together (summed in double); when it
    /// exceeds <paramref name="maxNorm"/> every gradient is scaled by maxNorm/(norm + 1e-6).
    /// </summary>
    /// <param name="parameters">Learnable tensors.</param>
    /// <param name="maxNorm">Largest norm allowed, finite and &gt; 0.</param>
    /// <returns>The total norm before clipping (NaN or infinity when a gradient is, which then spreads to all gradients as in PyTorch).</returns>
    /// <exception cref="ArgumentException"><paramref name="maxNorm"/> is out of range or a tensor has no gradient.</exception>
    public static float ClipNorm(ParameterList parameters, float maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm > 0f) || !float.IsFinite(maxNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, Invariant($"maxNorm must be finite and > 0, got {maxNorm}."));
        }

        CheckHaveGradients(parameters);
        double sum = 0;
        foreach (Parameter p in parameters)
        {
            foreach (float g in p.Grad)
            {
                sum += (double)g * g;
            }
        }

        float norm = (float)Math.Sqrt(sum);

        // PyTorch multiplies by clamp(coef, max = 1); a factor of 1 changes nothing, so only scale
        // below it. A NaN norm gives a NaN factor and an infinite one 0, as in PyTorch.
        float coefficient = (float)(maxNorm / (norm + 1e-6));
        if (!(coefficient >= 1f))
        {
            foreach (Parameter p in parameters)
            {
                float[] g = p.Grad;
                for (int j = 0; j < g.Length; j++)
                {
                    g[j] *= coefficient;
                }
            }
        }

        return norm;
    }

    internal static void CheckHaveGradients(ParameterList parameters)
    {
        foreach (Parameter p in parameters)
        {
            if (!p.HasGrad)
            {
                throw new ArgumentException($"Tensor '{p.Name}' {p.ShapeText} has no gradient (is it a buffer?); pass learnable parameters only.", nameof(parameters));
            }
        }
    }
}
