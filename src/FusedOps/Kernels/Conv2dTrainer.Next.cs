using System;

namespace FusedOps.Kernels;

/// <content>
/// The next layer's channel activation (BipolarReLU, PReLU, RReLU) or Maxout in the epilogue of a group with no BatchNorm and no
/// activation of its own, per sample through the same <see cref="ChannelActivations"/> kernels as the layer's own pass (the same
/// bits), so neither its forward nor its backward is a pass over the batch.
/// </content>
public sealed partial class Conv2dTrainer
{
    private ChannelEpilogue? _channelCache;
    private MaxoutEpilogue? _maxoutCache;
    private float[] _slopePartials = [];

    /// <summary>A channel activation that runs in the conv's epilogue.</summary>
    public enum ChannelActivation
    {
        /// <summary>ReLU on even channels, −ReLU(−x) on odd ones.</summary>
        BipolarRelu,

        /// <summary>A learnable slope, one or one per channel.</summary>
        PRelu,

        /// <summary>One slope per element, drawn before the call (<see cref="RReluOperator.FillSlopes"/>).</summary>
        RRelu,
    }

    /// <summary>
    /// <see cref="Forward(float[], float[], float[], float[], int, double[], double[])"/> followed by a channel activation per sample:
    /// <paramref name="output"/> = z = conv(input) + bias (kept for the derivative), <paramref name="activated"/> = act(z).
    /// <paramref name="slopes"/>: PReLU's (1 or one per channel), RReLU's (one per element of the batch, drawn), or empty.
    /// </summary>
    public void ChannelForward(ChannelActivation kind, float[] slopes, float[] input, float[] weight, float[]? bias, float[] output, float[] activated, int n)
    {
        ForwardWith(UseChannel(kind, slopes, activated, output), input, weight, bias, output, n);
    }

    /// <summary>
    /// The backward of <see cref="ChannelForward"/> from the gradient <paramref name="dy"/> at the activation's output: dz = act′(dy)
    /// at <paramref name="z"/> per sample as it goes onto the grid; PReLU's slope gradient is added to <paramref name="slopeGrad"/>
    /// (each part of the batch sums its samples in order, the parts are added in order: the same bits at any thread count).
    /// </summary>
    public void ChannelBackward(ChannelActivation kind, float[] slopes, Span<float> slopeGrad, float[] input, ref float dy, float[] z, float[] weight,
        float[] weightGrad, float[]? biasGrad, ref float dx, bool wantInput, int n)
    {
        int k = kind == ChannelActivation.PRelu ? slopes.Length : 0;
        if (_slopePartials.Length < MaxParts * k)
        {
            _slopePartials = new float[MaxParts * k];
        }

        Array.Clear(_slopePartials);
        BackwardWith(UseChannel(kind, slopes, [], z), input, ref dy, weight, weightGrad, biasGrad, ref dx, wantInput, n);

        for (int j = 0; j < k; j++)
        {
            float a = _slopePartials[j];
            for (int p = 1; p < _parts; p++)
            {
                a += _slopePartials[(p * k) + j];
            }

            slopeGrad[j] += a;
        }
    }

    /// <summary>
    /// <see cref="Forward(float[], float[], float[], float[], int, double[], double[])"/> followed by Maxout(<paramref name="pieces"/>)
    /// per sample: only the maximum over each run of <paramref name="pieces"/> channels is stored (to <paramref name="activated"/>),
    /// with the winning piece (to <paramref name="piece"/>); z itself is never stored.
    /// </summary>
    public void MaxoutForward(int pieces, int[] piece, float[] input, float[] weight, float[]? bias, float[] activated, int n)
    {
        ForwardWith(UseMaxout(pieces, piece, activated), input, weight, bias, activated, n);
    }

