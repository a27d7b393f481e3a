using System;

namespace FusedOps.Kernels;

/// <content>
/// BatchNorm's normalise pass and first backward pass with the next layer's Maxout in them: the BatchNorm output of each run of
/// <c>pieces</c> channels lives only in a per-part scratch (forward) or in du (backward), through the kernels of the unfused passes
/// (<see cref="ActivationPass.AffineForward"/>, <see cref="ChannelActivations.MaxoutForward"/>, <see cref="ChannelActivations.MaxoutBackward"/>,
/// <see cref="ActivationPass.BackwardReduce"/>), so the values are theirs bit for bit.
/// </content>
public static unsafe partial class TrainingPasses
{
    /// <summary>
    /// y[j] = max over p of z[j·pieces + p]·scale + shift (first maximum wins, a NaN beats any number) over <c>[n, channels, spatial]</c>,
    /// the winning piece of each output element to <paramref name="piece"/>; split over samples. With spatial 1 (after a Linear, or a
    /// Conv2d with a 1×1 output) a sample's row of channels is normalised at once into a per-part scratch row.
    /// </summary>
    public static void MaxoutAffineForward(int pieces, int[] piece, ref float z, ref float y, int n, int channels, int spatial, ref float scale, ref float shift)
    {
        CheckMaxout(pieces, piece, n, channels, spatial);
        fixed (float* pz = &z, py = &y, ps = &scale, pt = &shift)
        fixed (int* pp = piece)
        {
            ChannelJob job = t_channelJob ??= new ChannelJob();
            job.Set(false, default, [], n, channels, spatial, pieces);
            if (spatial == 1 && job.Scratch.Length < MaxParts * channels)
            {
                job.Scratch = new float[MaxParts * channels];
            }

            job.Z = pz;
            job.Y = py;
            job.Scale = ps;
            job.Shift = pt;
            job.Piece = pp;
            job.Run(Parts(n, (long)channels * spatial));
        }
    }

    /// <summary>
    /// BatchNorm's first backward pass after a Maxout: per run of <c>pieces</c> channel planes, dy (<c>[n, channels / pieces, spatial]</c>)
    /// to the winning piece saved by <see cref="MaxoutAffineForward"/> and 0 to the others, into <paramref name="du"/>, then
    /// <see cref="ActivationPass.BackwardReduce"/> on du in place; the parts' sums added in part order, as <see cref="BackwardReduce"/>.
    /// </summary>
    public static void MaxoutBackwardReduce(int pieces, int[] piece, ref float dy, ref float z, ref float du, int n, int channels, int spatial,
        ref float scale, ref float shift, ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
    {
        CheckMaxout(pieces, piece, n, channels, spatial);
        int parts = Parts(n, (long)channels * spatial);
        ChannelJob job = t_channelJob ??= new ChannelJob();
        job.Set(true, default, [], n, channels, spatial, pieces);
        RunReduce(job, parts, piece, ref dy, ref z, ref du, ref scale, ref shift, ref mean, ref invStd);
        AddPartials(job.Partials, parts, channels, ref sumDu, ref sumDuXhat);
    }

    private static void CheckMaxout(int pieces, int[] piece, int n, int channels, int spatial)
    {
        if (pieces < 1 || channels % pieces != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pieces), pieces, $"expected a positive divisor of the {channels} channels, got {pieces}");
        }

        if (piece.Length < (long)n * (channels / pieces) * spatial)
        {
            throw new ArgumentException($"expected at least {(long)n * (channels / pieces) * spatial} winning pieces, got {piece.Length}", nameof(piece));
        }
    }

    private sealed partial class ChannelJob
    {
        /// <summary>Samples [s0, s1) of a Maxout pass, each run of pieces planes while it is in cache.</summary>
        private void MaxoutSamples(int s0, int s1, int part, Span<double> sums)
        {
            int c = _channels, pieces = _pieces, outChannels = c / pieces;
            if (_spatial == 1)
            {
                MaxoutRows(s0, s1, part, sums);
                return;
            }

            ref float u = ref Scratch[part * pieces * _spatial];
            for (int s = s0; s < s1; s++)
            {
                for (int j = 0; j < outChannels; j++)
                {
                    int ch = j * pieces;
                    long o = (((long)s * c) + ch) * _spatial, oy = (((long)s * outChannels) + j) * _spatial;
                    if (!_backward)
                    {
                        ActivationPass.AffineForward(default(IdentityOperator), ref Z[o], ref u, 1, pieces, _spatial, ref Scale[ch], ref Shift[ch]);
                        ChannelActivations.MaxoutForward(ref u, ref Y[oy], ref Piece[oy], true, 1, 1, pieces, _spatial);
                        continue;
                    }

                    ChannelActivations.MaxoutBackward(ref Dy[oy], ref Piece[oy], ref Y[o], 1, 1, pieces, _spatial);
                    for (int p = 0; p < pieces; p++)
                    {
                        long op = o + ((long)p * _spatial);
                        ActivationPass.BackwardReduce(default(IdentityOperator), ref Y[op], ref Z[op], ref Y[op], 1, 1, _spatial, ref Scale[ch + p], ref Shift[ch + p],
                            ref Mean[ch + p], ref InvStd[ch + p], ref sums[ch + p], ref sums[c + ch + p]);
                    }
                }
            }
        }

        /// <summary>
        /// Samples [s0, s1) of a Maxout pass with one value per channel, a row at a time through the row kernels of the unfused passes
        /// (the affine and the reductions vectorised along the channels, as <see cref="Row"/>): forward, the BatchNorm output of the row
        /// into the part's scratch row, then its maxima and winners; backward, dy to the winners in du's row, then BatchNorm's reductions.
        /// </summary>
        private void MaxoutRows(int s0, int s1, int part, Span<double> sums)
        {
            int c = _channels, pieces = _pieces, outChannels = c / pieces;
            ref float scale = ref Scale[0], shift = ref Shift[0];
            for (int s = s0; s < s1; s++)
            {
                long o = (long)s * c, oy = (long)s * outChannels;
                if (!_backward)
                {
                    ref float u = ref Scratch[part * c];
                    ActivationPass.AffineForward(default(IdentityOperator), ref Z[o], ref u, 1, c, 1, ref scale, ref shift);
                    ChannelActivations.MaxoutForward(ref u, ref Y[oy], ref Piece[oy], true, 1, outChannels, pieces, 1);
                    continue;
                }

                ChannelActivations.MaxoutBackward(ref Dy[oy], ref Piece[oy], ref Y[o], 1, outChannels, pieces, 1);
                ActivationPass.BackwardReduce(default(IdentityOperator), ref Y[o], ref Z[o], ref Y[o], 1, c, 1, ref scale, ref shift, ref Mean[0],
                    ref InvStd[0], ref sums[0], ref sums[c]);
            }
        }
    }
}
