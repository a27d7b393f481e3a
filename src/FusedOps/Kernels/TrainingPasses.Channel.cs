using System;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <content>
/// BatchNorm's normalise pass and first backward pass with the next layer's channel activation (BipolarReLU, PReLU, RReLU) in
/// them, per channel plane through the kernels of the two layers' own passes: the BatchNorm output is never stored (backward
/// recomputes it from z), and the values are those of the unfused passes. The next layer's Maxout rides them the same way: the
/// normalise pass keeps only each run's maximum and winning piece, the reduction pass routes dy to the winner first.
/// </content>
public static unsafe partial class TrainingPasses
{
    [ThreadStatic]
    private static ChannelJob? t_channelJob;

    /// <summary>
    /// y = act(z·scale[c] + shift[c]) over <c>[n, channels, spatial]</c> (spatial &gt; 1), act the channel activation
    /// <paramref name="kind"/> with <paramref name="slopes"/> (PReLU's, RReLU's drawn ones per element, or empty); split over samples.
    /// </summary>
    public static void ChannelAffineForward(Conv2dTrainer.ChannelActivation kind, float[] slopes, ref float z, ref float y, int n, int channels, int spatial,
        ref float scale, ref float shift)
    {
        fixed (float* pz = &z, py = &y, ps = &scale, pt = &shift)
        {
            ChannelJob job = t_channelJob ??= new ChannelJob();
            job.Set(false, kind, slopes, n, channels, spatial);
            job.Z = pz;
            job.Y = py;
            job.Scale = ps;
            job.Shift = pt;
            job.Run(Parts(n, (long)channels * spatial));
        }
    }

