using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace FusedOps.Kernels;

/// <content>
/// A residual group with ReLU whose MaxPool2d runs in its normalise pass (the pool's output y_p = max over the window of ReLU(u) is
/// stored): ReLU′ at u is needed only where the pool's input gradient is not zero, at each window's arg-max, and there u &gt; 0 exactly
/// when y_p &gt; 0 (y_p = ReLU(u) at the arg-max). So dU = ReLU′(dY) is the pool's backward of the pooled gradient masked by
/// ReLU′ at y_p, formed at the pooled size (a quarter of the values), and u need not be recomputed from the saved group's z (a
/// batch-sized read) nor dU stored for the batch (a batch-sized write, and two reads: the conv's backward and the saved tensor's
/// gradient): the masked pooled gradient is stored instead (<see cref="Conv2dTrainer.PooledBackward"/> and the pooled
/// <see cref="Conv2dTrainer.ReducePooledInputGradient"/>
/// form dU from it per plane). Every dU is the same bits as <see cref="PoolAddNormBackwardReduce"/>'s (ReLU′ selects dY or +0 at the
/// arg-max, the pool's backward puts the same value or +0 there and +0 elsewhere), and the sums take its terms in its order.
/// </content>
public static unsafe partial class TrainingPasses
{
    /// <summary>
    /// For a ReLU group with MaxPool2d(<paramref name="g"/>) after it: <paramref name="masked"/> = ReLU′(<paramref name="pooledDy"/>) at
    /// the pool's output <paramref name="pooledY"/> (n × channels × g.OutPlane), and BatchNorm's Σ dU, Σ dU·x̂ per channel added to, where
    /// dU is the pool's input gradient of <paramref name="masked"/> (formed one plane at a time, never stored) and x̂ = (z − mean)·invStd.
    /// Each part of the batch sums its samples in order, the parts are added in order: the same bits at any thread count, and the same
    /// bits as <see cref="PoolAddNormBackwardReduce"/>'s sums.
    /// </summary>
    public static void PoolMaskBackwardSums(ReluOperator act, ref float pooledDy, ref int argMax, Pooling.Window g, ref float pooledY, ref float masked, ref float z, int n,
        int channels, ref float mean, ref float invStd, ref double sumDu, ref double sumDuXhat)
    {
        int parts = Parts(n, (long)channels * g.InPlane);
        Job<ReluOperator> job = Job<ReluOperator>.Get(Kind.PoolMaskSums, act, n, channels, g.InPlane);
        fixed (float* pdy = &pooledDy, py = &pooledY, pm = &masked, pz = &z, pmean = &mean, pi = &invStd)
        fixed (int* pa = &argMax)
        {
            job.Dy = pdy;
            job.ArgMax = pa;
            job.Window = g;
            job.R = py;
            job.Y = pm;
            job.Z = pz;
            job.SetNorm(null, null, pmean, pi);
            job.RunSums(parts, ref sumDu, ref sumDuXhat);
        }
    }

    // One plane's Σ dU and Σ dU·x̂ (dU in L1): ResidualSum.ReducePlanes's terms in its order (8 lanes, or 4 widened to double at 128 bits, then the tail in double).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PlaneSums(float* du, float* z, int spatial, float mu, float inv, ref double sumDu, ref double sumDuXhat)
    {
        double a = 0, b = 0;
        int i = 0;
        if (KernelDispatch.Level >= 1 && spatial >= 8)
        {
            Vector256<float> vmu = Vector256.Create(mu), vinv = Vector256.Create(inv), va = Vector256<float>.Zero, vb = Vector256<float>.Zero;
            for (; i <= spatial - 8; i += 8)
            {
                Prefetch.Line(ref z[i]);
                Vector256<float> g = Vector256.Load(du + i);
                va += g;
                vb += g * ((Vector256.Load(z + i) - vmu) * vinv);
            }

            a = Vector256.Sum(va);
            b = Vector256.Sum(vb);
        }
        else if (KernelDispatch.Level == 0 && KernelDispatch.RuntimeBits == 128 && spatial >= 4)
        {
            // ResidualSum.ReducePlanes's order at 128 bits (NormSums128).
            var sums = new NormSums128(mu, inv);
            for (; i <= spatial - 4; i += 4)
            {
                sums.Add(Vector128.Load(du + i), Vector128.Load(z + i));
            }

            (a, b) = sums.Totals;
        }

        for (; i < spatial; i++)
        {
            float g = du[i];
            a += g;
            b += (double)g * ((z[i] - mu) * inv);
        }

        sumDu += a;
        sumDuXhat += b;
    }
}
