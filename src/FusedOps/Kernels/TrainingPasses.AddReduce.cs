using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// <c>AddBackwardReduce</c> for ReLU and the identity in one sweep per channel plane: du = act′(dy) at u, the saved
/// gradient += du (or = 0 + du for its first writer), and BatchNorm's Σ du and Σ du·x̂, reading each input once. The three passes it replaces ran over a sample
/// each (du written, read back twice); here every value takes the same operations in the same order (ReLU′ and the add are
/// elementwise, exact at any width; the sums are <see cref="ActivationPass.BackwardReduce"/>'s: 8 lanes then the tail in
/// double, or at 128 bits 4 lanes widened to double), so the results are the same bits.
/// </content>
public static unsafe partial class TrainingPasses
{
    // Whether AddReducePlanes serves the activation: those whose derivative is a select, the same bits at every width.
    private static bool FusesAddReduce<TAct>()
        where TAct : struct, IActivationOperator =>
        typeof(TAct) == typeof(ReluOperator) || typeof(TAct) == typeof(IdentityOperator);

    /// <summary>One sample's planes of the fused <c>AddBackwardReduce</c> (see the type's remarks); sums per channel added to.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddReducePlanes<TAct>(TAct act, float* dy, float* u, float* save, bool overwrite, float* z, float* du, int channels, int spatial,
        float* mean, float* invStd, ref double sumDu, ref double sumDuXhat)
        where TAct : struct, IActivationOperator
    {
        bool vector = KernelDispatch.Level >= 1 && spatial >= 8, narrow = KernelDispatch.Level == 0 && KernelDispatch.RuntimeBits == 128 && spatial >= 4;
        for (int c = 0; c < channels; c++)
        {
            long o = (long)c * spatial;
            float mu = mean[c], inv = invStd[c];
            double a = 0, b = 0;
            int i = 0;
            if (vector)
            {
                Vector256<float> vmu = Vector256.Create(mu), vinv = Vector256.Create(inv);
                Vector256<float> va = Vector256<float>.Zero, vb = Vector256<float>.Zero;
                for (; i <= spatial - 8; i += 8)
                {
                    long k = o + i;
                    Vector256<float> g = act.Backward(Vector256.Load(dy + k), Vector256.Load(u + k));
                    // The first writer stores 0 + du: what adding to a cleared buffer gives (a −0 becomes +0).
                    ((overwrite ? Vector256<float>.Zero : Vector256.Load(save + k)) + g).Store(save + k);
                    g.Store(du + k);
                    va += g;
                    vb += g * ((Vector256.Load(z + k) - vmu) * vinv);
                }

                a = Vector256.Sum(va);
                b = Vector256.Sum(vb);
            }
            else if (narrow)
            {
                // ActivationPass.BackwardReduce128's order (NormSums128).
                var sums = new NormSums128(mu, inv);
                for (; i <= spatial - 4; i += 4)
                {
                    long k = o + i;
                    Vector128<float> g = act.Backward(Vector128.Load(dy + k), Vector128.Load(u + k));
                    ((overwrite ? Vector128<float>.Zero : Vector128.Load(save + k)) + g).Store(save + k);
                    g.Store(du + k);
                    sums.Add(g, Vector128.Load(z + k));
                }

                (a, b) = sums.Totals;
            }

            for (; i < spatial; i++)
            {
                long k = o + i;
                float g = act.Backward(dy[k], u[k]);
                save[k] = (overwrite ? 0f : save[k]) + g;
                du[k] = g;
                a += g;
                b += (double)g * ((z[k] - mu) * inv);
            }

            Unsafe.Add(ref sumDu, c) += a;
            Unsafe.Add(ref sumDuXhat, c) += b;
        }
    }
}