    /// <summary>The backward of <see cref="MaxoutForward"/>: each output's gradient <paramref name="dy"/> to its winning piece, zero to the others.</summary>
    public void MaxoutBackward(int pieces, int[] piece, float[] input, ref float dy, float[] weight, float[] weightGrad, float[]? biasGrad, ref float dx, bool wantInput, int n)
    {
        BackwardWith(UseMaxout(pieces, piece, []), input, ref dy, weight, weightGrad, biasGrad, ref dx, wantInput, n);
    }

    private ChannelEpilogue UseChannel(ChannelActivation kind, float[] slopes, float[] activated, float[] z)
    {
        ChannelEpilogue e = _channelCache ??= new ChannelEpilogue(this);
        (e.Kind, e.Slopes, e.Y, e.Z) = (kind, slopes, activated, z);
        return e;
    }

    private MaxoutEpilogue UseMaxout(int pieces, int[] piece, float[] activated)
    {
        if (_oc % pieces != 0)
        {
            throw new ArgumentException($"pieces must divide the {_oc} output channels, but is {pieces}.", nameof(pieces));
        }

        MaxoutEpilogue e = _maxoutCache ??= new MaxoutEpilogue(this);
        (e.Pieces, e.Piece, e.Y) = (pieces, piece, activated);
        return e;
    }

    private sealed class ChannelEpilogue(Conv2dTrainer trainer) : Epilogue(trainer)
    {
        public ChannelActivation Kind;
        public float[] Slopes = [], Y = [], Z = [];

        private int Spatial => Trainer._oh * Trainer._ow;

        public override void Forward(int s, ref float z)
        {
            int length = Trainer.OutLength, o = s * length;
            switch (Kind)
            {
                case ChannelActivation.BipolarRelu:
                    ChannelActivations.BipolarForward(ref z, ref Y[o], 1, Trainer._oc, Spatial);
                    break;
                case ChannelActivation.PRelu:
                    ChannelActivations.PReluForward(ref z, ref Y[o], 1, Trainer._oc, Spatial, Slopes);
                    break;
                default:
                    ChannelActivations.RReluApply(ref z, ref Y[o], Slopes.AsSpan(o, length));
                    break;
            }
        }

        public override ref float Backward(int s, int part, ref float scratch)
        {
            int length = Trainer.OutLength, o = s * length;
            ref float dy = ref Dy(s, length);
            switch (Kind)
            {
                case ChannelActivation.BipolarRelu:
                    ChannelActivations.BipolarBackward(ref dy, ref Z[o], ref scratch, 1, Trainer._oc, Spatial);
                    break;
                case ChannelActivation.PRelu:
                    Span<float> partial = Trainer._slopePartials.AsSpan(part * Slopes.Length, Slopes.Length);
                    ChannelActivations.PReluBackward(ref dy, ref Z[o], ref scratch, true, 1, Trainer._oc, Spatial, Slopes, partial);
                    break;
                default:
                    ChannelActivations.RReluBackward(ref dy, ref Z[o], Slopes.AsSpan(o, length), ref scratch);
                    break;
            }

            return ref scratch;
        }
    }

    private sealed class MaxoutEpilogue(Conv2dTrainer trainer) : Epilogue(trainer)
    {
        public int Pieces;
        public int[] Piece = [];
        public float[] Y = [];

        public override bool KeepsZ => false;

        private int Spatial => Trainer._oh * Trainer._ow;

        public override void Forward(int s, ref float z)
        {
            int o = s * (Trainer.OutLength / Pieces);
            ChannelActivations.MaxoutForward(ref z, ref Y[o], ref Piece[o], true, 1, Trainer._oc / Pieces, Pieces, Spatial);
        }

        public override ref float Backward(int s, int part, ref float scratch)
        {
            int length = Trainer.OutLength / Pieces;
            ChannelActivations.MaxoutBackward(ref Dy(s, length), ref Piece[s * length], ref scratch, 1, Trainer._oc / Pieces, Pieces, Spatial);
            return ref scratch;
        }
    }
}
