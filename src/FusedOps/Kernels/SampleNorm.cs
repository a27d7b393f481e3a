using System;
using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <summary>
/// The per-sample norms as one kernel: each sample's <c>channels × spatial</c> values are cut into
/// <c>groups</c> runs of consecutive channels, each normalised with its own mean and biased variance,
/// then γ, β per channel and the activation. LayerNorm is 1 group over channels = the whole sample
/// (spatial 1, so γ and β are per element), GroupNorm(g) is g groups, InstanceNorm is one group per
/// channel. Forward: two passes for the statistics (mean, then squared deviations), one for normalise +
/// affine + activation. Backward: one pass for the activation derivative and the per-channel reductions, one
/// for the input gradient.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class SampleNorm
{
    /// <summary>The geometry of one norm: groups, channels and spatial values per channel, and ε.</summary>
    /// <param name="Groups">Groups per sample.</param>
    /// <param name="Channels">Channels per sample (elements, for LayerNorm).</param>
    /// <param name="Spatial">Values per channel.</param>
    /// <param name="Epsilon">Added to the variance.</param>
    public readonly record struct Shape(int Groups, int Channels, int Spatial, float Epsilon)
    {
        /// <summary>Values per sample.</summary>
        public int Length => Channels * Spatial;

        /// <summary>Channels per group.</summary>
        public int PerGroup => Channels / Groups;

        /// <summary>Values per group.</summary>
        public int GroupLength => PerGroup * Spatial;
    }

    /// <summary>
    /// y = act(γ·(x − μ)·invStd + β) for <paramref name="n"/> samples; each sample's μ and invStd go to
    /// <paramref name="mean"/> and <paramref name="invStd"/> (<c>n × groups</c>). <paramref name="scale"/>
    /// and <paramref name="shift"/> are scratch of one value per channel. Empty γ, β: 1 and 0.
    /// </summary>
    public static void Forward<TAct>(TAct act, ref float x, ref float y, int n, Shape shape, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        Span<float> mean, Span<float> invStd, Span<float> scale, Span<float> shift)
        where TAct : struct, IActivationOperator
    {
        if (shape.Spatial == 1)
        {
            // LayerNorm (and GroupNorm over vectors): γ and β per element, so the scale and shift of each value are
            // formed in the vector loop; empty γ, β become 1 and 0 in the scratch once per call.
            ReadOnlySpan<float> g = gamma.IsEmpty ? Fill(scale, 1f) : gamma, b = beta.IsEmpty ? Fill(shift, 0f) : beta;
            for (int s = 0; s < n; s++)
            {
                ref float xs = ref Unsafe.Add(ref x, s * shape.Length);
                ref float ys = ref Unsafe.Add(ref y, s * shape.Length);
                for (int grp = 0; grp < shape.Groups; grp++)
                {
                    int o = grp * shape.GroupLength;
                    (double m, double variance) = Moments(ref Unsafe.Add(ref xs, o), shape.GroupLength);
                    float mu = (float)m, inv = (float)(1.0 / Math.Sqrt(variance + shape.Epsilon));
                    mean[(s * shape.Groups) + grp] = mu;
                    invStd[(s * shape.Groups) + grp] = inv;
                    NormaliseRun(act, ref Unsafe.Add(ref xs, o), ref Unsafe.Add(ref ys, o), shape.GroupLength, mu, inv,
                        ref Unsafe.Add(ref MemoryMarshal.GetReference(g), o), ref Unsafe.Add(ref MemoryMarshal.GetReference(b), o));
                }
            }

            return;
        }

        for (int s = 0; s < n; s++)
        {
            ref float xs = ref Unsafe.Add(ref x, s * shape.Length);
            for (int g = 0; g < shape.Groups; g++)
            {
                (double m, double variance) = Moments(ref Unsafe.Add(ref xs, g * shape.GroupLength), shape.GroupLength);
                mean[(s * shape.Groups) + g] = (float)m;
                invStd[(s * shape.Groups) + g] = (float)(1.0 / Math.Sqrt(variance + shape.Epsilon));
            }

            ScaleShift(shape, gamma, beta, mean.Slice(s * shape.Groups, shape.Groups), invStd.Slice(s * shape.Groups, shape.Groups), scale, shift);
            ActivationPass.AffineForward(act, ref xs, ref Unsafe.Add(ref y, s * shape.Length), 1, shape.Channels, shape.Spatial, ref scale[0], ref shift[0]);
        }
    }

    /// <summary>
    /// y = act(x·sc + (β − μ·sc)) with sc = γ·inv per value: the same float operations, in the same order, as
    /// <see cref="ScaleShift"/> followed by <see cref="ActivationPass.AffineForward"/>, so every width gives the same bits.
    /// </summary>
    private static void NormaliseRun<TAct>(TAct act, ref float x, ref float y, int count, float mu, float inv, ref float gamma, ref float beta)
        where TAct : struct, IActivationOperator
    {
        int i = 0;
        int level = KernelDispatch.Level;
        if (level == 2)
        {
            Vector512<float> vmu = Vector512.Create(mu), vinv = Vector512.Create(inv);
            for (; i <= count - 16; i += 16)
            {
                Vector512<float> sc = Vector512.LoadUnsafe(ref gamma, (nuint)i) * vinv;
                Vector512<float> sh = Vector512.LoadUnsafe(ref beta, (nuint)i) - (vmu * sc);
                act.Invoke((Vector512.LoadUnsafe(ref x, (nuint)i) * sc) + sh).StoreUnsafe(ref y, (nuint)i);
            }
        }

        if (level >= 1)
        {
            Vector256<float> vmu = Vector256.Create(mu), vinv = Vector256.Create(inv);
            for (; i <= count - 8; i += 8)
            {
                Vector256<float> sc = Vector256.LoadUnsafe(ref gamma, (nuint)i) * vinv;
                Vector256<float> sh = Vector256.LoadUnsafe(ref beta, (nuint)i) - (vmu * sc);
                act.Invoke((Vector256.LoadUnsafe(ref x, (nuint)i) * sc) + sh).StoreUnsafe(ref y, (nuint)i);
            }
        }

        for (; i < count; i++)
        {
            float sc = Unsafe.Add(ref gamma, i) * inv;
            float sh = Unsafe.Add(ref beta, i) - (mu * sc);
            Unsafe.Add(ref y, i) = act.Invoke((Unsafe.Add(ref x, i) * sc) + sh);
        }
    }

    private static ReadOnlySpan<float> Fill(Span<float> scratch, float value)
    {
        scratch.Fill(value);
        return scratch;
    }

    /// <summary>
    /// Backward of <see cref="Forward"/> from the saved statistics: du = act′(dy) at the recomputed
    /// pre-activation, per channel Σ du (added to <paramref name="betaGrad"/>) and Σ du·x̂ (added to
    /// <paramref name="gammaGrad"/>), and with <paramref name="wantInput"/> the input gradient
    /// dx = invStd·(γ·du − mean_group(γ·du) − x̂·mean_group(γ·du·x̂)).
    /// <paramref name="du"/> is scratch of one sample; the other spans are scratch of one value per channel.
    /// </summary>
    public static void Backward<TAct>(TAct act, ref float dy, ref float x, ref float dx, bool wantInput, int n, Shape shape,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> gammaGrad, Span<float> betaGrad,
        Span<float> du, Scratch scratch)
        where TAct : struct, IActivationOperator
    {
        int c = shape.Channels;
        for (int s = 0; s < n; s++)
        {
            ReadOnlySpan<float> mu = mean.Slice(s * shape.Groups, shape.Groups), inv = invStd.Slice(s * shape.Groups, shape.Groups);
            ScaleShift(shape, gamma, beta, mu, inv, scratch.Scale, scratch.Shift);
            for (int g = 0; g < shape.Groups; g++)
            {
                scratch.ChannelMean.AsSpan(g * shape.PerGroup, shape.PerGroup).Fill(mu[g]);
                scratch.ChannelInvStd.AsSpan(g * shape.PerGroup, shape.PerGroup).Fill(inv[g]);
            }

            scratch.SumDu.AsSpan(0, c).Clear();
            scratch.SumDuXhat.AsSpan(0, c).Clear();
            ref float xs = ref Unsafe.Add(ref x, s * shape.Length);
            ActivationPass.BackwardReduce(act, ref Unsafe.Add(ref dy, s * shape.Length), ref xs, ref du[0], 1, c, shape.Spatial, ref scratch.Scale[0], ref scratch.Shift[0],
                ref scratch.ChannelMean[0], ref scratch.ChannelInvStd[0], ref scratch.SumDu[0], ref scratch.SumDuXhat[0]);
            if (!gammaGrad.IsEmpty)
            {
                Norm.AddTo(scratch.SumDuXhat.AsSpan(0, c), gammaGrad);
                Norm.AddTo(scratch.SumDu.AsSpan(0, c), betaGrad);
            }

            if (wantInput)
            {
                InputGradient(ref du[0], ref xs, ref Unsafe.Add(ref dx, s * shape.Length), shape, gamma, mu, inv, scratch);
            }
        }
    }

    /// <summary>dx = du·p[c] + x·q[c] + r[c], the input gradient as one affine map per channel of du and x.</summary>
    private static void InputGradient(ref float du, ref float x, ref float dx, Shape shape, ReadOnlySpan<float> gamma, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Scratch scratch)
    {
        Span<float> p = scratch.Scale, q = scratch.Shift, r = scratch.ChannelMean;
        for (int g = 0; g < shape.Groups; g++)
        {
            double a = 0, b = 0;
            for (int ch = g * shape.PerGroup; ch < (g + 1) * shape.PerGroup; ch++)
            {
                double gc = gamma.IsEmpty ? 1.0 : gamma[ch];
                a += gc * scratch.SumDu[ch];
                b += gc * scratch.SumDuXhat[ch];
            }

            // x̂ = (x − μ)·inv, so dx = inv·γ·du − inv·A/N − (x − μ)·inv²·B/N.
            double inv = invStd[g], n = shape.GroupLength;
            float qg = (float)(-inv * inv * b / n), rg = (float)((mean[g] * inv * inv * b / n) - (inv * a / n));
            for (int ch = g * shape.PerGroup; ch < (g + 1) * shape.PerGroup; ch++)
            {
                p[ch] = (float)(inv * (gamma.IsEmpty ? 1.0 : gamma[ch]));
                q[ch] = qg;
                r[ch] = rg;
            }
        }

        int spatial = shape.Spatial, channel = 0;
        if (spatial == 1 && KernelDispatch.Level >= 1)
        {
            // LayerNorm: one value per "channel", so vectorise along the channels.
            for (; channel <= shape.Channels - 8; channel += 8)
            {
                Vector256<float> v = (Vector256.LoadUnsafe(ref du, (nuint)channel) * Vector256.Create<float>(p.Slice(channel, 8)))
                    + (Vector256.LoadUnsafe(ref x, (nuint)channel) * Vector256.Create<float>(q.Slice(channel, 8))) + Vector256.Create<float>(r.Slice(channel, 8));
                v.StoreUnsafe(ref dx, (nuint)channel);
            }
        }

        for (; channel < shape.Channels; channel++)
        {
            int o = channel * spatial, i = 0;
            if (KernelDispatch.Level >= 1)
            {
                Vector256<float> vp = Vector256.Create(p[channel]), vq = Vector256.Create(q[channel]), vr = Vector256.Create(r[channel]);
                for (; i <= spatial - 8; i += 8)
                {
                    ((Vector256.LoadUnsafe(ref du, (nuint)(o + i)) * vp) + (Vector256.LoadUnsafe(ref x, (nuint)(o + i)) * vq) + vr).StoreUnsafe(ref dx, (nuint)(o + i));
                }
            }

            for (; i < spatial; i++)
            {
                Unsafe.Add(ref dx, o + i) = (Unsafe.Add(ref du, o + i) * p[channel]) + (Unsafe.Add(ref x, o + i) * q[channel]) + r[channel];
            }
        }
    }

    /// <summary>Per channel: scale = γ·invStd of its group, shift = β − μ·scale.</summary>
    private static void ScaleShift(Shape shape, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, Span<float> scale, Span<float> shift)
    {
        // Group by group, so no channel needs a division to find its group.
        int perGroup = shape.PerGroup;
        for (int g = 0; g < shape.Groups; g++)
        {
            float inv = invStd[g], mu = mean[g];
            for (int ch = g * perGroup; ch < (g + 1) * perGroup; ch++)
            {
                float sc = (gamma.IsEmpty ? 1f : gamma[ch]) * inv;
                scale[ch] = sc;
                shift[ch] = (beta.IsEmpty ? 0f : beta[ch]) - (mu * sc);
            }
        }
    }

    /// <summary>
    /// Mean and biased variance of <paramref name="count"/> consecutive values in two passes: a first mean, then
    /// the deviations from it (a value near the mean subtracts exactly), whose mean corrects the mean and whose
    /// mean square, less that correction squared, is the variance (the corrected two-pass formula). One pass of
    /// Σx² − n·μ² would cancel: 12 values near 0.5 with a spread of 0.003 lost three digits of their variance
    /// and LayerNorm's output 2.7e-4 (PropertyRegressionTests, BUG-4).
    /// </summary>
    private static (double Mean, double Variance) Moments(ref float x, int count)
    {
        // Float lanes over at most 256 values at a time, then into double: the deviation pass measures what this loses.
        double sum = 0;
        int i = 0;
        if (KernelDispatch.Level == 2)
        {
            while (i <= count - 16)
            {
                Vector512<float> va = Vector512<float>.Zero;
                for (int end = Math.Min(count - 15, i + 256); i < end; i += 16)
                {
                    va += Vector512.LoadUnsafe(ref x, (nuint)i);
                }

                sum += Vector512.Sum(va);
            }
        }

        if (KernelDispatch.Level >= 1)
        {
            while (i <= count - 8)
            {
                Vector256<float> va = Vector256<float>.Zero;
                for (int end = Math.Min(count - 7, i + 256); i < end; i += 8)
                {
                    va += Vector256.LoadUnsafe(ref x, (nuint)i);
                }

                sum += Vector256.Sum(va);
            }
        }

        for (; i < count; i++)
        {
            sum += Unsafe.Add(ref x, i);
        }

        float center = (float)(sum / count);
        (double deviation, double deviationSq) = Deviations(ref x, count, center);
        double offset = deviation / count;
        return (center + offset, Math.Max(0.0, (deviationSq / count) - (offset * offset)));
    }

    /// <summary>
    /// Σ(x − c) and Σ(x − c)² about <paramref name="center"/>. The squares are all positive, so float lanes over
    /// at most 256 values lose only relative digits.
    /// </summary>
    private static (double Deviation, double DeviationSq) Deviations(ref float x, int count, float center)
    {
        double deviation = 0, deviationSq = 0;
        int i = 0;
        if (KernelDispatch.Level == 2)
        {
            Vector512<float> c = Vector512.Create(center);
            while (i <= count - 16)
            {
                Vector512<float> va = Vector512<float>.Zero, vb = Vector512<float>.Zero;
                for (int end = Math.Min(count - 15, i + 256); i < end; i += 16)
                {
                    Vector512<float> d = Vector512.LoadUnsafe(ref x, (nuint)i) - c;
                    va += d;
                    vb += d * d;
                }

                deviation += Vector512.Sum(va);
                deviationSq += Vector512.Sum(vb);
            }
        }

        if (KernelDispatch.Level >= 1)
        {
            Vector256<float> c = Vector256.Create(center);
            while (i <= count - 8)
            {
                Vector256<float> va = Vector256<float>.Zero, vb = Vector256<float>.Zero;
                for (int end = Math.Min(count - 7, i + 256); i < end; i += 8)
                {
                    Vector256<float> d = Vector256.LoadUnsafe(ref x, (nuint)i) - c;
                    va += d;
                    vb += d * d;
                }

                deviation += Vector256.Sum(va);
                deviationSq += Vector256.Sum(vb);
            }
        }

        for (; i < count; i++)
        {
            double d = Unsafe.Add(ref x, i) - center;
            deviation += d;
            deviationSq += d * d;
        }

        return (deviation, deviationSq);
    }

    /// <summary>Per-channel scratch of the backward pass, allocated once per model.</summary>
    public sealed class Scratch
    {
        /// <summary>Scratch for <paramref name="channels"/> channels.</summary>
        /// <param name="channels">Channels per sample (elements, for LayerNorm).</param>
        public Scratch(int channels)
        {
            Scale = new float[channels];
            Shift = new float[channels];
            ChannelMean = new float[channels];
            ChannelInvStd = new float[channels];
            SumDu = new double[channels];
            SumDuXhat = new double[channels];
        }

        internal float[] Scale { get; }

        internal float[] Shift { get; }

        internal float[] ChannelMean { get; }

        internal float[] ChannelInvStd { get; }

        internal double[] SumDu { get; }

        internal double[] SumDuXhat { get; }
    }
}
