using System;
using System.Runtime.CompilerServices;

namespace FusedOps.Kernels;

/// <content>
/// The channel activation passes after a Linear→BatchNorm (one value per feature): a sample's row at once, the affine and the
/// reductions vectorised along the features (<see cref="ActivationPass.AffineForward"/> and <see cref="ActivationPass.BackwardReduce"/>
/// on one row, which is what the unfused passes run row by row), the activation and its derivative per feature with its own slope.
/// The arithmetic and its order are those of the unfused passes, so the values are bitwise theirs.
/// </content>
public static unsafe partial class TrainingPasses
{
    private sealed partial class ChannelJob
    {
        // One sample's row of `_channels` features at offset o: forward y = act(z·scale + shift); backward du = act′(dy) at the
        // recomputed u, then BatchNorm's reductions into sums (Σ du per feature, then Σ du·x̂).
        private void Row(long o, Span<double> sums, Span<float> slopeSums)
        {
            int c = _channels;
            ref float z = ref Z[o], y = ref Y[o], scale = ref Scale[0], shift = ref Shift[0];
            ActivationPass.AffineForward(default(IdentityOperator), ref z, ref y, 1, c, 1, ref scale, ref shift);
            if (_backward)
            {
                RowBackward(ref Dy[o], ref y, o, slopeSums);
                ActivationPass.BackwardReduce(default(IdentityOperator), ref y, ref z, ref y, 1, c, 1, ref scale, ref shift, ref Mean[0], ref InvStd[0],
                    ref sums[0], ref sums[c]);
                return;
            }

            switch (_kind)
            {
                case Conv2dTrainer.ChannelActivation.BipolarRelu:
                    for (int f = 0; f < c; f++)
                    {
                        Unsafe.Add(ref y, f) = new BipolarReluOperator(f % 2 == 1).Invoke(Unsafe.Add(ref y, f));
                    }

                    break;
                case Conv2dTrainer.ChannelActivation.PRelu when _slopes.Length == 1:
                    ActivationPass.Forward(new PReluOperator(_slopes[0]), ref y, ref y, c);
                    break;
                case Conv2dTrainer.ChannelActivation.PRelu:
                    for (int f = 0; f < c; f++)
                    {
                        Unsafe.Add(ref y, f) = new PReluOperator(_slopes[f]).Invoke(Unsafe.Add(ref y, f));
                    }

                    break;
                default:
                    ChannelActivations.RReluApply(ref y, ref y, _slopes.AsSpan((int)o, c));
                    break;
            }
        }

        // du = act′(dy) at u (du holds u on entry); PReLU's Σ dy·u over u ≤ 0 per slope into slopeSums, element by element in order.
        private void RowBackward(ref float dy, ref float du, long o, Span<float> slopeSums)
        {
            int c = _channels;
            switch (_kind)
            {
                case Conv2dTrainer.ChannelActivation.BipolarRelu:
                    for (int f = 0; f < c; f++)
                    {
                        Unsafe.Add(ref du, f) = new BipolarReluOperator(f % 2 == 1).Backward(Unsafe.Add(ref dy, f), Unsafe.Add(ref du, f));
                    }

                    break;
                case Conv2dTrainer.ChannelActivation.PRelu:
                    bool one = _slopes.Length == 1;
                    for (int f = 0; f < c; f++)
                    {
                        ref float g = ref Unsafe.Add(ref dy, f), u = ref Unsafe.Add(ref du, f);
                        slopeSums[one ? 0 : f] += PReluOperator.SlopeGradient(new ReadOnlySpan<float>(in g), new ReadOnlySpan<float>(in u));
                        u = new PReluOperator(_slopes[one ? 0 : f]).Backward(g, u);
                    }

                    break;
                default:
                    ChannelActivations.RReluBackward(ref dy, ref du, _slopes.AsSpan((int)o, c), ref du);
                    break;
            }
        }
    }
}
