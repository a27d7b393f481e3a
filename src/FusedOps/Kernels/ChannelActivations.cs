using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FusedOps.Kernels;

/// <summary>
/// The activations whose function depends on the channel or the element, over <c>[n, channels, spatial]</c>
/// (for rank-1 input the channels are the features and spatial is 1): BipolarReLU (ReLU on even
/// channels, −ReLU(−x) on odd ones), PReLU (a learnable slope, one or one per channel) and RReLU in
/// training (one slope per element from the step's stream). Each channel plane runs the operator
/// struct through <see cref="ActivationPass"/>, so planes are vectorised at every width.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ChannelActivations
{
    /// <summary>y = BipolarReLU(x); y may alias x.</summary>
    public static void BipolarForward(ref float x, ref float y, int n, int channels, int spatial)
    {
        for (int plane = 0; plane < n * channels; plane++)
        {
            int o = plane * spatial;
            ActivationPass.Forward(new BipolarReluOperator(plane % channels % 2 == 1), ref Unsafe.Add(ref x, o), ref Unsafe.Add(ref y, o), spatial);
        }
    }

    /// <summary>dx = dy · BipolarReLU′(x).</summary>
    public static void BipolarBackward(ref float dy, ref float x, ref float dx, int n, int channels, int spatial)
    {
        for (int plane = 0; plane < n * channels; plane++)
        {
            int o = plane * spatial;
            ActivationPass.Backward(new BipolarReluOperator(plane % channels % 2 == 1), ref Unsafe.Add(ref dy, o), ref Unsafe.Add(ref x, o), ref Unsafe.Add(ref dx, o), spatial);
        }
    }

    /// <summary>y = x &gt; 0 ? x : a·x with a = slopes[0] or slopes[channel]; y may alias x.</summary>
    public static void PReluForward(ref float x, ref float y, int n, int channels, int spatial, ReadOnlySpan<float> slopes)
    {
        if (slopes.Length == 1)
        {
            ActivationPass.Forward(new PReluOperator(slopes[0]), ref x, ref y, n * channels * spatial);
            return;
        }

        for (int plane = 0; plane < n * channels; plane++)
        {
            int o = plane * spatial;
            ActivationPass.Forward(new PReluOperator(slopes[plane % channels]), ref Unsafe.Add(ref x, o), ref Unsafe.Add(ref y, o), spatial);
        }
    }

    /// <summary>
    /// PReLU's backward: slope gradients Σ dy·x over x ≤ 0 added to <paramref name="slopeGrad"/>, and with
    /// <paramref name="wantInput"/> dx = x &gt; 0 ? dy : a·dy.
    /// </summary>
    public static void PReluBackward(ref float dy, ref float x, ref float dx, bool wantInput, int n, int channels, int spatial, ReadOnlySpan<float> slopes, Span<float> slopeGrad)
    {
        int planes = slopes.Length == 1 ? 1 : n * channels, length = slopes.Length == 1 ? n * channels * spatial : spatial;
        for (int plane = 0; plane < planes; plane++)
        {
            int o = plane * length, slope = slopes.Length == 1 ? 0 : plane % channels;
            ReadOnlySpan<float> g = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref dy, o), length);
            ReadOnlySpan<float> u = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref x, o), length);
            slopeGrad[slope] += PReluOperator.SlopeGradient(g, u);
            if (wantInput)
            {
                ActivationPass.Backward(new PReluOperator(slopes[slope]), ref Unsafe.Add(ref dy, o), ref Unsafe.Add(ref x, o), ref Unsafe.Add(ref dx, o), length);
            }
        }
    }

    /// <summary>RReLU in training: draws one slope per element into <paramref name="slopes"/> (kept for Backward), y = x ≤ 0 ? x·slope : x.</summary>
    public static void RReluForward(ref float x, ref float y, Span<float> slopes, float lower, float upper, InitRandom random)
    {
        RReluOperator.FillSlopes(slopes, lower, upper, random);
        RReluApply(ref x, ref y, slopes);
    }

    /// <summary>RReLU in training with slopes already drawn (one per element): y = x ≤ 0 ? x·slope : x; y may alias x.</summary>
    public static void RReluApply(ref float x, ref float y, ReadOnlySpan<float> slopes)
    {
        var op = default(RReluOperator);
        for (int i = 0; i < slopes.Length; i++)
        {
            Unsafe.Add(ref y, i) = op.Invoke(Unsafe.Add(ref x, i), slopes[i]);
        }
    }

    /// <summary>RReLU's backward with the slopes Forward drew: dx = x ≤ 0 ? dy·slope : dy.</summary>
    public static void RReluBackward(ref float dy, ref float x, ReadOnlySpan<float> slopes, ref float dx)
    {
        var op = default(RReluOperator);
        for (int i = 0; i < slopes.Length; i++)
        {
            Unsafe.Add(ref dx, i) = op.Backward(Unsafe.Add(ref dy, i), Unsafe.Add(ref x, i), slopes[i]);
        }
    }

    /// <summary>
    /// Maxout: output channel j of each sample is the maximum of input channels j·pieces … j·pieces + pieces − 1
    /// (first maximum wins; a NaN beats any number); with <paramref name="save"/>, the winning piece goes to
    /// <paramref name="piece"/>, one per output element.
    /// </summary>
    public static void MaxoutForward(ref float x, ref float y, ref int piece, bool save, int n, int outChannels, int pieces, int spatial)
    {
        for (int plane = 0; plane < n * outChannels; plane++)
        {
            ref float xp = ref Unsafe.Add(ref x, plane * pieces * spatial);
            for (int s = 0; s < spatial; s++)
            {
                float best = Unsafe.Add(ref xp, s);
                int at = 0;
                for (int p = 1; p < pieces; p++)
                {
                    float v = Unsafe.Add(ref xp, (p * spatial) + s);
                    if (v > best || (float.IsNaN(v) && !float.IsNaN(best)))
                    {
                        (best, at) = (v, p);
                    }
                }

                Unsafe.Add(ref y, (plane * spatial) + s) = best;
                if (save)
                {
                    Unsafe.Add(ref piece, (plane * spatial) + s) = at;
                }
            }
        }
    }

    /// <summary>Maxout's backward: each output's gradient to its saved piece, zero to the others.</summary>
    public static void MaxoutBackward(ref float dy, ref int piece, ref float dx, int n, int outChannels, int pieces, int spatial)
    {
        MemoryMarshal.CreateSpan(ref dx, n * outChannels * pieces * spatial).Clear();
        for (int plane = 0; plane < n * outChannels; plane++)
        {
            for (int s = 0; s < spatial; s++)
            {
                int o = (plane * spatial) + s;
                Unsafe.Add(ref dx, (((plane * pieces) + Unsafe.Add(ref piece, o)) * spatial) + s) = Unsafe.Add(ref dy, o);
            }
        }
    }
}