    /// <summary>
    /// BatchNorm's first backward pass after a channel activation: per channel plane, u = z·scale + shift (recomputed),
    /// du = act′(dy) at u (PReLU's Σ dy·u over u ≤ 0 added to <paramref name="slopeGrad"/>), then
    /// <see cref="ActivationPass.BackwardReduce"/> on du in place; the parts' sums added in part order, as <see cref="BackwardReduce"/>.
    /// </summary>
    public static void ChannelBackwardReduce(Conv2dTrainer.ChannelActivation kind, float[] slopes, Span<float> slopeGrad, ref float dy, ref float z, ref float du,
        int n, int channels, int spatial, ref float scale, ref float shift, ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
    {
        int parts = Parts(n, (long)channels * spatial);
        ChannelJob job = t_channelJob ??= new ChannelJob();
        job.Set(true, kind, slopes, n, channels, spatial);
        RunReduce(job, parts, null, ref dy, ref z, ref du, ref scale, ref shift, ref mean, ref invStd);
        AddPartials(job.Partials, parts, channels, ref sumDu, ref sumDuXhat);
        int k = kind == Conv2dTrainer.ChannelActivation.PRelu ? slopes.Length : 0;
        for (int j = 0; j < k; j++)
        {
            float a = job.SlopePartials[j];
            for (int p = 1; p < parts; p++)
            {
                a += job.SlopePartials[(p * k) + j];
            }

            slopeGrad[j] += a;
        }
    }

    /// <summary>Runs <paramref name="job"/>'s reduction pass (set up by its caller) on the given tensors, <paramref name="piece"/> a Maxout's or null.</summary>
    private static void RunReduce(ChannelJob job, int parts, int[]? piece, ref float dy, ref float z, ref float du, ref float scale, ref float shift,
        ref float mean, ref float invStd)
    {
        fixed (float* pdy = &dy, pz = &z, pdu = &du, ps = &scale, pt = &shift, pm = &mean, pi = &invStd)
        fixed (int* pp = piece)
        {
            job.Dy = pdy;
            job.Z = pz;
            job.Y = pdu;
            job.Scale = ps;
            job.Shift = pt;
            job.Mean = pm;
            job.InvStd = pi;
            job.Piece = pp;
            job.Run(parts);
        }
    }

    private sealed partial class ChannelJob : ParallelJob
    {
        private bool _backward;
        private Conv2dTrainer.ChannelActivation _kind;
        private float[] _slopes = [];
        private int _n, _channels, _spatial, _parts, _pieces;

        public float* Z, Y, Dy, Scale, Shift, Mean, InvStd;
        public int* Piece;
        public float[] Scratch = [];
        public double[] Partials = [];
        public float[] SlopePartials = [];

        public void Set(bool backward, Conv2dTrainer.ChannelActivation kind, float[] slopes, int n, int channels, int spatial, int pieces = 0)
        {
            (_backward, _kind, _slopes, _n, _channels, _spatial, _pieces) = (backward, kind, slopes, n, channels, spatial, pieces);
            if (pieces > 0 && Scratch.Length < MaxParts * pieces * spatial)
            {
                Scratch = new float[MaxParts * pieces * spatial];
            }

            if (Partials.Length < 2 * MaxParts * channels)
            {
                Partials = new double[2 * MaxParts * channels];
            }

            if (SlopePartials.Length < MaxParts * slopes.Length)
            {
                SlopePartials = new float[MaxParts * slopes.Length];
            }
        }

        public void Run(int parts)
        {
            _parts = parts;
            try
            {
                if (parts == 1)
                {
                    Execute(0);
                }
                else
                {
                    ParallelWork.Run(this, parts);
                }
            }
            finally
            {
                Z = Y = Dy = Scale = Shift = Mean = InvStd = null;
                Piece = null;
                _slopes = [];
            }
        }

        public override void Execute(int part)
        {
            (int s0, int s1) = ParallelWork.Slice(_n, _parts, part);
            int c = _channels, k = _kind == Conv2dTrainer.ChannelActivation.PRelu ? _slopes.Length : 0;
            Span<double> sums = Partials.AsSpan(2 * part * c, 2 * c);
            Span<float> slopeSums = SlopePartials.AsSpan(part * k, k);
            sums.Clear();
            slopeSums.Clear();
            if (_pieces > 0)
            {
                MaxoutSamples(s0, s1, part, sums);
                return;
            }

            for (int s = s0; s < s1; s++)
            {
                if (_spatial == 1)
                {
                    // After a Linear: one value per feature, the sample's row at once (TrainingPasses.Linear.cs).
                    Row((long)s * c, sums, slopeSums);
                    continue;
                }

                for (int ch = 0; ch < c; ch++)
                {
                    long o = (((long)s * c) + ch) * _spatial;
                    if (_backward)
                    {
                        BackwardPlane(o, ch, ref sums[ch], ref sums[c + ch], slopeSums);
                    }
                    else
                    {
                        ForwardPlane(o, ch);
                    }
                }
            }
        }

        private void ForwardPlane(long o, int ch)
        {
            ref float z = ref Z[o], y = ref Y[o], scale = ref Scale[ch], shift = ref Shift[ch];
            switch (_kind)
            {
                case Conv2dTrainer.ChannelActivation.BipolarRelu:
                    ActivationPass.AffineForward(new BipolarReluOperator(ch % 2 == 1), ref z, ref y, 1, 1, _spatial, ref scale, ref shift);
                    break;
                case Conv2dTrainer.ChannelActivation.PRelu:
                    ActivationPass.AffineForward(new PReluOperator(_slopes[_slopes.Length == 1 ? 0 : ch]), ref z, ref y, 1, 1, _spatial, ref scale, ref shift);
                    break;
                default:
                    // The BatchNorm's output, then RReLU on it in place with the element's drawn slopes.
                    ActivationPass.AffineForward(default(IdentityOperator), ref z, ref y, 1, 1, _spatial, ref scale, ref shift);
                    ChannelActivations.RReluApply(ref y, ref y, _slopes.AsSpan((int)o, _spatial));
                    break;
            }
        }

        private void BackwardPlane(long o, int ch, ref double sumDu, ref double sumDuXhat, Span<float> slopeSums)
        {
            ref float dy = ref Dy[o], z = ref Z[o], du = ref Y[o], scale = ref Scale[ch], shift = ref Shift[ch];

            // u (the BatchNorm's output, as the normalise pass computed it) into du, then the derivative in place.
            ActivationPass.AffineForward(default(IdentityOperator), ref z, ref du, 1, 1, _spatial, ref scale, ref shift);
            switch (_kind)
            {
                case Conv2dTrainer.ChannelActivation.BipolarRelu:
                    ActivationPass.Backward(new BipolarReluOperator(ch % 2 == 1), ref dy, ref du, ref du, _spatial);
                    break;
                case Conv2dTrainer.ChannelActivation.PRelu:
                    int slope = _slopes.Length == 1 ? 0 : ch;
                    slopeSums[slope] += PReluOperator.SlopeGradient(new ReadOnlySpan<float>(Unsafe.AsPointer(ref dy), _spatial), new ReadOnlySpan<float>(Unsafe.AsPointer(ref du), _spatial));
                    ActivationPass.Backward(new PReluOperator(_slopes[slope]), ref dy, ref du, ref du, _spatial);
                    break;
                default:
                    ChannelActivations.RReluBackward(ref dy, ref du, _slopes.AsSpan((int)o, _spatial), ref du);
                    break;
            }

            ActivationPass.BackwardReduce(default(IdentityOperator), ref du, ref z, ref du, 1, 1, _spatial, ref scale, ref shift, ref Mean[ch], ref InvStd[ch],
                ref sumDu, ref sumDuXhat);
        }
    }
}
